// AdamW over f32 master weights, with the semantics of torch.optim.AdamW (amsgrad off, maximize off) and gradient
// clipping as torch.nn.utils.clip_grad_norm_ (2-norm over all gradients as one vector). The update is one
// bandwidth-bound pass over every parameter: it is vectorized and split across the thread pool by element count,
// so many small tensors and a few huge ones load the threads equally.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace seek {

// One trainable tensor: its f32 master copy and gradient (both `numel` floats, owned by the caller).
struct OptimizerParam {
  std::string name;  // Hugging Face tensor name; unique
  float* data = nullptr;
  float* grad = nullptr;
  int64_t numel = 0;
  bool decay = true;  // apply weight decay (false for norms and biases, see default_decay)
};

struct AdamWConfig {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.1;
};

// The usual rule for which tensors get weight decay: not 1-D tensors (norm scales, biases, the MoE gate's
// load-balancing bias) and not names ending in "norm.weight" or ".bias".
bool default_decay(const std::string& hf_name, int ndim);

class AdamW {
 public:
  // Moments start at zero. Throws Error on duplicate names, null pointers or bad hyper-parameters.
  AdamW(AdamWConfig config, const std::vector<OptimizerParam>& params);

  // One update with learning rate `lr`, in place on every OptimizerParam::data, reading OptimizerParam::grad:
  //   t += 1
  //   p <- p * (1 - lr*wd)                          (wd = 0 where decay is off)
  //   m <- beta1*m + (1-beta1)*g ;  v <- beta2*v + (1-beta2)*g^2
  //   p <- p - lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)
  void step(double lr);
  int64_t steps() const { return steps_; }
  void set_steps(int64_t t);  // when restoring a checkpoint

  const AdamWConfig& config() const { return config_; }
  const std::vector<OptimizerParam>& params() const { return params_; }
  bool has(const std::string& name) const { return index_.count(name) != 0; }
  // The first (m, "exp_avg") and second (v, "exp_avg_sq") moment of a parameter: f32 [numel] tensors sharing the
  // optimizer's memory (write into them to restore). Throw Error naming an unknown parameter.
  Tensor exp_avg(const std::string& name) const;
  Tensor exp_avg_sq(const std::string& name) const;

 private:
  size_t index_of(const std::string& name) const;

  AdamWConfig config_;
  std::vector<OptimizerParam> params_;
  std::vector<Tensor> m_, v_;    // per param, f32 [numel]
  std::vector<int64_t> offset_;  // prefix sums of numel: param i covers [offset_[i], offset_[i+1])
  std::map<std::string, size_t> index_;
  int64_t steps_ = 0;
};

// sqrt(sum of g^2 over all gradients), accumulated in double.
double global_grad_norm(const std::vector<OptimizerParam>& params);
// Returns the norm before clipping; if max_norm / (norm + 1e-6) < 1, every gradient is scaled by it.
double clip_grad_norm(const std::vector<OptimizerParam>& params, double max_norm);

}  // namespace seek
