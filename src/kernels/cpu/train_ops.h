// Forward and backward of the row-wise ops a DeepSeek-V3 block is trained with. Each forward saves what its backward
// needs (named in the signature); each backward takes the upstream gradient and returns (or accumulates into) the
// input gradients. Templated on the scalar: float for training, double for the finite-difference tests.
// Layout: activations are row-major [rows, dim]; "rows" are the B*T tokens of a batch, row = b*T + t.
#pragma once
#include <cstdint>

namespace seek::cpu {

// y[r, :] = w * x[r, :] * rstd[r],  rstd[r] = 1 / sqrt(mean(x[r, :]^2) + eps).  Saves rstd[rows].
template <class T>
void rmsnorm_train_forward(T* y, T* rstd, const T* x, const T* w, int64_t rows, int64_t dim, double eps);
// dx (+)= d/dx, dw += d/dw.  dx may not alias dy.
template <class T>
void rmsnorm_train_backward(T* dx, T* dw, const T* dy, const T* x, const T* w, const T* rstd, int64_t rows, int64_t dim,
                            bool accumulate_dx);

// out[n] = silu(gate[n]) * up[n]
template <class T>
void swiglu_train_forward(T* out, const T* gate, const T* up, int64_t n);
// dgate[n] = dout * up * silu'(gate), dup[n] = dout * silu(gate)
template <class T>
void swiglu_train_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t n);

// Rotary embedding on interleaved pairs of the `dim`-wide slice at column `offset` of each of `heads` vectors per
// row: x[rows, heads, stride]. Row r is at sequence position pos[r]; cos/sin are [max_pos, dim/2] tables.
// inverse = rotate by -angle, which is the backward of the forward rotation (a rotation's transpose).
template <class T>
void rope_train(T* x, int64_t rows, int64_t heads, int64_t stride, int64_t offset, int64_t dim, const int32_t* pos,
                const float* cos, const float* sin, bool inverse);

// Causal softmax attention for B sequences of T tokens and H heads:
//   q[B*T, H, dk], k[B*T, H, dk], v[B*T, H, dv] -> o[B*T, H, dv], o_i = sum_{j<=i} softmax_j(scale q_i.k_j) v_j.
// Saves the probabilities p[B, H, T, T] (entries above the diagonal are 0).
template <class T>
void attention_train_forward(T* o, T* p, const T* q, const T* k, const T* v, int64_t B, int64_t T_, int64_t H,
                             int64_t dk, int64_t dv, double scale);
// dq, dk, dv written (not accumulated), same layouts as q, k, v.
template <class T>
void attention_train_backward(T* dq, T* dk_, T* dv_, const T* dout, const T* p, const T* q, const T* k, const T* v,
                              int64_t B, int64_t T_, int64_t H, int64_t dk, int64_t dv, double scale);

// Cross-entropy of logits[rows, V] against targets[rows] (target < 0: row ignored). Returns the SUM of the losses
// (natural log) over the rows counted. Writes dlogits = grad_scale * (softmax(logits) - onehot(target)) (0 for
// ignored rows); dlogits may alias logits.
template <class T>
double cross_entropy_train(T* dlogits, const T* logits, const int32_t* targets, int64_t rows, int64_t V,
                           double grad_scale);

}  // namespace seek::cpu
