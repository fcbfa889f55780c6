#include "kernels/weight.h"

#include "core/error.h"
#include "core/quant_blocks.h"

namespace seek {

size_t WeightRef::row_stride() const { return row_bytes(dtype, cols); }

double WeightRef::bytes() const {
  const double scales = dtype == DType::E4M3 ? 4.0 * double((rows + block - 1) / block) * double(scale_cols()) : 0.0;
  return double(rows) * double(row_stride()) + scales;
}

float WeightRef::at(int64_t r, int64_t c) const {
  if (is_block_dtype(dtype)) {
    const int64_t be = block_elems(dtype);
    float b[256];  // one block (at most 256 elements)
    dequantize_row(dtype, static_cast<const char*>(data) + r * row_stride() + (c / be) * block_bytes(dtype), b, be);
    return b[c % be];
  }
  switch (dtype) {
    case DType::F32: return static_cast<const float*>(data)[r * cols + c];
    case DType::BF16: return bf16_to_f32(static_cast<const uint16_t*>(data)[r * cols + c]);
    case DType::F16: return f16_to_f32(static_cast<const uint16_t*>(data)[r * cols + c]);
    case DType::E4M3:
      return e4m3_to_f32(static_cast<const uint8_t*>(data)[r * cols + c]) *
             scale_inv[(r / block) * scale_cols() + c / block];
    default: throw Error(std::string("weights of dtype ") + dtype_name(dtype) + " are not supported");
  }
}

void WeightRef::row_f32(int64_t r, float* out, bool round) const {
  if (dtype == DType::E4M3) {
    const uint8_t* q = static_cast<const uint8_t*>(data) + r * cols;
    const float* s = scale_inv + (r / block) * scale_cols();
    for (int64_t c = 0; c < cols; c++) {
      float v = e4m3_to_f32(q[c]) * s[c / block];
      out[c] = round ? round_bf16(v) : v;
    }
    return;
  }
  dequantize_row(dtype, static_cast<const char*>(data) + size_t(r) * row_stride(), out, cols);
}

}  // namespace seek
