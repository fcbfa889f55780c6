// Linear layers and the dense SwiGLU MLP, over weights that stay in their checkpoint dtype (memory-mapped).
#pragma once
#include <string>

#include "core/tensor.h"
#include "formats/checkpoint.h"
#include "kernels/weight.h"

namespace seek {

struct Linear {
  WeightRef w;     // [out, in]
  Tensor storage;  // keeps w.data alive
  Tensor scale;    // fp8 block scales as f32 [ceil(out/b), ceil(in/b)] (undefined otherwise)
  Tensor bias;     // f32 [out] or undefined

  int64_t in() const { return w.cols; }
  int64_t out() const { return w.rows; }
};

// Loads `prefix.weight` [out, in] (and `prefix.weight_scale_inv` when it is e4m3), checking shape and dtype.
// With `with_bias`, also `prefix.bias` [out].
Linear load_linear(const Checkpoint& ck, const std::string& prefix, int64_t out, int64_t in, int64_t fp8_block,
                   bool with_bias = false);
// A vector parameter (norm weight, bias) converted to f32, shape-checked.
Tensor load_vector_f32(const Checkpoint& ck, const std::string& name, int64_t n);
// A weight held as a Linear over an f32 tensor we own (synthetic and derived weights, tests).
Linear linear_from_tensor(Tensor w);

// y[T, out] = x[T, in] · W^T (+ bias). In BF16 precision the output is rounded to bf16, as the reference's bf16
// GEMM returns bf16.
void linear_forward(const Linear& l, const float* x, int64_t T, float* y, Precision p);

struct Mlp {
  Linear gate, up, down;  // gate/up: [inter, dim]; down: [dim, inter]
};
Mlp load_mlp(const Checkpoint& ck, const std::string& prefix, int64_t dim, int64_t inter, int64_t fp8_block);
// out[T, dim] = down( silu(gate(x)) * up(x) ), x[T, dim]
void mlp_forward(const Mlp& m, const float* x, int64_t T, float* out, Precision p);

}  // namespace seek
