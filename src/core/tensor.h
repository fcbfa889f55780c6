// A contiguous n-dimensional array: a dtype, a shape and a pointer into memory that `owner` keeps alive (a heap
// buffer, or a memory-mapped checkpoint file, so a 671B checkpoint's tensors are views that cost no RAM until read).
// Views share the owner. Strided views are not needed yet; everything here is row-major contiguous.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace seek {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& s);  // "[4, 16]"
int64_t shape_numel(const Shape& s);

struct Tensor {
  DType dtype = DType::F32;
  Shape shape;
  void* data = nullptr;
  std::shared_ptr<void> owner;

  static Tensor empty(DType dtype, Shape shape);  // uninitialized, 64-byte aligned
  static Tensor zeros(DType dtype, Shape shape);
  // A view of existing memory; `owner` keeps it alive (may be null for memory the caller outlives).
  static Tensor view_of(DType dtype, Shape shape, void* data, std::shared_ptr<void> owner);

  bool defined() const { return data != nullptr || shape_numel(shape) == 0; }
  int ndim() const { return int(shape.size()); }
  int64_t dim(int i) const { return shape[i < 0 ? i + ndim() : i]; }
  int64_t numel() const { return shape_numel(shape); }
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype); }

  template <class T>
  T* ptr() const {
    return static_cast<T*>(data);
  }
  float* f32() const;  // checks dtype == F32

  Tensor reshape(Shape new_shape) const;          // same numel, shares memory
  Tensor rows(int64_t begin, int64_t end) const;  // slice of dim 0, shares memory
  Tensor to_f32() const;                          // converted copy (or a copy if already f32)
  Tensor clone() const;
};

}  // namespace seek
