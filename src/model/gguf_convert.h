// Converting between Hugging Face model folders and GGUF files, for the dense architectures (llama, qwen2):
//   HF -> GGUF: config.json as `<arch>.*` metadata, the tokenizer and chat template as tokenizer.* keys (when the
//               folder has a tokenizer.json), every matrix in the chosen type (f32 f16 bf16 q8_0 q4_0 q5_0; a
//               matrix whose rows are not whole blocks falls back to f16, as llama.cpp does), vectors in f32,
//               llama's q/k rows permuted to llama.cpp's adjacent-pair RoPE order, llama3 rope scaling as the
//               rope_freqs tensor. The names are model/gguf_names.h's.
//   GGUF -> HF: config.json (gguf_hf_config) and model.safetensors with every tensor dequantized to f32 (or
//               rounded to bf16 / f16), llama's q/k rows permuted back. The tokenizer is not written back yet.
// DeepSeek (deepseek2) models are not converted yet: an Error says so.
#pragma once
#include <functional>
#include <string>

namespace seek {

// `type`: f32 f16 bf16 q8_0 q4_0 q5_0. `log` receives one line per step. Throws Error naming what is wrong.
void convert_hf_to_gguf(const std::string& model_dir, const std::string& out_path, const std::string& type,
                        const std::function<void(const std::string&)>& log);
// `type`: f32 bf16 f16 (the dtype of the written tensors).
void convert_gguf_to_hf(const std::string& gguf_path, const std::string& out_dir, const std::string& type,
                        const std::function<void(const std::string&)>& log);

}  // namespace seek
