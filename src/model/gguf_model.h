// Models from llama.cpp GGUF files: the dense architectures `llama` and `qwen2` (the R1-Distill models), their
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
// The deepseek2 architecture (MLA with split attn_k_b/attn_v_b, stacked experts) is not supported yet: loading one
// is an Error saying so.
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "model/language_model.h"
#include "model/weight_source.h"

namespace seek {

// Whether `path` is a regular file that starts with the GGUF magic.
bool is_gguf_file(const std::string& path);

// The Hugging Face config.json (model_type llama or qwen2) that the file's metadata describes. Throws Error naming
// the file and key when one is missing or the architecture is not supported.
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
  GgufFile f_;
};

std::unique_ptr<LanguageModel> load_gguf_model(const std::string& path);

}  // namespace seek
