// Linear layers, weight vectors and the SwiGLU MLP — the leaves every model is built of — in both forms:
//   fast:      linear_forward / mlp_forward read the weight as the fast form holds it (WeightRef: a checkpoint's
//              stored dtype memory-mapped, the trainer's f32 master, or a bf16 copy of it), with the reference's
//              bf16 rounding in Precision::BF16;
//   trainable: linear_fwd / linear_bwd and mlp_fwd / mlp_bwd read the f32 master, keep what backward needs and
//              accumulate gradients (Precision::BF16: GEMM operands rounded to bf16, products accumulated in f32).
//              A frozen Linear (no master: a checkpoint's weight, e.g. the base under a LoRA adapter) is read in its
//              stored dtype in f32 arithmetic, gets no gradient, and still passes the input gradient through.
// A Linear may carry a LoRA adapter (model/lora.h): both forms then add scaling * (x A^T) B^T, and the trainable
// form accumulates the adapter's gradients.
// Activations are f32 rows [M, features].
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "core/uninit_vector.h"
#include "kernels/weight.h"

namespace seek {

struct LoraLayer;  // model/lora.h

// A weight vector (norm weight, bias, selection bias): f32. `g` is its gradient in a trainable model (else null).
struct Vec {
  float* w = nullptr;  // [n]
  float* g = nullptr;  // [n] or null
  int64_t n = 0;
  Tensor storage;  // keeps w alive when the vector is a converted copy
  bool defined() const { return w != nullptr; }
};

struct Linear {
  WeightRef w;                      // [out, in] as the fast form reads it
  Tensor storage, scale;            // keep w.data (and fp8 block scales, f32) alive
  Vec bias;                         // [out], or undefined
  float* master = nullptr;          // trainable models: the f32 value [out, in] (w may be this, or a bf16 copy of it)
  float* grad = nullptr;            // trainable models: the gradient [out, in]
  const LoraLayer* lora = nullptr;  // an adapter on this layer (owned by a LoraAdapter), or null
  bool fp8 = false;                 // trainable: its three GEMMs in FP8 (kernels/cpu/train_gemm.h *_fp8), whatever p

  int64_t in() const { return w.cols; }
  int64_t out() const { return w.rows; }
};

// A Linear over an f32 tensor the caller owns (derived weights, tests).
Linear linear_from_tensor(Tensor w);

// ---- fast form ----
// y[T, out] = x[T, in] · W^T (+ bias). In Precision::BF16 the output is rounded to bf16, as the reference's bf16
// GEMM returns bf16.
void linear_forward(const Linear& l, const float* x, int64_t T, float* y, Precision p);

// ---- trainable form (master and grad; or frozen: neither) ----
// A layer marked fp8 runs y = x W^T, dW = dy^T x and dx = dy W as DeepSeek-V3's FP8 GEMMs; the rest of the model
// stays in p.
// y[M, out] = x[M, in] · W^T (+ bias) (+ the adapter's term)
void linear_fwd(const Linear& l, const float* x, int64_t M, float* y, Precision p);
// dW += dy^T · x when the layer has a gradient (and dbias += sum dy when the bias has one; the adapter's gradients
// when it has them);  dx (+)= dy · W (+ the adapter's term)  (dx may be null: no input gradient wanted)
void linear_bwd(const Linear& l, const float* x, const float* dy, int64_t M, float* dx, bool accumulate_dx,
                Precision p);

// out[T, dim] = down( silu(gate(x)) * up(x) ), x[T, dim]
struct Mlp {
  Linear gate, up, down;  // gate/up: [inter, dim]; down: [dim, inter]
};
void mlp_forward(const Mlp& m, const float* x, int64_t T, float* out, Precision p);

struct MlpActs {
  uninit_vector<float> g, u, a;  // [M, inter] each: gate(x), up(x), silu(g) * u
};
void mlp_fwd(const Mlp& m, const float* x, int64_t M, float* out, MlpActs& s, Precision p);
// dx (+)= gradient w.r.t. x; parameter grads accumulated.
void mlp_bwd(const Mlp& m, const float* x, const float* dout, int64_t M, const MlpActs& s, float* dx,
             bool accumulate_dx, Precision p);

}  // namespace seek
