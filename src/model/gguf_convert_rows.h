// Internal to the GGUF converters (gguf_convert.cpp, gguf_convert_deepseek.cpp): the file types seek writes, one
// way to write a tensor row by row from f32 rows, and the DeepSeek half of the converter.
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

namespace seek {

struct GgufFileType {
  GgmlType type;
  uint32_t ftype;  // general.file_type (llama.cpp's llama_ftype)
  DType dtype;
};
// By name (f32 f16 bf16 q8_0 q4_0 q5_0); Error listing them for another.
const GgufFileType& gguf_file_type(const std::string& name);

// Writes f32 rows into a GGUF tensor of `shape` ([..., cols]; rows = numel / cols): `row(r, dst)` fills row r.
// Vectors (1-d) and `keep_f32` tensors are written f32; rows that are not whole blocks of the file's type fall back
// to f16, as llama.cpp does, counted in *fallbacks.
using RowFill = std::function<void(int64_t r, float* dst)>;
void add_gguf_rows(GgufWriter& w, const std::string& name, const GgufFileType& ft, const Shape& shape, bool keep_f32,
                   RowFill row, int64_t* fallbacks);

// The deepseek2 tensors of a DeepSeek folder (gguf_convert_deepseek.cpp): experts stacked, kv_b_proj split into
// attn_k_b / attn_v_b as llama.cpp's converter writes them, MTP layers under the NextN names.
struct DeepSeekConfig;
class WeightSource;
void add_deepseek2_tensors(const DeepSeekConfig& c, WeightSource& src, const GgufFileType& ft, bool split_kv_b,
                           GgufWriter& w, int64_t* fallbacks, const std::function<void(const std::string&)>& log);
// All tensors of a deepseek2 file by their Hugging Face names, dequantized to f32 (kv_b_proj joined again).
std::vector<std::pair<std::string, Tensor>> deepseek2_hf_tensors(const std::string& gguf_path, const DeepSeekConfig& c);

// general.* keys every converted file carries.
void add_gguf_general(const std::string& arch, const std::string& name, const GgufFileType& ft, GgufWriter& w);

}  // namespace seek
