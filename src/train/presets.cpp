#include "train/presets.h"

#include "core/error.h"

namespace seek::train {

namespace {
struct Shape {
  const char* name;
  int64_t dim, layers, heads, q_lora, kv_lora, nope, rope, v, dense_inter, experts, top_k, expert_inter, groups,
      topk_groups, max_pos;
};
// One dense layer first, as V3 does; 2 routing groups so group-limited routing is exercised.
constexpr Shape kShapes[] = {
    {"tiny", 192, 4, 4, 96, 64, 32, 16, 32, 512, 8, 2, 128, 2, 1, 1024},
    {"small", 384, 6, 6, 192, 128, 48, 16, 48, 1024, 16, 2, 192, 4, 2, 2048},
};
}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> n;
  for (const auto& s : kShapes) n.push_back(s.name);
  return n;
}

nlohmann::json preset_model_config(const std::string& name, int64_t vocab_size, int64_t bos_id, int64_t eos_id) {
  for (const auto& s : kShapes) {
    if (name != s.name) continue;
    return {{"architectures", {"DeepseekV3ForCausalLM"}},
            {"model_type", "deepseek_v3"},
            {"vocab_size", vocab_size},
            {"hidden_size", s.dim},
            {"intermediate_size", s.dense_inter},
            {"moe_intermediate_size", s.expert_inter},
            {"num_hidden_layers", s.layers},
            {"first_k_dense_replace", 1},
            {"moe_layer_freq", 1},
            {"num_attention_heads", s.heads},
            {"num_key_value_heads", s.heads},
            {"n_routed_experts", s.experts},
            {"n_shared_experts", 1},
            {"num_experts_per_tok", s.top_k},
            {"n_group", s.groups},
            {"topk_group", s.topk_groups},
            {"topk_method", "noaux_tc"},
            {"scoring_func", "sigmoid"},
            {"norm_topk_prob", true},
            {"routed_scaling_factor", 1.0},
            {"q_lora_rank", s.q_lora},
            {"kv_lora_rank", s.kv_lora},
            {"qk_nope_head_dim", s.nope},
            {"qk_rope_head_dim", s.rope},
            {"v_head_dim", s.v},
            {"rms_norm_eps", 1e-6},
            {"rope_theta", 10000.0},
            {"max_position_embeddings", s.max_pos},
            {"rope_scaling", nullptr},
            {"num_nextn_predict_layers", 1},
            {"tie_word_embeddings", false},
            {"bos_token_id", bos_id},
            {"eos_token_id", eos_id},
            {"hidden_act", "silu"},
            {"torch_dtype", "float32"}};
  }
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown preset '" + name + "' (known: " + known + ")");
}

}  // namespace seek::train
