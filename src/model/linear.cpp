#include "model/linear.h"

#include <vector>

#include "core/error.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/matmul.h"

namespace seek {

Linear load_linear(const Checkpoint& ck, const std::string& prefix, int64_t out, int64_t in, int64_t fp8_block,
                   bool with_bias) {
  Linear l;
  const std::string wname = prefix + ".weight";
  l.storage = ck.get(wname, {out, in});
  DType dt = l.storage.dtype;
  if (dt != DType::F32 && dt != DType::BF16 && dt != DType::F16 && dt != DType::E4M3)
    throw Error(ck.dir() + ": tensor '" + wname + "' has dtype " + dtype_name(dt) +
                "; weights must be F32, BF16, F16 or F8_E4M3");
  l.w.dtype = dt;
  l.w.data = l.storage.data;
  l.w.rows = out;
  l.w.cols = in;
  if (dt == DType::E4M3) {
    const std::string sname = prefix + ".weight_scale_inv";
    if (!ck.has(sname))
      throw Error(ck.dir() + ": missing tensor '" + sname + "' (the block scales of fp8 weight '" + wname + "')");
    int64_t b = fp8_block;
    Tensor s = ck.get(sname, {(out + b - 1) / b, (in + b - 1) / b});
    l.scale = s.dtype == DType::F32 ? s : s.to_f32();
    l.w.scale_inv = l.scale.f32();
    l.w.block = b;
  }
  if (with_bias) l.bias = load_vector_f32(ck, prefix + ".bias", out);
  return l;
}

Tensor load_vector_f32(const Checkpoint& ck, const std::string& name, int64_t n) {
  Tensor t = ck.get(name, {n});
  if (t.dtype != DType::F32 && t.dtype != DType::BF16 && t.dtype != DType::F16)
    throw Error(ck.dir() + ": tensor '" + name + "' has dtype " + dtype_name(t.dtype) + ", expected F32, BF16 or F16");
  return t.to_f32();
}

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

void linear_forward(const Linear& l, const float* x, int64_t T, float* y, Precision p) {
  cpu::matmul(y, x, T, l.w, p);
  const int64_t N = l.out();
  if (l.bias.defined() && l.bias.numel()) {
    const float* b = l.bias.f32();
    for (int64_t t = 0; t < T; t++)
      for (int64_t n = 0; n < N; n++) y[t * N + n] += b[n];
  }
  if (p == Precision::BF16) cpu::round_bf16_inplace(y, T * N);
}

Mlp load_mlp(const Checkpoint& ck, const std::string& prefix, int64_t dim, int64_t inter, int64_t fp8_block) {
  Mlp m;
  m.gate = load_linear(ck, prefix + ".gate_proj", inter, dim, fp8_block);
  m.up = load_linear(ck, prefix + ".up_proj", inter, dim, fp8_block);
  m.down = load_linear(ck, prefix + ".down_proj", dim, inter, fp8_block);
  return m;
}

void mlp_forward(const Mlp& m, const float* x, int64_t T, float* out, Precision p) {
  const int64_t inter = m.gate.out();
  std::vector<float> g(size_t(T * inter)), u(size_t(T * inter));
  linear_forward(m.gate, x, T, g.data(), p);  // [T, inter]
  linear_forward(m.up, x, T, u.data(), p);    // [T, inter]
  cpu::swiglu_forward(g.data(), g.data(), u.data(), T * inter, p == Precision::BF16);
  linear_forward(m.down, g.data(), T, out, p);  // [T, dim]
}

}  // namespace seek
