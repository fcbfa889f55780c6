#include "model/config.h"

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/config_json.h"

namespace seek {

using json = nlohmann::json;

double DeepSeekConfig::softmax_scale() const {
  double s = 1.0 / std::sqrt(double(qk_head_dim()));
  if (yarn_active()) {
    double m = 0.1 * rope_scaling.mscale_all_dim * std::log(rope_scaling.factor) + 1.0;
    s *= m * m;
  }
  return s;
}

static void parse_rope_scaling(const ConfigReader& r, DeepSeekConfig& c) {
  if (!r.has("rope_scaling")) return;
  const json& rs = r.json()["rope_scaling"];
  if (!rs.is_object()) r.fail("rope_scaling", "must be an object or null, got " + rs.dump());
  ConfigReader s(rs, r.source() + ": rope_scaling");
  std::string type = s.has("type") ? s.str_field("type", "") : s.str_field("rope_type", "");
  if (type == "default" || type.empty()) return;
  if (type != "yarn") s.fail("type", "is '" + type + "'; DeepSeek models use 'yarn' (or no rope_scaling)");
  YarnConfig& y = c.rope_scaling;
  y.enabled = true;
  y.factor = s.num_field("factor");
  y.original_max_position = s.int_field("original_max_position_embeddings");
  y.beta_fast = s.num_field("beta_fast", 32);
  y.beta_slow = s.num_field("beta_slow", 1);
  y.mscale = s.num_field("mscale", 1.0);
  y.mscale_all_dim = s.num_field("mscale_all_dim", 1.0);
  if (!(y.factor >= 1.0)) s.fail("factor", "must be >= 1, got " + std::to_string(y.factor));
  if (y.original_max_position <= 0) s.fail("original_max_position_embeddings", "must be positive");
  if (!(y.beta_fast > 0 && y.beta_slow > 0)) s.fail("beta_fast", "and beta_slow must be positive");
}

DeepSeekConfig parse_deepseek_config(const json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": expected a JSON object");
  ConfigReader r(j, source);
  DeepSeekConfig c;
  c.model_type = r.str_field("model_type", "");
  if (c.model_type != "deepseek_v3" && c.model_type != "deepseek_v2")
    r.fail("model_type", "is '" + c.model_type + "', expected 'deepseek_v3' or 'deepseek_v2'");
  const bool v3 = c.model_type == "deepseek_v3";

  auto positive = [&](const char* f) {
    int64_t v = r.int_field(f);
    if (v <= 0) r.fail(f, "must be positive, got " + std::to_string(v));
    return v;
  };
  auto non_negative = [&](const char* f, int64_t fallback) {
    int64_t v = r.int_field(f, fallback);
    if (v < 0) r.fail(f, "must not be negative, got " + std::to_string(v));
    return v;
  };
  c.vocab_size = positive("vocab_size");
  c.hidden_size = positive("hidden_size");
  c.num_hidden_layers = positive("num_hidden_layers");
  c.num_attention_heads = positive("num_attention_heads");
  c.kv_lora_rank = positive("kv_lora_rank");
  c.qk_nope_head_dim = positive("qk_nope_head_dim");
  c.qk_rope_head_dim = positive("qk_rope_head_dim");
  c.v_head_dim = positive("v_head_dim");
  if (c.qk_rope_head_dim % 2) r.fail("qk_rope_head_dim", "must be even (RoPE rotates pairs)");
  c.q_lora_rank = non_negative("q_lora_rank", 0);  // null or absent: plain q_proj
  c.max_position_embeddings = positive("max_position_embeddings");
  c.rms_norm_eps = r.num_field("rms_norm_eps", 1e-6);
  if (!(c.rms_norm_eps > 0)) r.fail("rms_norm_eps", "must be positive");
  c.rope_theta = r.num_field("rope_theta", 10000);
  if (!(c.rope_theta > 0)) r.fail("rope_theta", "must be positive");
  c.tie_word_embeddings = r.bool_field("tie_word_embeddings", false);
  c.bos_token_id = r.int_field("bos_token_id", 0);
  c.eos_token_id = r.has("eos_token_id") && r.json()["eos_token_id"].is_array()
                       ? r.json()["eos_token_id"][0].get<int64_t>()
                       : r.int_field("eos_token_id", 1);
  c.num_nextn_predict_layers = non_negative("num_nextn_predict_layers", 0);
  std::string act = r.str_field("hidden_act", "silu");
  if (act != "silu") r.fail("hidden_act", "is '" + act + "'; only 'silu' is supported");
  if (r.bool_field("attention_bias", false)) r.fail("attention_bias", "is true; DeepSeek attention has no bias");

