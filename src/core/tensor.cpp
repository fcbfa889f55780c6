#include "core/tensor.h"

#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace seek {

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); i++) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Tensor Tensor::empty(DType dtype, Shape shape) {
  for (int64_t d : shape) check(d >= 0, "negative dimension in shape " + shape_str(shape));
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  size_t bytes = t.nbytes();
  size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded ? rounded : 64);
  if (!p)
    throw Error("out of memory allocating " + std::to_string(bytes) + " bytes for a tensor " + shape_str(t.shape));
  t.owner = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  t.data = p;
  return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
  Tensor t = empty(dtype, std::move(shape));
  std::memset(t.data, 0, t.nbytes());
  return t;
}

Tensor Tensor::view_of(DType dtype, Shape shape, void* data, std::shared_ptr<void> owner) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data = data;
  t.owner = std::move(owner);
  return t;
}

float* Tensor::f32() const {
  check(dtype == DType::F32, std::string("expected an f32 tensor, got ") + dtype_name(dtype));
  return static_cast<float*>(data);
}

Tensor Tensor::reshape(Shape new_shape) const {
  check(shape_numel(new_shape) == numel(), "cannot reshape " + shape_str(shape) + " to " + shape_str(new_shape));
  Tensor t = *this;
  t.shape = std::move(new_shape);
  return t;
}

Tensor Tensor::rows(int64_t begin, int64_t end) const {
  check(ndim() >= 1 && begin >= 0 && begin <= end && end <= dim(0),
        "row slice [" + std::to_string(begin) + ", " + std::to_string(end) + ") out of range for " + shape_str(shape));
  Tensor t = *this;
  t.shape[0] = end - begin;
  int64_t row = numel() / (dim(0) ? dim(0) : 1);
  t.data = static_cast<char*>(data) + size_t(begin * row) * dtype_size(dtype);
  return t;
}

Tensor Tensor::to_f32() const {
  Tensor t = empty(DType::F32, shape);
  seek::to_f32(dtype, data, t.f32(), size_t(numel()));
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(dtype, shape);
  std::memcpy(t.data, data, nbytes());
  return t;
}

}  // namespace seek
