// The row-wise ops of a transformer block — RMSNorm, SwiGLU, RoPE, softmax — once, for both model forms: each
// forward can save what its backward needs, and each backward takes the upstream gradient and returns (or
// accumulates into) the input gradients. Templated on the scalar: float for the models, double for the
// finite-difference tests. Layout: activations are row-major [rows, dim].
// `bf16` flags (float only) emulate the reference's bf16 tensors in the fast form: where the reference stores a
// bf16 result, the value is rounded to bf16 at that point.
#pragma once
#include <cstdint>

namespace seek::cpu {

// x[n] <- bf16(x[n])
void round_bf16_inplace(float* x, int64_t n);

// y[r, :] = w * x[r, :] * rstd[r],  rstd[r] = 1 / sqrt(mean(x[r, :]^2) + eps). y may alias x. rstd_out (may be
// null) saves rstd[rows] for the backward. bf16: normalize in f32, round, multiply by the weight, round again.
template <class T>
void rmsnorm_forward(T* y, const T* x, const T* w, int64_t rows, int64_t dim, double eps, T* rstd_out = nullptr,
                     bool bf16 = false);
// dx (+)= d/dx, dw += d/dw.  dx may not alias dy.
template <class T>
void rmsnorm_backward(T* dx, T* dw, const T* dy, const T* x, const T* w, const T* rstd, int64_t rows, int64_t dim,
                      bool accumulate_dx);

// out[n] = silu(gate[n]) * up[n], silu(g) = g / (1 + e^-g). out may alias gate. bf16: silu rounded, then the
// product rounded.
template <class T>
void swiglu_forward(T* out, const T* gate, const T* up, int64_t n, bool bf16 = false);
// dgate[n] = dout * up * silu'(gate), dup[n] = dout * silu(gate)
template <class T>
void swiglu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t n);

// Rotary embedding. Interleaved rotates pairs (v[2i], v[2i+1]) (DeepSeek); HalfSplit rotates (v[i], v[i+dim/2])
// (Llama/Qwen): (a, b) -> (a cos - b sin, a sin + b cos) with angle i.
enum class RopeStyle { Interleaved, HalfSplit };
// x[rows, heads, stride]: the `dim`-wide slice at column `offset` of each head vector. Row r is at table row
// pos[r] of cos/sin [P, dim/2]. inverse: rotate by -angle, the backward of the forward rotation (its transpose).
// bf16_ops (float only): every product and sum rounded to bf16, as the reference evaluates x*cos + rot(x)*sin on
// bf16 tensors (the tables must then hold bf16 values).
template <class T>
void rope(T* x, int64_t rows, int64_t heads, int64_t stride, int64_t offset, int64_t dim, const int32_t* pos,
          const float* cos, const float* sin, RopeStyle style, bool inverse = false, bool bf16_ops = false);

// In place over rows of length n at x + r * stride: x = softmax(x) (max-subtracted, sum in double). A row whose
// every entry is -inf becomes zeros rather than NaN.
void softmax_rows(float* x, int64_t rows, int64_t n, int64_t stride);

}  // namespace seek::cpu
