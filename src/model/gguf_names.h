// The one map between seek's tensor names (the Hugging Face names of model/schema.h) and GGUF's (llama.cpp's
// converter's), used by the GGUF loader and by `seek convert`:
//   model.embed_tokens.weight              token_embd.weight
//   model.norm.weight / lm_head.weight     output_norm.weight / output.weight
//   model.layers.N.input_layernorm         blk.N.attn_norm
//   model.layers.N.post_attention_layernorm  blk.N.ffn_norm
//   ....self_attn.{q,k,v,o}_proj           blk.N.attn_{q,k,v,output}   (weight and bias)
//   ....mlp.{gate,up,down}_proj            blk.N.ffn_{gate,up,down}
// DeepSeek's MLA and MoE tensors (attn_q_a, attn_kv_a_mqa, stacked ffn_*_exps, ...) are not mapped yet.
#pragma once
#include <string>

namespace seek {

// The GGUF name of a Hugging Face tensor name, or "" when it has no one-to-one GGUF counterpart.
std::string gguf_name_of(const std::string& hf_name);

}  // namespace seek
