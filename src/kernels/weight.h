// A weight matrix as it sits in a checkpoint: [rows=N out features, cols=K in features], row-major, in its stored
// dtype (f32, bf16, f16, e4m3 with one f32 scale per 128x128 block, or a GGUF block type (core/quant_blocks.h):
// each row then is row_bytes(dtype, cols) bytes of blocks). Kernels read it in place (memory-mapped);
// nothing is converted at load time, so resident memory is the checkpoint's own size.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace seek {

struct WeightRef {
  DType dtype = DType::F32;
  const void* data = nullptr;
  int64_t rows = 0;                  // N (output features)
  int64_t cols = 0;                  // K (input features)
  const float* scale_inv = nullptr;  // e4m3 only: [ceil(rows/128), ceil(cols/128)], W = q * scale_inv[r/128][c/128]
  int64_t block = 128;

  int64_t scale_cols() const { return (cols + block - 1) / block; }
  size_t row_stride() const;  // bytes from one row to the next
  double bytes() const;       // the stored matrix, e4m3 block scales included
  // Element (r, c) dequantized to f32 (slow path: tests, gathers).
  float at(int64_t r, int64_t c) const;
  // Row r dequantized to f32 (len cols). If round_bf16, each value is rounded to bf16 first, which is what the
  // reference computes when it dequantizes an fp8 weight to a bf16 tensor.
  void row_f32(int64_t r, float* out, bool round_bf16) const;
};

// How activations and weights are rounded, as the reference computes in its default dtype.
//   F32:  weights are used at full value (fp8 dequantized in f32); activations stay f32.
//   BF16: fp8 weights are dequantized to bf16; every activation the reference keeps in bf16 is rounded to bf16.
// Accumulation is in f32 in both, as GEMMs on bf16 inputs accumulate in f32.
enum class Precision { F32, BF16 };

}  // namespace seek
