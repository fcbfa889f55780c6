#include "model/weight_source.h"

#include "core/error.h"

namespace seek {

Linear bind_linear(WeightSource& src, const TensorSpec& w, const std::optional<TensorSpec>& bias) {
  Linear l = src.matrix(w);
  if (bias) l.bias = src.vector(*bias);
  return l;
}

Linear CheckpointWeights::matrix(const TensorSpec& s) {
  check(s.shape.size() == 2, "schema: '" + s.name + "' is not a matrix");
  Linear l;
  l.storage = ck_.get(s.name, s.shape);
  const DType dt = l.storage.dtype;
  const bool float_dtype = dt == DType::F32 || dt == DType::BF16 || dt == DType::F16;
  if (s.role == Role::Embedding) {
    if (!float_dtype)
      throw Error(ck_.dir() + ": tensor '" + s.name + "' has dtype " + dtype_name(dt) + ", expected F32, BF16 or F16");
  } else if (s.role == Role::Router && dt == DType::E4M3) {
    throw Error(ck_.dir() + ": tensor '" + s.name + "' is fp8; the gate must be F32/BF16/F16");
  } else if (!float_dtype && dt != DType::E4M3) {
    throw Error(ck_.dir() + ": tensor '" + s.name + "' has dtype " + dtype_name(dt) +
                "; weights must be F32, BF16, F16 or F8_E4M3");
  }
  l.w.dtype = dt;
  l.w.data = l.storage.data;
  l.w.rows = s.shape[0];
  l.w.cols = s.shape[1];
  if (dt == DType::E4M3) {
    const std::string sname = s.name + "_scale_inv";
    if (!ck_.has(sname))
      throw Error(ck_.dir() + ": missing tensor '" + sname + "' (the block scales of fp8 weight '" + s.name + "')");
    const int64_t b = fp8_block_;
    Tensor sc = ck_.get(sname, {(l.w.rows + b - 1) / b, (l.w.cols + b - 1) / b});
    l.scale = sc.dtype == DType::F32 ? sc : sc.to_f32();
    l.w.scale_inv = l.scale.f32();
    l.w.block = b;
  }
  return l;
}

Vec CheckpointWeights::vector(const TensorSpec& s) {
  Tensor t = ck_.get(s.name, s.shape);
  if (t.dtype != DType::F32 && t.dtype != DType::BF16 && t.dtype != DType::F16)
    throw Error(ck_.dir() + ": tensor '" + s.name + "' has dtype " + dtype_name(t.dtype) +
                ", expected F32, BF16 or F16");
  Vec v;
  v.storage = t.to_f32();
  v.w = v.storage.f32();
  v.n = s.numel();
  return v;
}

}  // namespace seek
