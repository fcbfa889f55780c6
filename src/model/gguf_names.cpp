#include "model/gguf_names.h"

#include <cstring>
#include <utility>

namespace seek {

namespace {

// Per-layer names after "model.layers.N." -> after "blk.N.", without the ".weight"/".bias" suffix.
constexpr std::pair<const char*, const char*> kLayerNames[] = {
    {"input_layernorm", "attn_norm"}, {"post_attention_layernorm", "ffn_norm"},
    {"self_attn.q_proj", "attn_q"},   {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},   {"self_attn.o_proj", "attn_output"},
    {"mlp.gate_proj", "ffn_gate"},    {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},
};

bool strip_suffix(std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  if (s.size() < n || s.compare(s.size() - n, n, suffix) != 0) return false;
  s.resize(s.size() - n);
  return true;
}

}  // namespace

std::string gguf_name_of(const std::string& hf_name) {
  if (hf_name == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf_name == "model.norm.weight") return "output_norm.weight";
  if (hf_name == "lm_head.weight") return "output.weight";
  const std::string prefix = "model.layers.";
  if (hf_name.compare(0, prefix.size(), prefix) != 0) return "";
  const size_t dot = hf_name.find('.', prefix.size());
  if (dot == std::string::npos) return "";
  const std::string layer = hf_name.substr(prefix.size(), dot - prefix.size());
  std::string rest = hf_name.substr(dot + 1);
  const char* suffix = strip_suffix(rest, ".weight") ? ".weight" : strip_suffix(rest, ".bias") ? ".bias" : nullptr;
  if (!suffix) return "";
  for (const auto& [hf, gg] : kLayerNames)
    if (rest == hf) return "blk." + layer + "." + gg + suffix;
  return "";
}

}  // namespace seek
