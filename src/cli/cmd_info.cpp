// seek info: what a model folder holds — architecture, parameter counts, cache cost, dtypes.
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/checkpoint.h"
#include "model/deepseek.h"
#include "model/schema.h"
#include "model/dense_config.h"

namespace seek::cli {

namespace {
std::string human(double n) {
  const char* units[] = {"", "K", "M", "B", "T"};
  int u = 0;
  while (n >= 1000 && u < 4) n /= 1000, u++;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.2f%s" : "%.0f%s", n, units[u]);
  return buf;
}

void run_deepseek_info(const std::string& dir, bool as_json) {
  DeepSeekConfig c = load_deepseek_config(dir);
  Checkpoint ck = Checkpoint::open(dir);
  ParamCounts pc = count_params(c);
  std::map<std::string, int64_t> dtypes;  // stored dtype -> number of parameters
  int64_t stored = 0;
  for (auto& n : ck.names()) {
    Tensor t = ck.get(n);
    if (n.size() > 16 && n.compare(n.size() - 16, 16, ".weight_scale_inv") == 0) continue;
    dtypes[dtype_name(t.dtype)] += t.numel();
    stored += t.numel();
  }
  int64_t moe_layers = 0;
  for (int64_t l = 0; l < c.num_hidden_layers; l++) moe_layers += c.is_moe_layer(l);
  // Bytes per token of context, as the model's bf16 reference keeps it and as seek's f32 cache does.
  int64_t absorb_vals = (c.kv_lora_rank + c.qk_rope_head_dim) * c.num_hidden_layers;
  int64_t naive_vals = c.num_attention_heads * (c.qk_head_dim() + c.v_head_dim) * c.num_hidden_layers;
  nlohmann::json j = {{"model", dir},
                      {"architecture", c.model_type},
                      {"layers", c.num_hidden_layers},
                      {"dense_layers", c.num_hidden_layers - moe_layers},
                      {"moe_layers", moe_layers},
                      {"hidden_size", c.hidden_size},
                      {"heads", c.num_attention_heads},
                      {"vocab_size", c.vocab_size},
                      {"routed_experts", c.n_routed_experts},
                      {"experts_per_token", c.num_experts_per_tok},
                      {"shared_experts", c.n_shared_experts},
                      {"q_lora_rank", c.q_lora_rank},
                      {"kv_lora_rank", c.kv_lora_rank},
                      {"yarn", c.yarn_active()},
                      {"mtp_modules", c.num_nextn_predict_layers},
                      {"params_total", pc.total},
                      {"params_active_per_token", pc.active},
                      {"params_mtp", pc.mtp},
                      {"params_stored", stored},
                      {"stored_dtypes", dtypes},
                      {"fp8_block_quantized", c.fp8_weights},
                      {"kv_cache_values_per_token", {{"absorb", absorb_vals}, {"naive", naive_vals}}},
                      {"kv_cache_bytes_per_token_bf16", {{"absorb", absorb_vals * 2}, {"naive", naive_vals * 2}}},
                      {"kv_cache_bytes_per_token_seek_f32", {{"absorb", absorb_vals * 4}, {"naive", naive_vals * 4}}},
                      {"checkpoint_bytes", ck.total_bytes()}};
  if (as_json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("model         %s\n", dir.c_str());
  std::printf("architecture  %s: %lld layers (%lld dense, %lld MoE), hidden %lld, %lld heads, vocab %lld\n",
              c.model_type.c_str(), (long long)c.num_hidden_layers, (long long)(c.num_hidden_layers - moe_layers),
              (long long)moe_layers, (long long)c.hidden_size, (long long)c.num_attention_heads,
              (long long)c.vocab_size);
  std::printf("attention     MLA: q_lora_rank %lld, kv_lora_rank %lld, heads dim %lld+%lld (rope), v %lld%s\n",
              (long long)c.q_lora_rank, (long long)c.kv_lora_rank, (long long)c.qk_nope_head_dim,
              (long long)c.qk_rope_head_dim, (long long)c.v_head_dim, c.yarn_active() ? ", YaRN" : "");
  if (moe_layers)
    std::printf("experts       %lld routed (top %lld), %lld shared\n", (long long)c.n_routed_experts,
                (long long)c.num_experts_per_tok, (long long)c.n_shared_experts);
  std::printf("parameters    %s total, %s active per token, %s in MTP modules (%s stored)\n",
              human(double(pc.total)).c_str(), human(double(pc.active)).c_str(), human(double(pc.mtp)).c_str(),
              human(double(stored)).c_str());
  std::printf("kv cache      %lld bytes/token absorbed (bf16), %lld naive (bf16)\n", (long long)(absorb_vals * 2),
              (long long)(naive_vals * 2));
  std::printf("dtypes       ");
  for (auto& [k, v] : dtypes) std::printf(" %s: %s", k.c_str(), human(double(v)).c_str());
  std::printf("%s\n", c.fp8_weights ? " (fp8 128x128 block scales)" : "");
}

// Qwen2/Llama (the R1-Distill models): every parameter is active for every token.
void run_dense_info(const std::string& dir, bool as_json) {
  DenseConfig c = load_dense_config(dir);
  Checkpoint ck = Checkpoint::open(dir);
  ParamCounts pc = count_params(c);
  std::map<std::string, int64_t> dtypes;  // stored dtype -> number of parameters
  int64_t stored = 0;
  for (auto& n : ck.names()) {
    Tensor t = ck.get(n);
    dtypes[dtype_name(t.dtype)] += t.numel();
    stored += t.numel();
  }
  // K and V per layer per token, as the model's bf16 reference keeps them and as seek's f32 cache does.
  const int64_t kv_vals = 2 * c.kv_dim() * c.num_hidden_layers;
  const DenseRopeScaling& rs = c.rope_scaling;
  nlohmann::json scaling = nullptr;
  if (rs.type == DenseRopeType::Linear) scaling = {{"type", "linear"}, {"factor", rs.factor}};
  if (rs.type == DenseRopeType::Llama3)
    scaling = {{"type", "llama3"},
               {"factor", rs.factor},
               {"low_freq_factor", rs.low_freq_factor},
               {"high_freq_factor", rs.high_freq_factor},
               {"original_max_position_embeddings", rs.original_max_position}};
  nlohmann::json j = {{"model", dir},
                      {"architecture", c.model_type},
                      {"layers", c.num_hidden_layers},
                      {"hidden_size", c.hidden_size},
                      {"heads", c.num_attention_heads},
                      {"kv_heads", c.num_key_value_heads},
                      {"head_dim", c.head_dim},
                      {"intermediate_size", c.intermediate_size},
                      {"vocab_size", c.vocab_size},
                      {"context_length", c.max_position_embeddings},
                      {"qkv_bias", c.qkv_bias},
                      {"o_bias", c.o_bias},
                      {"tie_word_embeddings", c.tie_word_embeddings},
                      {"rope_theta", c.rope_theta},
                      {"rope_scaling", scaling},
                      {"params_total", pc.total},
                      {"params_active_per_token", pc.total},
                      {"params_stored", stored},
                      {"stored_dtypes", dtypes},
                      {"kv_cache_values_per_token", kv_vals},
                      {"kv_cache_bytes_per_token_bf16", kv_vals * 2},
                      {"kv_cache_bytes_per_token_seek_f32", kv_vals * 4},
                      {"checkpoint_bytes", ck.total_bytes()}};
  if (as_json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("model         %s\n", dir.c_str());
  std::printf("architecture  %s (dense): %lld layers, hidden %lld, MLP %lld, vocab %lld, context %lld\n",
              c.model_type.c_str(), (long long)c.num_hidden_layers, (long long)c.hidden_size,
              (long long)c.intermediate_size, (long long)c.vocab_size, (long long)c.max_position_embeddings);
  std::printf("attention     GQA: %lld heads, %lld KV heads, head dim %lld%s%s; RoPE theta %.10g",
              (long long)c.num_attention_heads, (long long)c.num_key_value_heads, (long long)c.head_dim,
              c.qkv_bias ? ", q/k/v bias" : "", c.o_bias ? ", o bias" : "", c.rope_theta);
  if (rs.type == DenseRopeType::Linear) std::printf(", linear scaling x%g", rs.factor);
  if (rs.type == DenseRopeType::Llama3)
    std::printf(", llama3 scaling x%g (low %g, high %g, original %lld)", rs.factor, rs.low_freq_factor,
                rs.high_freq_factor, (long long)rs.original_max_position);
  std::printf("\n");
  std::printf("parameters    %s total, all active per token%s (%s stored)\n", human(double(pc.total)).c_str(),
              c.tie_word_embeddings ? ", head tied to the embedding" : "", human(double(stored)).c_str());
  std::printf("kv cache      %lld bytes/token (bf16), %lld (seek f32)\n", (long long)(kv_vals * 2),
              (long long)(kv_vals * 4));
  std::printf("dtypes       ");
  for (auto& [k, v] : dtypes) std::printf(" %s: %s", k.c_str(), human(double(v)).c_str());
  std::printf("\n");
}

void run_info(const std::string& model_dir, bool as_json) {
  const std::string dir = resolve_model_dir(model_dir);  // a training output folder: its latest checkpoint
  const std::string path = (std::filesystem::path(dir) / "config.json").string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  const std::string type =
      j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
  if (is_dense_model_type(type)) return run_dense_info(dir, as_json);
  if (type == "deepseek_v3" || type == "deepseek_v2") return run_deepseek_info(dir, as_json);
  throw Error(path + ": field 'model_type' is '" + type + "'; supported: deepseek_v3, deepseek_v2, qwen2, llama");
}
}  // namespace

void register_info(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("info", "describe a model folder: architecture, parameters, KV-cache cost, dtypes");
  cmd->add_option("--model", *dir, "model folder")->required();
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([dir, json] { run_info(*dir, *json); });
}

}  // namespace seek::cli
