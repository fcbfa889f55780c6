#include "model/linear.h"

#include <algorithm>

#include "core/error.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/rowops.h"
#include "kernels/cpu/train_gemm.h"
#include "model/lora.h"

namespace seek {

Linear linear_from_tensor(Tensor w) {
  check(w.ndim() == 2 && w.dtype == DType::F32, "linear_from_tensor: expected a 2-d f32 tensor");
  Linear l;
  l.storage = w;
  l.w.dtype = DType::F32;
  l.w.data = w.data;
  l.w.rows = w.dim(0);
  l.w.cols = w.dim(1);
  return l;
}

namespace {
void add_bias(const Vec& b, float* y, int64_t T, int64_t N) {
  if (!b.defined()) return;
  for (int64_t t = 0; t < T; t++)
    for (int64_t n = 0; n < N; n++) y[t * N + n] += b.w[n];
}
}  // namespace

// ---- fast form ----

void linear_forward(const Linear& l, const float* x, int64_t T, float* y, Precision p) {
  cpu::matmul(y, x, T, l.w, p);
  add_bias(l.bias, y, T, l.out());
  if (l.lora) lora_forward(*l.lora, x, T, y);
  if (p == Precision::BF16) cpu::round_bf16_inplace(y, T * l.out());
}

void mlp_forward(const Mlp& m, const float* x, int64_t T, float* out, Precision p) {
  const int64_t inter = m.gate.out();
  uninit_vector<float> g(size_t(T * inter)), u(size_t(T * inter));
  linear_forward(m.gate, x, T, g.data(), p);  // [T, inter]
  linear_forward(m.up, x, T, u.data(), p);    // [T, inter]
  cpu::swiglu_forward(g.data(), g.data(), u.data(), T * inter, p == Precision::BF16);
  linear_forward(m.down, g.data(), T, out, p);  // [T, dim]
}

// ---- trainable form ----

namespace {
// dx[M, in] (+)= dy[M, out] · W[out, in] for a weight in its stored dtype: W is converted to f32 a block of rows at a
// time (never whole), each block's product accumulated.
void frozen_input_grad(const WeightRef& w, const float* dy, int64_t M, float* dx, bool accumulate) {
  const int64_t N = w.rows, K = w.cols, chunk = 128;
  uninit_vector<float> wc(size_t(std::min(N, chunk) * K)), dyc(size_t(M * std::min(N, chunk)));
  for (int64_t r0 = 0; r0 < N; r0 += chunk) {
    const int64_t n = std::min(chunk, N - r0);
    for (int64_t r = 0; r < n; r++) w.row_f32(r0 + r, &wc[size_t(r * K)], false);          // [n, K]
    for (int64_t m = 0; m < M; m++) std::copy_n(dy + m * N + r0, n, &dyc[size_t(m * n)]);  // [M, n]
    cpu::gemm_nn(dx, dyc.data(), wc.data(), M, K, n, accumulate || r0 > 0, Precision::F32);
  }
}
}  // namespace

void linear_fwd(const Linear& l, const float* x, int64_t M, float* y, Precision p) {
  if (l.master && l.fp8)
    cpu::gemm_nt_fp8(y, x, l.master, M, l.out(), l.in(), false);
  else if (l.master)
    cpu::gemm_nt(y, x, l.master, M, l.out(), l.in(), false, p);
  else
    cpu::matmul(y, x, M, l.w, Precision::F32);  // frozen: the stored weight, f32 arithmetic
  add_bias(l.bias, y, M, l.out());
  if (l.lora) lora_forward(*l.lora, x, M, y);
}

void linear_bwd(const Linear& l, const float* x, const float* dy, int64_t M, float* dx, bool accumulate_dx,
                Precision p) {
  if (M == 0) return;
  const int64_t N = l.out(), K = l.in();
  if (l.grad && l.fp8)
    cpu::gemm_tn_fp8(l.grad, dy, x, N, K, M, true);
  else if (l.grad)
    cpu::gemm_tn(l.grad, dy, x, N, K, M, true, p);  // dW[out, in] += dy[M, out]^T x[M, in]
  if (dx && l.master && l.fp8)
    cpu::gemm_nn_fp8(dx, dy, l.master, M, K, N, accumulate_dx);
  else if (dx && l.master)
    cpu::gemm_nn(dx, dy, l.master, M, K, N, accumulate_dx, p);  // dx[M, in] = dy[M, out] W[out, in]
  else if (dx)
    frozen_input_grad(l.w, dy, M, dx, accumulate_dx);
  if (l.bias.defined() && l.bias.g)
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) l.bias.g[n] += dy[m * N + n];
  if (l.lora) lora_backward(*l.lora, x, dy, M, dx);
}

void mlp_fwd(const Mlp& m, const float* x, int64_t M, float* out, MlpActs& s, Precision p) {
  const int64_t I = m.gate.out();
  s.g.resize(size_t(M * I));
  s.u.resize(size_t(M * I));
  s.a.resize(size_t(M * I));
  linear_fwd(m.gate, x, M, s.g.data(), p);
  linear_fwd(m.up, x, M, s.u.data(), p);
  cpu::swiglu_forward(s.a.data(), s.g.data(), s.u.data(), M * I);
  linear_fwd(m.down, s.a.data(), M, out, p);
}

void mlp_bwd(const Mlp& m, const float* x, const float* dout, int64_t M, const MlpActs& s, float* dx,
             bool accumulate_dx, Precision p) {
  const int64_t I = m.gate.out();
  uninit_vector<float> da(size_t(M * I)), dg(size_t(M * I)), du(size_t(M * I));
  linear_bwd(m.down, s.a.data(), dout, M, da.data(), false, p);
  cpu::swiglu_backward(dg.data(), du.data(), da.data(), s.g.data(), s.u.data(), M * I);
  linear_bwd(m.gate, x, dg.data(), M, dx, accumulate_dx, p);
  linear_bwd(m.up, x, du.data(), M, dx, true, p);
}

}  // namespace seek
