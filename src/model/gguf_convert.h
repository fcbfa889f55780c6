// Converting between Hugging Face model folders and GGUF files, for DeepSeek-V2/V3 (deepseek2) and the dense
// architectures (llama, qwen2):
//   HF -> GGUF: config.json as `<arch>.*` metadata, the tokenizer and chat template as tokenizer.* keys (when the
//               folder has a tokenizer.json), every matrix in the type the file type gives it
//               (model/gguf_tensor_types.h: what llama.cpp's quantizer would choose), vectors in f32,
//               llama's q/k rows permuted to llama.cpp's adjacent-pair RoPE order, llama3 rope scaling as the
//               rope_freqs tensor. The names are model/gguf_names.h's.
//   GGUF -> HF: config.json (gguf_hf_config) and model.safetensors with every tensor dequantized to f32 (or
//               rounded to bf16 / f16), llama's q/k rows permuted back. The tokenizer is not written back yet.
//   DeepSeek: deepseek2 metadata (model/gguf_deepseek.h), routed experts stacked per layer, kv_b_proj split into
//               attn_k_b / attn_v_b, the router kept in f32, MTP layers under the NextN names; fp8 checkpoints are
//               dequantized with their block scales first. Back to a folder, kv_b_proj is joined again.
#pragma once
#include <functional>
#include <string>

namespace seek {

struct GgufConvertOptions {
  // DeepSeek: kv_b_proj as attn_k_b / attn_v_b (llama.cpp's current MLA layout), or whole as attn_kv_b (its older
  // layout, which it runs as plain multi-head attention; its AMX backend cannot run the split layout's 3-d
  // batched matmuls in block types, so on such CPUs only this layout runs quantized there).
  bool split_kv_b = true;
};
// `type`: f32 f16 bf16 q8_0 q4_0 q5_0 q4_1 q5_1 q4_K_M q5_K_M (each tensor's type: model/gguf_tensor_types.h). `log` receives one
// line per step. Throws Error naming what is wrong.
void convert_hf_to_gguf(const std::string& model_dir, const std::string& out_path, const std::string& type,
                        const std::function<void(const std::string&)>& log, const GgufConvertOptions& opt = {});
// `type`: f32 bf16 f16 (the dtype of the written tensors).
void convert_gguf_to_hf(const std::string& gguf_path, const std::string& out_dir, const std::string& type,
                        const std::function<void(const std::string&)>& log);

}  // namespace seek
