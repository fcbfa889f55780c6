// Small row-wise kernels of the transformer forward. Activations are f32 buffers, row-major; shapes are given next to
// each signature. In Precision::BF16 the caller rounds where the reference stores a bf16 tensor (round_bf16_inplace).
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace seek::cpu {

// x[n] <- bf16(x[n])
void round_bf16_inplace(float* x, int64_t n);

// out[rows, dim] = w[dim] * x / sqrt(mean(x^2) + eps). out may alias x.
// bf16_out: the reference normalizes in f32, rounds to bf16, then scales by the bf16 weight and rounds again.
void rmsnorm_forward(float* out, const float* x, const float* w, int64_t rows, int64_t dim, float eps, bool bf16_out);

// In place over rows of length n: x = softmax(x). Rows are at x + r * stride.
void softmax_rows(float* x, int64_t rows, int64_t n, int64_t stride);

// out[n] = silu(gate[n]) * up[n]; bf16 rounds silu's output before the product, as the reference's bf16 ops do.
void swiglu_forward(float* out, const float* gate, const float* up, int64_t n, bool bf16);

// Rotary embedding on interleaved pairs (x[2i], x[2i+1]) of each length-`dim` vector: (a, b) -> (a cos - b sin,
// a sin + b cos) with angle i. x holds `count` vectors at stride `stride`, all at the same position whose
// cos/sin rows (dim/2 values) are given.
void rope_interleaved(float* x, int64_t count, int64_t stride, int64_t dim, const float* cos, const float* sin);
// The same with the half-split convention (x[i], x[i + dim/2]) used by Llama/Qwen-style checkpoints.
void rope_half_split(float* x, int64_t count, int64_t stride, int64_t dim, const float* cos, const float* sin);

}  // namespace seek::cpu
