// The deepseek2 architecture's GGUF metadata (DeepSeek-V2/V3/R1 as llama.cpp stores them), both ways:
//   deepseek2_hf_config       `deepseek2.*` keys -> the config.json a Hugging Face folder would have (validated by
//                             parse_deepseek_config like any other);
//   add_deepseek2_metadata    DeepSeekConfig -> those keys, as llama.cpp's converter writes them.
// Key meanings worth knowing:
//   - MLA is written as one latent KV head: head_count_kv 1, key_length kv_lora + rope, value_length kv_lora; the
//     per-head dimensions are key_length_mla (nope + rope) and value_length_mla. Older files lack the _mla keys and
//     give the per-head dimensions in key_length/value_length (and head_count_kv = heads).
//   - block_count counts the MTP (NextN) layers too; nextn_predict_layers says how many of them are last.
//   - routing: expert_gating_func 1 softmax / 2 sigmoid; the selection bias (noaux_tc) is the exp_probs_b tensor;
//     expert_group_count / expert_group_used_count are n_group / topk_group.
//   - YaRN: rope.scaling.yarn_log_multiplier is 0.1 x mscale_all_dim (the rope's own mscale is not stored; V2 and
//     V3 set both equal).
#pragma once
#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "formats/gguf_write.h"
#include "model/config.h"

namespace seek {

// Throws Error naming the file and key when a required key is missing or a value has no config.json form.
nlohmann::json deepseek2_hf_config(const GgufFile& f);

// split_kv_b: the current MLA layout (attn_k_b / attn_v_b, one latent KV head); false: the older one, attn_kv_b
// whole and per-head key/value lengths, which llama.cpp runs as plain multi-head attention. Throws Error naming
// `source` (the config's path) when the config has no GGUF form llama.cpp computes the same way (group-limited
// routing without a selection bias, dense layers interleaved with MoE ones).
void add_deepseek2_metadata(const DeepSeekConfig& c, const std::string& source, bool split_kv_b, GgufWriter& w);

}  // namespace seek
