// What a training run needs besides the weights to resume exactly where it stopped, written into a checkpoint
// folder as two files:
//   DIR/trainer_state.safetensors   the AdamW moments, f32, named "m.<param>" and "v.<param>"
//   DIR/trainer_state.json          {"format": "seek-trainer-state", "version": 1, "step", "tokens_seen",
//                                    "optimizer": {"type": "adamw", "steps"}, "rng": "<mt19937_64 state>",
//                                    "data": {"epoch", "position"}, "extra": {...}}
// (Parameters, including the MoE gates' load-balancing biases, live in the model's safetensors, not here.)
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "core/tensor.h"

namespace seek {

class AdamW;

struct DataPosition {
  int64_t epoch = 0;
  int64_t position = 0;  // the data loader's own index within the epoch
};

struct TrainerState {
  int64_t step = 0;  // training steps completed
  int64_t tokens_seen = 0;
  int64_t optimizer_steps = 0;                        // AdamW::steps(), which the bias correction depends on
  std::map<std::string, Tensor> exp_avg, exp_avg_sq;  // by parameter name, f32 [numel]
  std::mt19937_64 rng;
  DataPosition data;
  nlohmann::json extra = nlohmann::json::object();  // config hash, schedule, anything else the trainer keeps
};

// Copies the optimizer's step count and moments into `state` (as views of the optimizer's buffers: write the state
// before the next step).
void capture_optimizer_state(const AdamW& opt, TrainerState& state);
// Copies moments and step count back. Every parameter of `opt` must have both moments of the right size, and the
// state no others; errors name the parameter.
void restore_optimizer_state(const TrainerState& state, AdamW& opt);

// Writes the two files into `dir` (durably). Throws Error naming the file.
void write_trainer_state(const std::string& dir, const TrainerState& state);
// Reads them back; moments are views of the memory-mapped file. Errors name the file and field.
TrainerState read_trainer_state(const std::string& dir);

}  // namespace seek
