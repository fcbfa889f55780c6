// The optimizer's view of a model's parameter store: every trainable parameter (not the buffers updated by other
// rules, such as the MoE selection bias) with its master, gradient and the usual weight-decay rule (default_decay).
#pragma once
#include <vector>

#include "model/param_store.h"
#include "train/adamw.h"

namespace seek {

std::vector<OptimizerParam> optimizer_params(ParamStore& ps);

}  // namespace seek
