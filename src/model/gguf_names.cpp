#include "model/gguf_names.h"

#include <cstring>
#include <utility>

namespace seek {

namespace {

// Per-layer names after "model.layers.N." -> after "blk.N.", without the ".weight"/".bias" suffix.
constexpr std::pair<const char*, const char*> kLayerNames[] = {
    {"input_layernorm", "attn_norm"},
    {"post_attention_layernorm", "ffn_norm"},
    {"self_attn.q_proj", "attn_q"},
    {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"},
    {"mlp.gate_proj", "ffn_gate"},
    {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},
    {"self_attn.q_a_proj", "attn_q_a"},
    {"self_attn.q_a_layernorm", "attn_q_a_norm"},
    {"self_attn.q_b_proj", "attn_q_b"},
    {"self_attn.kv_a_proj_with_mqa", "attn_kv_a_mqa"},
    {"self_attn.kv_a_layernorm", "attn_kv_a_norm"},
    {"self_attn.kv_b_proj", "attn_kv_b"},
    {"mlp.gate", "ffn_gate_inp"},
    {"mlp.shared_experts.gate_proj", "ffn_gate_shexp"},
    {"mlp.shared_experts.up_proj", "ffn_up_shexp"},
    {"mlp.shared_experts.down_proj", "ffn_down_shexp"},
    {"enorm", "nextn.enorm"},
    {"hnorm", "nextn.hnorm"},
    {"eh_proj", "nextn.eh_proj"},
    {"shared_head.norm", "nextn.shared_head_norm"},
    {"shared_head.head", "nextn.shared_head_head"},
};

bool strip_suffix(std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  if (s.size() < n || s.compare(s.size() - n, n, suffix) != 0) return false;
  s.resize(s.size() - n);
  return true;
}

// "model.layers.N.<rest>" -> N and rest; false for other names.
bool split_layer(const std::string& hf_name, std::string* layer, std::string* rest) {
  const std::string prefix = "model.layers.";
  if (hf_name.compare(0, prefix.size(), prefix) != 0) return false;
  const size_t dot = hf_name.find('.', prefix.size());
  if (dot == std::string::npos) return false;
  *layer = hf_name.substr(prefix.size(), dot - prefix.size());
  *rest = hf_name.substr(dot + 1);
  return true;
}

}  // namespace

std::string gguf_name_of(const std::string& hf_name) {
  if (hf_name == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf_name == "model.norm.weight") return "output_norm.weight";
  if (hf_name == "lm_head.weight") return "output.weight";
  std::string layer, rest;
  if (!split_layer(hf_name, &layer, &rest)) return "";
  if (rest == "mlp.gate.e_score_correction_bias") return "blk." + layer + ".exp_probs_b.bias";
  const char* suffix = strip_suffix(rest, ".weight") ? ".weight" : strip_suffix(rest, ".bias") ? ".bias" : nullptr;
  if (!suffix) return "";
  for (const auto& [hf, gg] : kLayerNames)
    if (rest == hf) return "blk." + layer + "." + gg + suffix;
  return "";
}

std::optional<GgufExpertSlice> gguf_expert_of(const std::string& hf_name) {
  std::string layer, rest;
  if (!split_layer(hf_name, &layer, &rest)) return std::nullopt;
  const std::string experts = "mlp.experts.";
  if (rest.compare(0, experts.size(), experts) != 0 || !strip_suffix(rest, ".weight")) return std::nullopt;
  const size_t dot = rest.find('.', experts.size());
  if (dot == std::string::npos || dot == experts.size()) return std::nullopt;
  const std::string index = rest.substr(experts.size(), dot - experts.size()), proj = rest.substr(dot + 1);
  if (index.find_first_not_of("0123456789") != std::string::npos || index.size() > 9) return std::nullopt;
  for (const char* p : {"gate", "up", "down"})
    if (proj == std::string(p) + "_proj")
      return GgufExpertSlice{"blk." + layer + ".ffn_" + p + "_exps.weight", std::stoll(index)};
  return std::nullopt;
}

std::optional<GgufKvBSplit> gguf_kv_b_split(const std::string& hf_name) {
  std::string layer, rest;
  if (!split_layer(hf_name, &layer, &rest) || rest != "self_attn.kv_b_proj.weight") return std::nullopt;
  return GgufKvBSplit{"blk." + layer + ".attn_k_b.weight", "blk." + layer + ".attn_v_b.weight"};
}

}  // namespace seek
