#include "train/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "model/deepseek.h"
#include "model/schema.h"

namespace seek {

namespace {

// An upper bound of count_params in floating point (it cannot overflow): every layer counted as dense and MoE at
// once, and with an MTP module's extras. Used to refuse sizes int64 could not even count, and to tell which field
// makes a model big.
double params_upper_bound(const DeepSeekConfig& c) {
  const double D = double(c.hidden_size), H = double(c.num_attention_heads), V = double(c.vocab_size);
  const double qk = double(c.qk_nope_head_dim) + double(c.qk_rope_head_dim), ql = double(c.q_lora_rank);
  const double kvl = double(c.kv_lora_rank), E = double(c.n_routed_experts);
  const double attn = ql * D + ql + H * qk * std::max(ql, D) + (kvl + double(c.qk_rope_head_dim)) * D + kvl +
                      H * (double(c.qk_nope_head_dim) + double(c.v_head_dim)) * kvl + D * H * double(c.v_head_dim);
  const double ffn = 3 * D * double(c.intermediate_size) + E * D + E +
                     (E + double(c.n_shared_experts)) * 3 * D * double(c.moe_intermediate_size);
  const double layers = double(c.num_hidden_layers) + double(c.num_nextn_predict_layers);
  return 2 * V * D + D + layers * (attn + ffn + 5 * D + 2 * D * D);
}

// The field whose value, brought down to 1 (0 for MTP modules), shrinks the model the most.
std::string biggest_factor(const DeepSeekConfig& c) {
  struct Field {
    const char* name;
    int64_t DeepSeekConfig::*member;
    int64_t small;
  };
  static const Field fields[] = {{"num_hidden_layers", &DeepSeekConfig::num_hidden_layers, 1},
                                 {"hidden_size", &DeepSeekConfig::hidden_size, 1},
                                 {"vocab_size", &DeepSeekConfig::vocab_size, 1},
                                 {"n_routed_experts", &DeepSeekConfig::n_routed_experts, 1},
                                 {"n_shared_experts", &DeepSeekConfig::n_shared_experts, 0},
                                 {"moe_intermediate_size", &DeepSeekConfig::moe_intermediate_size, 1},
                                 {"intermediate_size", &DeepSeekConfig::intermediate_size, 1},
                                 {"num_attention_heads", &DeepSeekConfig::num_attention_heads, 1},
                                 {"q_lora_rank", &DeepSeekConfig::q_lora_rank, 0},
                                 {"kv_lora_rank", &DeepSeekConfig::kv_lora_rank, 1},
                                 {"qk_nope_head_dim", &DeepSeekConfig::qk_nope_head_dim, 1},
                                 {"qk_rope_head_dim", &DeepSeekConfig::qk_rope_head_dim, 1},
                                 {"v_head_dim", &DeepSeekConfig::v_head_dim, 1},
                                 {"num_nextn_predict_layers", &DeepSeekConfig::num_nextn_predict_layers, 0}};
  std::string best;
  double best_size = params_upper_bound(c);
  for (const Field& f : fields) {
    DeepSeekConfig small = c;
    small.*f.member = std::min(c.*f.member, f.small);
    const double size = params_upper_bound(small);
    if (size < best_size) best_size = size, best = std::string(f.name) + " = " + std::to_string(c.*f.member);
  }
  return best;
}

std::string count_text(double n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, n < 1e15 ? "%.3g" : "%.2e", n);
  return buf;
}

[[noreturn]] void refuse(const std::string& where, const std::string& field, double params, const MemoryJob& job,
                         double need, double have) {
  std::string msg = where + ": ";
  if (!field.empty()) msg += field + " makes ";
  msg += "a model of " + count_text(params) + " parameters; " + job.what + " it needs " + human_bytes(need) + " (" +
         count_text(job.bytes_per_param) + " bytes per parameter: " + job.per_param_note;
  if (job.working_bytes > 0)
    msg += ", plus ~" + human_bytes(job.working_bytes) + " for " +
           (job.working_note.empty() ? std::string("working memory") : job.working_note);
  msg += "), but this machine has " + human_bytes(have);
  throw Error(msg);
}

double json_number(const nlohmann::json& j, const char* key, double fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

}  // namespace

std::string human_bytes(double b) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (b >= 1024 && u < 6) b /= 1024, u++;
  char buf[48];
  std::snprintf(buf, sizeof buf, b >= 1e4 ? "%.3g %s" : u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

double training_activation_bytes(const DeepSeekConfig& c, int64_t batch, int64_t seq_len) {
  const double D = double(c.hidden_size), H = double(c.num_attention_heads), T = double(seq_len + 1);
  const double heads = H * (double(c.qk_head_dim()) * 2 + double(c.v_head_dim));  // q, k, v per head
  const double ffn = std::max(double(c.intermediate_size),
                              double(c.num_experts_per_tok + c.n_shared_experts) * double(c.moe_intermediate_size));
  const double per_token_layer = 12 * D + 2 * heads + 2 * H * T + 4 * ffn;
  const double layers = double(c.num_hidden_layers + c.num_nextn_predict_layers);
  const double logits = double(1 + c.num_nextn_predict_layers) * 2 * double(c.vocab_size);  // values + gradients
  return 4 * double(batch) * T * (layers * per_token_layer + logits);
}

double machine_memory_bytes() {
  double phys = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE));
  std::ifstream cg("/sys/fs/cgroup/memory.max");
  std::string limit;
  if (cg >> limit && limit != "max") {
    char* end = nullptr;
    const double v = std::strtod(limit.c_str(), &end);
    if (end && *end == '\0' && v > 0) phys = std::min(phys, v);
  }
  return phys;
}

void check_model_json_fits(const nlohmann::json& j, const MemoryJob& job, const std::string& where) {
  if (!j.is_object()) return;
  const double have = machine_memory_bytes();
  const double D = std::max(1.0, json_number(j, "hidden_size", 1));
  const double L = std::max(0.0, json_number(j, "num_hidden_layers", 0));
  // At least each layer's two norms: refused here, the parser never walks a billion layers. The rest of the size is
  // checked on the parsed config, which names the field that makes it.
  const double params = 2 * L * D, need = params * job.bytes_per_param;
  if (need > have) refuse(where, "num_hidden_layers = " + j["num_hidden_layers"].dump(), params, job, need, have);
}

void check_model_fits(const DeepSeekConfig& c, const MemoryJob& job, const std::string& where, double available) {
  const double have = available > 0 ? available : machine_memory_bytes();
  const double bound = params_upper_bound(c);
  // Beyond 1e17 parameters no machine holds the model, and the exact count could overflow: refuse on the bound.
  const double params = bound > 1e17 ? bound : [&] {
    const ParamCounts pc = count_params(c);
    return double(pc.total + pc.mtp);
  }();
  const double need = params * job.bytes_per_param + job.working_bytes;
  if (need <= have) return;
  if (params * job.bytes_per_param <= have / 2 && !job.working_note.empty())  // the parameters are not the problem
    throw Error(where + ": " + job.working_note + " need ~" + human_bytes(job.working_bytes) + " beside the model's " +
                human_bytes(params * job.bytes_per_param) + ", but this machine has " + human_bytes(have) +
                "; use a smaller batch_size or seq_len");
  refuse(where, biggest_factor(c), params, job, need, have);
}

}  // namespace seek
