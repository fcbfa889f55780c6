// What a model needs in memory, checked before a byte of it is allocated: a config with a billion layers or a
// million experts is refused with a one-line error naming the field that makes it so big and the sizes, instead of
// allocating until the machine runs out.
//
// Sizes: the parameter count is count_params (the one place it is called for this check), times the
// bytes per parameter the job holds (training: f32 value, gradient and two AdamW moments = 16; a synthetic
// checkpoint: its dtype's size), plus the job's working memory (training: a rough estimate of one micro-batch's
// saved activations and logits). The machine's memory is its physical memory, or its cgroup's limit when lower.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "model/config.h"

namespace seek {

struct MemoryJob {
  std::string what;            // "training", "writing the checkpoint": for the message
  double bytes_per_param = 0;  // held per parameter
  std::string per_param_note;  // "f32 weights, gradients and two AdamW moments"
  double working_bytes = 0;    // beyond the parameters (activations, buffers)
  std::string working_note;    // "the activations of batch_size 16 x seq_len 128"
};

inline constexpr double kTrainingBytesPerParam = 16;

// Rough bytes of one training micro-batch's saved activations, attention probabilities and logits (f32).
double training_activation_bytes(const DeepSeekConfig& c, int64_t batch, int64_t seq_len);

// The machine's memory in bytes: physical memory, or the cgroup's memory.max when that is lower.
double machine_memory_bytes();

// Before the config is parsed (the parser walks every layer): refuses a raw config.json object whose
// num_hidden_layers alone cannot fit (two norms per layer), so that a billion layers never reach a loop over them.
// Fields that are missing or not numbers are left to the parser. Throws Error naming `where` and the field.
void check_model_json_fits(const nlohmann::json& config, const MemoryJob& job, const std::string& where);

// Throws Error naming `where`, the field that contributes most to the size, the parameter count and the bytes when
// the job does not fit in `available_bytes` (default: machine_memory_bytes()).
void check_model_fits(const DeepSeekConfig& c, const MemoryJob& job, const std::string& where,
                      double available_bytes = 0);

// "23.4 GiB", "512 MiB", "3.1 PiB".
std::string human_bytes(double bytes);

}  // namespace seek
