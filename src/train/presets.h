// Built-in model shapes for `seek train --preset NAME`: DeepSeek-V3-architecture configs (MLA with q_lora, a
// fine-grained MoE with a shared expert and noaux_tc sigmoid routing, one MTP module) as Hugging Face config.json
// objects, sized for a vocabulary chosen by the data.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace seek::train {

// "tiny" (~5M parameters at an 8K vocabulary: trains on 2 cores in minutes), "small" (~25M). Throws Error listing
// the presets for an unknown name.
nlohmann::json preset_model_config(const std::string& name, int64_t vocab_size, int64_t bos_id, int64_t eos_id);
std::vector<std::string> preset_names();

}  // namespace seek::train
