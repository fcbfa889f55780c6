// Trainable Linear and SwiGLU MLP: forward that keeps what backward needs, and backward that accumulates parameter
// gradients. Activations are f32 rows [M, features].
#pragma once
#include "core/uninit_vector.h"
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cpu/train_gemm.h"
#include "train/param_store.h"

namespace seek::train {

using cpu::GemmPrecision;

struct LinearP {
  float* w = nullptr;  // [out, in]
  float* g = nullptr;  // grad, [out, in]
  int64_t out = 0, in = 0;
};
// Creates "<prefix>.weight" [out, in] in the store.
LinearP make_linear(ParamStore& ps, const std::string& prefix, int64_t out, int64_t in);

struct VectorP {
  float* w = nullptr;  // [n]
  float* g = nullptr;
  int64_t n = 0;
};
VectorP make_vector(ParamStore& ps, const std::string& name, int64_t n, bool trainable = true);

// y[M, out] = x[M, in] · W^T
void linear_fwd(const LinearP& l, const float* x, int64_t M, float* y, GemmPrecision p);
// dW += dy^T · x;  dx (+)= dy · W  (dx may be null: no input gradient wanted)
void linear_bwd(const LinearP& l, const float* x, const float* dy, int64_t M, float* dx, bool accumulate_dx,
                GemmPrecision p);

// out = down(silu(gate(x)) * up(x)), keeping gate/up outputs and the product for backward.
struct MlpP {
  LinearP gate, up, down;  // gate/up: [inter, dim]; down: [dim, inter]
};
MlpP make_mlp(ParamStore& ps, const std::string& prefix, int64_t dim, int64_t inter);

struct MlpActs {
  uninit_vector<float> g, u, a;  // [M, inter] each: gate(x), up(x), silu(g) * u
};
void mlp_fwd(const MlpP& m, const float* x, int64_t M, float* out, MlpActs& s, GemmPrecision p);
// dx (+)= gradient w.r.t. x; parameter grads accumulated.
void mlp_bwd(const MlpP& m, const float* x, const float* dout, int64_t M, const MlpActs& s, float* dx,
             bool accumulate_dx, GemmPrecision p);

}  // namespace seek::train
