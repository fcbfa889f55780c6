#include "train/optimizer_params.h"

namespace seek {

std::vector<OptimizerParam> optimizer_params(ParamStore& ps) {
  std::vector<OptimizerParam> ops;
  for (auto& p : ps.all())
    if (p.trainable)
      ops.push_back({p.name, p.value.data(), p.grad.data(), p.numel(), default_decay(p.name, int(p.shape.size()))});
  return ops;
}

}  // namespace seek