  c.n_routed_experts = non_negative("n_routed_experts", 0);
  c.first_k_dense_replace = non_negative("first_k_dense_replace", 0);
  c.moe_layer_freq = r.int_field("moe_layer_freq", 1);
  if (c.moe_layer_freq <= 0) r.fail("moe_layer_freq", "must be positive");
  if (c.first_k_dense_replace > c.num_hidden_layers)
    r.fail("first_k_dense_replace", "(" + std::to_string(c.first_k_dense_replace) + ") exceeds num_hidden_layers (" +
                                        std::to_string(c.num_hidden_layers) + ")");
  bool any_dense = false, any_moe = false;
  for (int64_t l = 0; l < c.num_hidden_layers; l++) (c.is_moe_layer(l) ? any_moe : any_dense) = true;
  if (any_dense) c.intermediate_size = positive("intermediate_size");
  if (any_moe) {
    c.moe_intermediate_size = positive("moe_intermediate_size");
    c.n_shared_experts = non_negative("n_shared_experts", 0);
    c.num_experts_per_tok = positive("num_experts_per_tok");
    if (c.num_experts_per_tok > c.n_routed_experts)
      r.fail("num_experts_per_tok", "(" + std::to_string(c.num_experts_per_tok) + ") exceeds n_routed_experts (" +
                                        std::to_string(c.n_routed_experts) + ")");
    c.routed_scaling_factor = r.num_field("routed_scaling_factor", 1.0);
    if (!(c.routed_scaling_factor > 0)) r.fail("routed_scaling_factor", "must be positive");

    std::string sf = r.str_field("scoring_func", "softmax");
    if (sf == "softmax")
      c.scoring_func = ScoringFunc::Softmax;
    else if (sf == "sigmoid")
      c.scoring_func = ScoringFunc::Sigmoid;
    else
      r.fail("scoring_func", "is '" + sf + "', expected 'softmax' or 'sigmoid'");

    std::string tm = r.str_field("topk_method", v3 ? "noaux_tc" : "greedy");
    if (tm == "greedy")
      c.topk_method = TopkMethod::Greedy;
    else if (tm == "group_limited_greedy")
      c.topk_method = TopkMethod::GroupLimitedGreedy;
    else if (tm == "noaux_tc")
      c.topk_method = TopkMethod::NoauxTc;
    else
      r.fail("topk_method", "is '" + tm + "', expected 'greedy', 'group_limited_greedy' or 'noaux_tc'");

    c.n_group = r.int_field("n_group", 1);
    c.topk_group = r.int_field("topk_group", c.n_group);
    if (c.n_group <= 0) r.fail("n_group", "must be positive");
    if (c.n_routed_experts % c.n_group)
      r.fail("n_group", "(" + std::to_string(c.n_group) + ") does not divide n_routed_experts (" +
                            std::to_string(c.n_routed_experts) + ")");
    if (c.topk_group <= 0 || c.topk_group > c.n_group)
      r.fail("topk_group",
             "must be between 1 and n_group (" + std::to_string(c.n_group) + "), got " + std::to_string(c.topk_group));
    if (c.topk_method == TopkMethod::Greedy && c.n_group > 1 && c.topk_group < c.n_group)
      r.fail("topk_method", "is 'greedy' (no group limit) but n_group/topk_group ask for group-limited routing");
    if (c.topk_method == TopkMethod::NoauxTc && c.n_group > 1 && c.n_routed_experts / c.n_group < 2)
      r.fail("n_group", "leaves fewer than 2 experts per group; noaux_tc scores a group by its top-2 experts");
    if (c.topk_group * (c.n_routed_experts / c.n_group) < c.num_experts_per_tok)
      r.fail("topk_group", "keeps fewer experts than num_experts_per_tok");
    // The reference renormalizes sigmoid weights and never softmax ones, whatever norm_topk_prob says; a config
    // that asks otherwise cannot be computed as the reference computes it.
    c.norm_topk_prob = r.bool_field("norm_topk_prob", c.scoring_func == ScoringFunc::Sigmoid);
    if (c.norm_topk_prob != c.renormalize_topk())
      r.fail("norm_topk_prob", std::string("is ") + (c.norm_topk_prob ? "true" : "false") + " with scoring_func '" +
                                   sf + "'; the reference renormalizes exactly when scoring is sigmoid");
  }
  parse_rope_scaling(r, c);
  if (r.has("quantization_config")) {
    const json& q = j["quantization_config"];
    ConfigReader qr(q, source + ": quantization_config");
    std::string m = qr.str_field("quant_method", "");
    if (m != "fp8") qr.fail("quant_method", "is '" + m + "'; only 'fp8' block quantization is supported");
    std::string fmt = qr.str_field("fmt", "e4m3");
    if (fmt != "e4m3") qr.fail("fmt", "is '" + fmt + "'; only 'e4m3' is supported");
    if (qr.has("weight_block_size")) {
      const json& b = q["weight_block_size"];
      if (!b.is_array() || b.size() != 2 || !b[0].is_number_integer() || b[0] != b[1] || b[0].get<int64_t>() <= 0)
        qr.fail("weight_block_size", "must be [n, n] with n > 0, got " + b.dump());
      c.fp8_block = b[0].get<int64_t>();
    }
    c.fp8_weights = true;
  }
  return c;
}

DeepSeekConfig load_deepseek_config(const std::string& model_dir) {
  std::string path;
  nlohmann::json j = read_config_json(model_dir, &path);
  return parse_deepseek_config(j, path);
}

}  // namespace seek
