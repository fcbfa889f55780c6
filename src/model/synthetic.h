// Random-weight DeepSeek-V3-shaped (or dense Qwen2/Llama) checkpoints: for benchmarks (a model of a chosen size without downloading one),
// the demo, and tests that need a model folder to break.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/dtype.h"

namespace seek {

// A DeepSeek-V3-style config.json (MLA with q_lora, fine-grained MoE with a shared expert, noaux_tc routing,
// sigmoid gate, YaRN) whose total parameter count is close to `target_params`.
nlohmann::json synthetic_config(int64_t target_params, int64_t vocab_size = 32000);

struct SyntheticOptions {
  DType dtype = DType::BF16;  // BF16, F16, F32, or E4M3 (128x128 block-quantized Linear weights)
  uint64_t seed = 1;
  double init_std = 0.02;
  int64_t shard_bytes = 0;  // > 0: split into shards of about this size with an index
};

// Writes config.json and the safetensors weights (model.safetensors, or shards + index) to `dir` (created). The
// config's model_type picks the schema: deepseek_v3/v2 (the default), or a dense qwen2/llama one (a fresh student
// for distillation, say).
void write_synthetic_checkpoint(const std::string& dir, const nlohmann::json& config, const SyntheticOptions& opt);

}  // namespace seek
