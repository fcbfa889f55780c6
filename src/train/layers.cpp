#include "core/uninit_vector.h"
#include "train/layers.h"

#include "kernels/cpu/train_ops.h"

namespace seek::train {

LinearP make_linear(ParamStore& ps, const std::string& prefix, int64_t out, int64_t in) {
  Param& p = ps.add(prefix + ".weight", {out, in});
  return LinearP{p.value.data(), p.grad.data(), out, in};
}

VectorP make_vector(ParamStore& ps, const std::string& name, int64_t n, bool trainable) {
  Param& p = ps.add(name, {n}, trainable);
  return VectorP{p.value.data(), p.grad.data(), n};
}

void linear_fwd(const LinearP& l, const float* x, int64_t M, float* y, GemmPrecision p) {
  cpu::gemm_nt(y, x, l.w, M, l.out, l.in, false, p);
}

void linear_bwd(const LinearP& l, const float* x, const float* dy, int64_t M, float* dx, bool accumulate_dx,
                GemmPrecision p) {
  if (M == 0) return;
  cpu::gemm_tn(l.g, dy, x, l.out, l.in, M, true, p);                    // dW[out, in] += dy[M, out]^T x[M, in]
  if (dx) cpu::gemm_nn(dx, dy, l.w, M, l.in, l.out, accumulate_dx, p);  // dx[M, in] = dy[M, out] W[out, in]
}

MlpP make_mlp(ParamStore& ps, const std::string& prefix, int64_t dim, int64_t inter) {
  MlpP m;
  m.gate = make_linear(ps, prefix + ".gate_proj", inter, dim);
  m.up = make_linear(ps, prefix + ".up_proj", inter, dim);
  m.down = make_linear(ps, prefix + ".down_proj", dim, inter);
  return m;
}

void mlp_fwd(const MlpP& m, const float* x, int64_t M, float* out, MlpActs& s, GemmPrecision p) {
  const int64_t I = m.gate.out;
  s.g.resize(size_t(M * I));
  s.u.resize(size_t(M * I));
  s.a.resize(size_t(M * I));
  linear_fwd(m.gate, x, M, s.g.data(), p);
  linear_fwd(m.up, x, M, s.u.data(), p);
  cpu::swiglu_train_forward(s.a.data(), s.g.data(), s.u.data(), M * I);
  linear_fwd(m.down, s.a.data(), M, out, p);
}

void mlp_bwd(const MlpP& m, const float* x, const float* dout, int64_t M, const MlpActs& s, float* dx,
             bool accumulate_dx, GemmPrecision p) {
  const int64_t I = m.gate.out;
  uninit_vector<float> da(static_cast<size_t>(M * I)), dg(static_cast<size_t>(M * I)), du(static_cast<size_t>(M * I));
  linear_bwd(m.down, s.a.data(), dout, M, da.data(), false, p);
  cpu::swiglu_train_backward(dg.data(), du.data(), da.data(), s.g.data(), s.u.data(), M * I);
  linear_bwd(m.gate, x, dg.data(), M, dx, accumulate_dx, p);
  linear_bwd(m.up, x, du.data(), M, dx, true, p);
}

}  // namespace seek::train
