#include "train/param_store.h"

#include <algorithm>

#include "core/error.h"

namespace seek::train {

Param& ParamStore::add(const std::string& name, Shape shape, bool trainable) {
  check(index_.count(name) == 0, "parameter '" + name + "' defined twice");
  Param p;
  p.name = name;
  p.shape = std::move(shape);
  p.value.assign(size_t(p.numel()), 0.0f);
  p.grad.assign(size_t(p.numel()), 0.0f);
  p.trainable = trainable;
  index_[name] = params_.size();
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

}  // namespace seek::train
