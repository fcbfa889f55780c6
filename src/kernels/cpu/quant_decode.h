// Block dequantization for the matmul kernels: the same f32 values as core/quant_blocks.h's dequantize_row, bit
// for bit (every product and difference rounded as the reference rounds it, no fused multiply-add), computed 8
// lanes at a time on AVX2 machines and by dequantize_row itself elsewhere. tests/oracle/ggml_oracle.cpp checks
// both against llama.cpp's dequantizers.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace seek::cpu {

// n elements (whole blocks) of type t at src -> dst. Element types convert as to_f32 does.
void decode_blocks(DType t, const void* src, float* dst, int64_t n);
// Columns [k0, k0 + n) of a row of blocks starting at `row` -> dst[n]: k0 and n multiples of 32 (a GEMM packer's
// slice of a row, which may start inside a 256-element block).
void decode_range(DType t, const void* row, int64_t k0, int64_t n, float* dst);

}  // namespace seek::cpu
