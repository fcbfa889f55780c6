// The one map between seek's tensor names (the Hugging Face names of model/schema.h) and GGUF's (llama.cpp's
// converter's), used by the GGUF loader and by `seek convert`:
//   model.embed_tokens.weight              token_embd.weight
//   model.norm.weight / lm_head.weight     output_norm.weight / output.weight
//   model.layers.N.input_layernorm         blk.N.attn_norm
//   model.layers.N.post_attention_layernorm  blk.N.ffn_norm
//   ....self_attn.{q,k,v,o}_proj           blk.N.attn_{q,k,v,output}   (weight and bias)
//   ....mlp.{gate,up,down}_proj            blk.N.ffn_{gate,up,down}
// DeepSeek (deepseek2):
//   ....self_attn.q_a_proj / q_a_layernorm / q_b_proj        blk.N.attn_q_a / attn_q_a_norm / attn_q_b
//   ....self_attn.kv_a_proj_with_mqa / kv_a_layernorm       blk.N.attn_kv_a_mqa / attn_kv_a_norm
//   ....self_attn.kv_b_proj                                  blk.N.attn_kv_b, or split (gguf_kv_b_split below)
//   ....mlp.gate / mlp.gate.e_score_correction_bias          blk.N.ffn_gate_inp.weight / exp_probs_b.bias
//   ....mlp.shared_experts.{gate,up,down}_proj               blk.N.ffn_{gate,up,down}_shexp
//   ....mlp.experts.E.{gate,up,down}_proj                    expert E of blk.N.ffn_{gate,up,down}_exps
//   MTP layer N: enorm hnorm eh_proj shared_head.{norm,head}  blk.N.nextn.{enorm,hnorm,eh_proj,shared_head_norm,
//                                                             shared_head_head}
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace seek {

// The GGUF name of a Hugging Face tensor name, or "" when it has no one-to-one GGUF counterpart (routed experts).
std::string gguf_name_of(const std::string& hf_name);

// A routed expert's matrix is one slice of its layer's stacked tensor [experts, rows, cols].
struct GgufExpertSlice {
  std::string stacked;  // e.g. blk.3.ffn_up_exps.weight
  int64_t expert = 0;
};
std::optional<GgufExpertSlice> gguf_expert_of(const std::string& hf_name);

// llama.cpp's converter splits kv_b_proj [H*(nope + v), kv_lora] into attn_k_b [H, kv_lora, nope] (each head's
// W_UK transposed) and attn_v_b [H, v, kv_lora]. The two names for a kv_b_proj name, or nullopt for other names.
struct GgufKvBSplit {
  std::string k_b, v_b;
};
std::optional<GgufKvBSplit> gguf_kv_b_split(const std::string& hf_name);

}  // namespace seek
