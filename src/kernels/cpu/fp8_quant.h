// e4m3 quantization for FP8 training as DeepSeek-V3 does it: each group of values is divided by its scale, the
// group's max |x| / 448 (448: e4m3's largest finite value; an all-zero group gets scale 1), and rounded to the
// nearest e4m3 value, ties to even. Groups: 1 x 128 tiles of a row (activations and gradients, along the GEMM's K)
// or 128 x 128 blocks (weights). The quantized values are returned as f32 or bf16 bits: every e4m3 value is exact
// in both, so the GEMM that follows multiplies e4m3 values exactly (kernels/cpu/matmul.h, matmul_block_scaled).
// A group whose amax / 448 is below the smallest normal float gets that smallest normal as its scale (its values
// then quantize to 0 or tiny codes), never a zero or subnormal scale that would make x / scale infinite or NaN.
#pragma once
#include <cstdint>

namespace seek::cpu {

inline constexpr float kE4m3Max = 448.0f;

// v (|v| <= 448) rounded to the nearest e4m3 value, ties to even; subnormals (below 2^-6) in steps of 2^-9.
float round_e4m3(float v);

// q[rows, cols] = round_e4m3(x / scale), scale[r * KB + kb] the scale of row r's 128-column tile kb
// (KB = ceil(cols / 128); the last tile may be shorter).
void fp8_quantize_tiles(const float* x, int64_t rows, int64_t cols, float* q, float* scale);

// The same per 128 x 128 block: q as bf16 bits [rows, cols], scale per row and column block [rows, KB] (the 128
// rows of a block share its value), the layout matmul_block_scaled reads.
void fp8_quantize_blocks(const float* w, int64_t rows, int64_t cols, uint16_t* q, float* scale);

}  // namespace seek::cpu
