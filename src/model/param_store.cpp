#include "model/param_store.h"

#include <algorithm>

#include "core/error.h"
#include "core/parallel.h"

namespace seek {

Param& ParamStore::add(const TensorSpec& s) {
  check(index_.count(s.name) == 0, "parameter '" + s.name + "' defined twice");
  Param p;
  p.name = s.name;
  p.shape = s.shape;
  p.role = s.role;
  p.value.assign(size_t(p.numel()), 0.0f);
  p.grad.assign(size_t(p.numel()), 0.0f);
  p.trainable = s.trainable();
  index_[s.name] = params_.size();
  params_.push_back(std::move(p));
  return params_.back();
}

Param& ParamStore::at(const std::string& name) {
  auto it = index_.find(name);
  check(it != index_.end(), "no parameter named '" + name + "'");
  return params_[it->second];
}

const Param* ParamStore::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &params_[it->second];
}

void ParamStore::zero_grad() {
  for (auto& p : params_) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
}

int64_t ParamStore::numel(bool trainable_only) const {
  int64_t n = 0;
  for (const auto& p : params_)
    if (p.trainable || !trainable_only) n += p.numel();
  return n;
}

Param& ParamStore::checked(const TensorSpec& s) {
  Param* p = &at(s.name);
  check(p->shape == s.shape,
        "parameter '" + s.name + "' has shape " + shape_str(p->shape) + ", expected " + shape_str(s.shape));
  return *p;
}

Linear ParamStore::matrix(const TensorSpec& s) {
  Param& p = checked(s);
  Linear l;
  l.w = WeightRef{DType::F32, p.value.data(), s.shape[0], s.shape[1], nullptr, 128};
  l.master = p.value.data();
  l.grad = p.trainable ? p.grad.data() : nullptr;
  return l;
}

Vec ParamStore::vector(const TensorSpec& s) {
  Param& p = checked(s);
  Vec v;
  v.w = p.value.data();
  v.g = p.trainable ? p.grad.data() : nullptr;
  v.n = p.numel();
  return v;
}

Bf16Mirror::Bf16Mirror(ParamStore& store) : store_(store) {
  for (const Param& p : store_.all())
    if (p.shape.size() == 2) copy_[p.name].resize(p.value.size());
  refresh();
}

void Bf16Mirror::refresh() {
  for (const Param& p : store_.all()) {
    if (p.shape.size() != 2) continue;
    uint16_t* dst = copy_.at(p.name).data();
    parallel_ranges(
        p.numel(),
        [&](int64_t lo, int64_t hi, int) { from_f32(DType::BF16, p.value.data() + lo, dst + lo, size_t(hi - lo)); },
        1 << 16);
  }
}

Linear Bf16Mirror::matrix(const TensorSpec& s) {
  auto it = copy_.find(s.name);
  check(it != copy_.end(), "no matrix parameter named '" + s.name + "'");
  Linear l;
  l.w = WeightRef{DType::BF16, it->second.data(), s.shape[0], s.shape[1], nullptr, 128};
  return l;
}

}  // namespace seek
