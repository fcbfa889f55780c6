// Where a model's weights come from, tensor by tensor of its schema. Two sources, one model definition:
//   CheckpointWeights  a Hugging Face folder, memory-mapped, each matrix in its stored dtype (fp8 with its block
//                      scales), vectors converted to f32 — the fast form reads them in place;
//   ParamStore         (model/param_store.h) the f32 masters and gradients a trainer holds in memory — the
//                      trainable form reads and updates them, and the fast form can run over them as they are.
#pragma once
#include <string>

#include "formats/checkpoint.h"
#include "model/linear.h"
#include "model/schema.h"

namespace seek {

// Bound models keep what the source hands out: tensors that own their memory (checkpoint views) or pointers into
// the source (ParamStore), which must then outlive them. Sources hand out writable views, hence non-const methods.
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual bool has(const TensorSpec& s) const = 0;
  // A matrix (Role Embedding, Head, Matrix, Router) [out, in]. Throws Error naming the tensor when it is missing or
  // has the wrong shape or a dtype its role does not allow.
  virtual Linear matrix(const TensorSpec& s) = 0;
  // A vector (Role Norm, Bias, SelectionBias) as f32.
  virtual Vec vector(const TensorSpec& s) = 0;
};

// Binds a Linear with an optional bias.
Linear bind_linear(WeightSource& src, const TensorSpec& w, const std::optional<TensorSpec>& bias = std::nullopt);

class CheckpointWeights : public WeightSource {
 public:
  // fp8_block: the block size of e4m3 weights' scales (config quantization_config.weight_block_size).
  CheckpointWeights(Checkpoint ck, int64_t fp8_block = 128) : ck_(std::move(ck)), fp8_block_(fp8_block) {}

  bool has(const TensorSpec& s) const override { return ck_.has(s.name); }
  Linear matrix(const TensorSpec& s) override;
  Vec vector(const TensorSpec& s) override;
  const Checkpoint& checkpoint() const { return ck_; }

 private:
  Checkpoint ck_;
  int64_t fp8_block_;
};

}  // namespace seek
