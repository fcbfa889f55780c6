#include "model/gguf_tensor_types.h"

#include <cstdio>
#include <map>

#include "core/error.h"
#include "core/quant_blocks.h"

namespace seek {

namespace {

struct FileType {
  DType base;
  uint32_t ftype;
  bool k_mix;
};
const std::map<std::string, FileType>& file_types() {
  static const std::map<std::string, FileType> m = {
      {"f32", {DType::F32, 0, false}},     {"f16", {DType::F16, 1, false}},   {"bf16", {DType::BF16, 32, false}},
      {"q8_0", {DType::Q8_0, 7, false}},   {"q4_0", {DType::Q4_0, 2, false}}, {"q5_0", {DType::Q5_0, 8, false}},
      {"q4_1", {DType::Q4_1, 3, false}},   {"q5_1", {DType::Q5_1, 9, false}}, {"q4_K_M", {DType::Q4_K, 15, true}},
      {"q5_K_M", {DType::Q5_K, 17, true}},
  };
  return m;
}

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// The quantizer's choice of layers that get more bits: the first and last eighth, and every third layer between.
bool use_more_bits(int64_t layer, int64_t n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

int64_t layer_of(const std::string& name) {
  int layer = -1;
  return std::sscanf(name.c_str(), "blk.%d.", &layer) == 1 ? layer : -1;
}

}  // namespace

GgufTensorTypes::GgufTensorTypes(const std::string& file_type, int64_t n_layer, int64_t n_expert, bool has_output)
    : n_layer_(n_layer), n_expert_(n_expert), has_output_(has_output) {
  auto it = file_types().find(file_type);
  if (it == file_types().end())
    throw Error("--type '" + file_type +
                "' is not a GGUF type seek writes (f32, f16, bf16, q8_0, q4_0, q5_0, q4_1, q5_1, q4_K_M, q5_K_M)");
  base_ = it->second.base;
  ftype_ = it->second.ftype;
  k_mix_ = it->second.k_mix;
}

bool GgufTensorTypes::quantized() const { return is_block_dtype(base_); }

DType GgufTensorTypes::choose(const std::string& g, const Shape& shape, bool keep_f32) {
  if (shape.size() == 1 || keep_f32 || has(g, "_norm.weight") || has(g, "ffn_gate_inp.weight")) return DType::F32;
  const int64_t cols = shape.back();
  DType t = base_;
  if (quantized()) {
    if (g == "output.weight" || (!has_output_ && g == "token_embd.weight")) {
      if (t != DType::Q8_0) t = cols % 256 ? DType::Q8_0 : DType::Q6_K;
    } else if (k_mix_) {
      const int64_t layer = layer_of(g);
      if (has(g, "attn_v.weight") || has(g, "attn_kv_b.weight")) {  // V-like: one per layer
        if (use_more_bits(layer, n_layer_)) t = DType::Q6_K;
        if (n_expert_ == 8) t = DType::Q8_0;
      } else if (has(g, "attn_k.weight")) {
        if (n_expert_ == 8) t = DType::Q8_0;
      } else if (has(g, "ffn_down")) {
        if (use_more_bits(layer, n_layer_)) t = DType::Q6_K;
      } else if (has(g, "attn_output.weight")) {
        if (n_expert_ == 8 && base_ == DType::Q4_K) t = DType::Q5_K;  // q4_K_M only
      }
    }
  }
  if (cols % block_elems(t) == 0) return t;
  fallbacks_++;
  t = t == DType::Q4_K ? DType::Q5_0 : t == DType::Q5_K ? DType::Q5_1 : t == DType::Q6_K ? DType::Q8_0 : DType::F16;
  return cols % block_elems(t) == 0 ? t : DType::F16;
}

GgmlType ggml_type_of(DType t) {
  switch (t) {
    case DType::F32: return GgmlType::F32;
    case DType::F16: return GgmlType::F16;
    case DType::BF16: return GgmlType::BF16;
    case DType::Q8_0: return GgmlType::Q8_0;
    case DType::Q4_0: return GgmlType::Q4_0;
    case DType::Q5_0: return GgmlType::Q5_0;
    case DType::Q4_1: return GgmlType::Q4_1;
    case DType::Q5_1: return GgmlType::Q5_1;
    case DType::Q4_K: return GgmlType::Q4_K;
    case DType::Q5_K: return GgmlType::Q5_K;
    case DType::Q6_K: return GgmlType::Q6_K;
    default: throw Error(std::string("GGUF: no tensor type for ") + dtype_name(t));
  }
}

}  // namespace seek
