// DeepSeek-V2/V3 architecture hyper-parameters, read from a Hugging Face config.json (model_type deepseek_v3 or
// deepseek_v2). Field names follow the HF config; the comments give the reference implementation's names.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace seek {

enum class ScoringFunc { Softmax, Sigmoid };
enum class TopkMethod { Greedy, GroupLimitedGreedy, NoauxTc };

struct YarnConfig {
  bool enabled = false;                  // rope_scaling.type == "yarn"
  double factor = 1.0;                   // rope_factor
  int64_t original_max_position = 4096;  // original_seq_len
  double beta_fast = 32, beta_slow = 1;
  double mscale = 1.0;          // rope_scaling.mscale (cos/sin factor; the reference ignores it)
  double mscale_all_dim = 1.0;  // reference `mscale`: enters the softmax scale
};

struct DeepSeekConfig {
  std::string model_type;  // deepseek_v3 | deepseek_v2
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;            // dim
  int64_t intermediate_size = 0;      // inter_dim (dense FFN layers)
  int64_t moe_intermediate_size = 0;  // moe_inter_dim (each routed/shared expert)
  int64_t num_hidden_layers = 0;      // n_layers
  int64_t first_k_dense_replace = 0;  // n_dense_layers
  int64_t moe_layer_freq = 1;
  int64_t num_attention_heads = 0;  // n_heads
  int64_t n_routed_experts = 0;     // 0 => no MoE layers at all
  int64_t n_shared_experts = 0;
  int64_t num_experts_per_tok = 0;  // n_activated_experts
  int64_t n_group = 1;              // n_expert_groups
  int64_t topk_group = 1;           // n_limited_groups
  TopkMethod topk_method = TopkMethod::Greedy;
  ScoringFunc scoring_func = ScoringFunc::Softmax;
  bool norm_topk_prob = false;
  double routed_scaling_factor = 1.0;  // route_scale
  int64_t q_lora_rank = 0;             // 0: plain q_proj (config null)
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000;
  int64_t max_position_embeddings = 0;  // max_seq_len
  YarnConfig rope_scaling;
  int64_t num_nextn_predict_layers = 0;
  bool tie_word_embeddings = false;
  int64_t bos_token_id = 0, eos_token_id = 1;
  bool fp8_weights = false;  // quantization_config.quant_method == "fp8"
  int64_t fp8_block = 128;

  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  bool is_moe_layer(int64_t layer) const {
    return n_routed_experts > 0 && layer >= first_k_dense_replace && layer % moe_layer_freq == 0;
  }
  // Whether YaRN frequency correction and the softmax mscale apply (the reference applies both only when the
  // model's context exceeds the original one).
  bool yarn_active() const {
    return rope_scaling.enabled && max_position_embeddings > rope_scaling.original_max_position;
  }
  double softmax_scale() const;
  bool uses_selection_bias() const { return topk_method == TopkMethod::NoauxTc; }
  // Sigmoid routing weights are renormalized over the chosen experts; softmax weights are not.
  bool renormalize_topk() const { return scoring_func == ScoringFunc::Sigmoid; }
};

// Parse and validate. `source` names the file in errors ("DIR/config.json: field 'n_group' ...").
DeepSeekConfig parse_deepseek_config(const nlohmann::json& j, const std::string& source);
DeepSeekConfig load_deepseek_config(const std::string& model_dir);

}  // namespace seek
