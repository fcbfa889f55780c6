#include "model/gguf_deepseek.h"

#include <string>

#include "core/error.h"

namespace seek {

using json = nlohmann::json;

namespace {

constexpr int64_t kGatingSoftmax = 1, kGatingSigmoid = 2;  // llama.cpp's expert_gating_func values
constexpr double kYarnLogMul = 0.1;                        // yarn_log_multiplier = 0.1 x mscale_all_dim

std::string key(const std::string& k) { return "deepseek2." + k; }

void add_routing(const GgufFile& f, int64_t n_layers, json& j) {
  j["first_k_dense_replace"] = f.get_int(key("leading_dense_block_count"), 0);
  const int64_t experts = f.get_int(key("expert_count"), 0);
  if (experts == 0) return;
  j["n_routed_experts"] = experts;
  j["moe_intermediate_size"] = f.get_int(key("expert_feed_forward_length"));
  j["num_experts_per_tok"] = f.get_int(key("expert_used_count"));
  j["n_shared_experts"] = f.get_int(key("expert_shared_count"), 0);
  j["routed_scaling_factor"] = f.get_float(key("expert_weights_scale"), 1.0);
  const int64_t gating = f.get_int(key("expert_gating_func"), kGatingSoftmax);
  if (gating != kGatingSoftmax && gating != kGatingSigmoid)
    throw Error(f.path() + ": " + key("expert_gating_func") + " is " + std::to_string(gating) +
                "; supported: 1 (softmax), 2 (sigmoid)");
  j["scoring_func"] = gating == kGatingSigmoid ? "sigmoid" : "softmax";
  j["norm_topk_prob"] = f.get_bool(key("expert_weights_norm"), false);
  const int64_t groups = f.get_int(key("expert_group_count"), 1);
  j["n_group"] = groups;
  j["topk_group"] = f.get_int(key("expert_group_used_count"), groups);
  // The selection bias is a tensor, not a key: with it the routing is V3's noaux_tc (groups scored by their top two
  // experts). Group limits without it would be V2's group_limited_greedy, which llama.cpp does not compute.
  bool bias = false;
  for (int64_t l = 0; l < n_layers && !bias; l++)
    bias = f.find_tensor("blk." + std::to_string(l) + ".exp_probs_b.bias") != nullptr;
  if (!bias && groups > 1 && j["topk_group"].get<int64_t>() < groups)
    throw Error(f.path() + ": " + key("expert_group_count") +
                " asks for group-limited routing but the file has no exp_probs_b selection bias");
  j["topk_method"] = bias ? "noaux_tc" : "greedy";
}

void add_yarn(const GgufFile& f, json& j) {
  const std::string type = f.has(key("rope.scaling.type")) ? f.get_string(key("rope.scaling.type")) : "none";
  if (type == "none") return;
  if (type != "yarn")
    throw Error(f.path() + ": " + key("rope.scaling.type") + " is '" + type + "'; DeepSeek models use yarn or none");
  // stored as f32: divide by the same f32 the writer multiplied by, so 0.1f x 1 reads back as exactly 1
  const double mscale = f.get_float(key("rope.scaling.yarn_log_multiplier"), 0.0) / double(float(kYarnLogMul));
  j["rope_scaling"] = {{"type", "yarn"},
                       {"factor", f.get_float(key("rope.scaling.factor"), 1.0)},
                       {"original_max_position_embeddings", f.get_int(key("rope.scaling.original_context_length"))},
                       {"beta_fast", f.get_float(key("rope.scaling.yarn_beta_fast"), 32)},
                       {"beta_slow", f.get_float(key("rope.scaling.yarn_beta_slow"), 1)},
                       {"mscale", mscale},
                       {"mscale_all_dim", mscale}};
}

}  // namespace

json deepseek2_hf_config(const GgufFile& f) {
  json j;
  const int64_t nextn = f.get_int(key("nextn_predict_layers"), 0);
  const int64_t blocks = f.get_int(key("block_count"));
  if (nextn < 0 || nextn >= blocks)
    throw Error(f.path() + ": " + key("nextn_predict_layers") + " (" + std::to_string(nextn) +
                ") leaves no main layers of " + std::to_string(blocks));
  const GgufTensorInfo& embd = f.tensor_info("token_embd.weight");
  j["vocab_size"] =
      f.has(key("vocab_size")) ? f.get_int(key("vocab_size")) : int64_t(embd.dims.size() == 2 ? embd.dims[1] : 0);
  j["hidden_size"] = f.get_int(key("embedding_length"));
  j["intermediate_size"] = f.get_int(key("feed_forward_length"));
  j["num_hidden_layers"] = blocks - nextn;
  j["num_nextn_predict_layers"] = nextn;
  const int64_t heads = f.get_int(key("attention.head_count"));
  j["num_attention_heads"] = heads;
  j["num_key_value_heads"] = heads;
  j["q_lora_rank"] = f.get_int(key("attention.q_lora_rank"), 0);
  j["kv_lora_rank"] = f.get_int(key("attention.kv_lora_rank"));
  const int64_t rope = f.get_int(key("rope.dimension_count"));
  j["qk_rope_head_dim"] = rope;
  const bool mla = f.has(key("attention.key_length_mla"));
  j["qk_nope_head_dim"] = f.get_int(key(mla ? "attention.key_length_mla" : "attention.key_length")) - rope;
  j["v_head_dim"] = f.get_int(key(mla ? "attention.value_length_mla" : "attention.value_length"));
  j["max_position_embeddings"] = f.get_int(key("context_length"));
  j["rms_norm_eps"] = f.get_float(key("attention.layer_norm_rms_epsilon"), 1e-6);
  j["rope_theta"] = f.get_float(key("rope.freq_base"), 10000);
  j["tie_word_embeddings"] = f.find_tensor("output.weight") == nullptr;
  add_routing(f, blocks - nextn, j);
  add_yarn(f, j);
  // V3's routing (sigmoid scores, selection bias) is what model_type deepseek_v3 means to the config parser
  j["model_type"] = j.value("scoring_func", "softmax") == "sigmoid" ? "deepseek_v3" : "deepseek_v2";
  if (f.has("tokenizer.ggml.bos_token_id")) j["bos_token_id"] = f.get_int("tokenizer.ggml.bos_token_id");
  if (f.has("tokenizer.ggml.eos_token_id")) j["eos_token_id"] = f.get_int("tokenizer.ggml.eos_token_id");
  return j;
}

void add_deepseek2_metadata(const DeepSeekConfig& c, const std::string& source, bool split_kv_b, GgufWriter& w) {
  if (c.topk_method == TopkMethod::GroupLimitedGreedy && c.n_group > 1 && c.topk_group < c.n_group)
    throw Error(source +
                ": topk_method 'group_limited_greedy' (groups ranked by their best expert) has no GGUF form llama.cpp "
                "computes");
  if (c.moe_layer_freq != 1)
    throw Error(source + ": moe_layer_freq " + std::to_string(c.moe_layer_freq) + " has no GGUF form");
  auto u32 = [&](const std::string& k, int64_t v) { w.set_u32(key(k), uint32_t(v)); };
  u32("vocab_size", c.vocab_size);
  u32("context_length", c.max_position_embeddings);
  u32("embedding_length", c.hidden_size);
  u32("block_count", c.num_hidden_layers + c.num_nextn_predict_layers);
  if (c.num_nextn_predict_layers) u32("nextn_predict_layers", c.num_nextn_predict_layers);
  u32("feed_forward_length", c.intermediate_size);
  u32("leading_dense_block_count", c.first_k_dense_replace);
  u32("attention.head_count", c.num_attention_heads);
  u32("attention.head_count_kv", split_kv_b ? 1 : c.num_attention_heads);
  w.set_f32(key("attention.layer_norm_rms_epsilon"), float(c.rms_norm_eps));
  u32("attention.q_lora_rank", c.q_lora_rank);  // 0: plain q_proj (llama.cpp wants the key either way)
  u32("attention.kv_lora_rank", c.kv_lora_rank);
  if (split_kv_b) {
    u32("attention.key_length", c.kv_lora_rank + c.qk_rope_head_dim);
    u32("attention.value_length", c.kv_lora_rank);
    u32("attention.key_length_mla", c.qk_head_dim());
    u32("attention.value_length_mla", c.v_head_dim);
  } else {
    u32("attention.key_length", c.qk_head_dim());
    u32("attention.value_length", c.v_head_dim);
  }
  u32("rope.dimension_count", c.qk_rope_head_dim);
  w.set_f32(key("rope.freq_base"), float(c.rope_theta));
  if (c.rope_scaling.enabled) {
    const YarnConfig& y = c.rope_scaling;
    w.set_string(key("rope.scaling.type"), "yarn");
    w.set_f32(key("rope.scaling.factor"), float(y.factor));
    u32("rope.scaling.original_context_length", y.original_max_position);
    w.set_f32(key("rope.scaling.yarn_log_multiplier"), float(kYarnLogMul) * float(y.mscale_all_dim));
    w.set_f32(key("rope.scaling.yarn_beta_fast"), float(y.beta_fast));
    w.set_f32(key("rope.scaling.yarn_beta_slow"), float(y.beta_slow));
  }
  // llama.cpp reads these three even without routed experts
  u32("expert_shared_count", c.n_shared_experts);
  u32("expert_feed_forward_length", c.moe_intermediate_size);
  w.set_f32(key("expert_weights_scale"), float(c.routed_scaling_factor));
  if (c.n_routed_experts == 0) return;
  u32("expert_count", c.n_routed_experts);
  u32("expert_used_count", c.num_experts_per_tok);
  w.set_bool(key("expert_weights_norm"), c.norm_topk_prob);
  u32("expert_gating_func", c.scoring_func == ScoringFunc::Sigmoid ? kGatingSigmoid : kGatingSoftmax);
  if (c.n_group > 1) {
    u32("expert_group_count", c.n_group);
    u32("expert_group_used_count", c.topk_group);
  }
}

}  // namespace seek
