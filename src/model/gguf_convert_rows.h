// Internal to the GGUF converters (gguf_convert.cpp, gguf_convert_deepseek.cpp): one way to write a tensor row by row
// from f32 rows, and the DeepSeek half of the converter.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"
#include "formats/gguf.h"
#include "formats/gguf_write.h"
#include "model/gguf_tensor_types.h"

namespace seek {

// Writes f32 rows into a GGUF tensor of `shape` ([..., cols]; rows = numel / cols) in the type `types` chooses for
// it (keep_f32: a matrix kept in f32): `row(r, dst)` fills row r.
using RowFill = std::function<void(int64_t r, float* dst)>;
void add_gguf_rows(GgufWriter& w, const std::string& name, GgufTensorTypes& types, const Shape& shape, bool keep_f32,
                   RowFill row);

// The deepseek2 tensors of a DeepSeek folder (gguf_convert_deepseek.cpp): experts stacked, kv_b_proj split into
// attn_k_b / attn_v_b as llama.cpp's converter writes them, MTP layers under the NextN names.
struct DeepSeekConfig;
class WeightSource;
void add_deepseek2_tensors(const DeepSeekConfig& c, WeightSource& src, GgufTensorTypes& types, bool split_kv_b,
                           GgufWriter& w, const std::function<void(const std::string&)>& log);
// All tensors of a deepseek2 file by their Hugging Face names, dequantized to f32 (kv_b_proj joined again).
std::vector<std::pair<std::string, Tensor>> deepseek2_hf_tensors(const std::string& gguf_path, const DeepSeekConfig& c);

// general.* keys every converted file carries.
void add_gguf_general(const std::string& arch, const std::string& name, const GgufTensorTypes& types, GgufWriter& w);

}  // namespace seek
