// Models from llama.cpp GGUF files: `deepseek2` (DeepSeek-V2/V3/R1) and the dense architectures `llama` and
// `qwen2` (the R1-Distill models), their
// weights memory-mapped in their stored types (f32, f16, bf16 and the block types of core/quant_blocks.h: what a
// Q8_0 or Q4_K_M file holds), read in place by the same fast form that runs Hugging Face folders.
//
// Layout differences from a Hugging Face folder, and what the loader does about them:
//   - tensor names: model/gguf_names.h;
//   - llama's q/k rows are permuted by llama.cpp's converter into adjacent-pair RoPE order: the model rotates
//     adjacent pairs instead (DenseConfig::rope_interleaved), so attention scores are unchanged;
//   - llama3 rope scaling is stored as the `rope_freqs` tensor of per-frequency divisors (rope_freq_factors);
//   - the hyper-parameters are `<arch>.*` metadata keys: gguf_hf_config turns them into the config.json a Hugging
//     Face folder would have, validated by the same parser.
//   - deepseek2 (model/gguf_deepseek.h for its keys): routed experts are stacked [E, rows, cols] per layer and each
//     expert's Linear points at its slice; kv_b_proj, when split into attn_k_b / attn_v_b, is put back together in
//     f32 at load (kv_lora x H x (nope + v) floats per layer); MTP layers are the last nextn_predict_layers blocks.
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "model/gguf_names.h"
#include "model/language_model.h"
#include "model/weight_source.h"

namespace seek {

// Whether `path` is a regular file that starts with the GGUF magic.
bool is_gguf_file(const std::string& path);

// The Hugging Face config.json (model_type deepseek_v3/v2, llama or qwen2) that the file's metadata describes. Throws
// Error naming the file and key when one is missing or the architecture is not supported.
nlohmann::json gguf_hf_config(const GgufFile& f);

// Tensors of a GGUF file by their Hugging Face names (WeightSource's contract): matrices in their stored type,
// vectors converted to f32. Errors name the file, the GGUF tensor and the Hugging Face name it stands for.
class GgufWeights : public WeightSource {
 public:
  explicit GgufWeights(GgufFile f) : f_(std::move(f)) {}
  bool has(const TensorSpec& s) const override;
  Linear matrix(const TensorSpec& s) override;
  Vec vector(const TensorSpec& s) override;

 private:
  const GgufTensorInfo& find(const TensorSpec& s) const;
  const GgufTensorInfo& find(const std::string& gguf_name, const TensorSpec& s, const Shape& shape) const;
  Linear matrix_of(const GgufTensorInfo& t, int64_t rows, int64_t cols) const;
  Linear expert(const GgufExpertSlice& e, const TensorSpec& s);
  Linear kv_b_from_split(const GgufKvBSplit& kv, const TensorSpec& s);
  GgufFile f_;
};

std::unique_ptr<LanguageModel> load_gguf_model(const std::string& path);

}  // namespace seek
