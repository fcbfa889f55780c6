// Which type each tensor of a GGUF file seek writes gets: the file type's own (f32 f16 bf16 q8_0 q4_0 q5_0 q4_1
// q5_1), or for the K-quant mixes (q4_K_M, q5_K_M) a type per tensor, chosen as llama.cpp's quantizer chooses it
// without an importance matrix, so that `seek convert --type q4_K_M` writes the file llama.cpp's quantizer writes from
// the same weights:
//   - vectors, the MoE router (ffn_gate_inp) and norms stay f32;
//   - output.weight (token_embd when the head is tied) is q6_K in every quantized file but q8_0 (q8_0 when its rows
//     are not whole 256-blocks);
//   - q4_K_M / q5_K_M: q4_K / q5_K, but q6_K for attn_v (DeepSeek's joined attn_kv_b too) and ffn_down (routed,
//     shared and dense) in the layers use_more_bits picks (the first and last eighth, and every third between),
//     and with exactly 8 routed experts attn_v / attn_kv_b and attn_k q8_0 (and, in q4_K_M, attn_output q5_K);
//   - a matrix whose rows are not whole blocks of its type falls back: q4_K -> q5_0, q5_K -> q5_1, q6_K -> q8_0,
//     then f16; the 32-element types -> f16.
#pragma once
#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "core/tensor.h"
#include "formats/gguf.h"

namespace seek {

class GgufTensorTypes {
 public:
  // `file_type`: f32 f16 bf16 q8_0 q4_0 q5_0 q4_1 q5_1 q4_K_M q5_K_M (Error listing them for another). n_layer: blocks
  // in the file (MTP layers included); n_expert: routed experts per MoE layer (0 for a dense model); has_output: the
  // file has output.weight (an untied head).
  GgufTensorTypes(const std::string& file_type, int64_t n_layer, int64_t n_expert, bool has_output);

  // The type of tensor `gguf_name` of `shape` ([..., cols]); keep_f32: a matrix kept in f32 whatever the file type.
  DType choose(const std::string& gguf_name, const Shape& shape, bool keep_f32);

  uint32_t file_type() const { return ftype_; }  // general.file_type (llama.cpp's llama_ftype)
  bool quantized() const;                        // general.quantization_version applies
  int64_t fallbacks() const { return fallbacks_; }

 private:
  DType base_ = DType::F16;
  bool k_mix_ = false;
  uint32_t ftype_ = 1;
  int64_t n_layer_, n_expert_;
  bool has_output_;
  int64_t fallbacks_ = 0;
};

GgmlType ggml_type_of(DType t);  // the GGUF tensor type number of a DType seek writes

}  // namespace seek
