// A dense Qwen2/Llama model in its trainable form, over the same weights tree (DenseWeights) as the fast form:
// a forward over a batch (TrainBatch: packed samples and per-row targets allowed) that keeps every activation, and a
// backward that accumulates grad_scale * d(sum of the rows' cross-entropies)/d(param). GQA in training: each K/V
// head is expanded to its query heads for the attention kernel and the gradients are summed back.
// Two ways to hold the weights:
//   full fine-tuning  every tensor of the dense schema an f32 master with a gradient (a ParamStore);
//   LoRA              the base checkpoint frozen, memory-mapped in its stored dtype (no f32 copy), with an
//                     adapter (model/lora.h) whose lora_A / lora_B are the trained parameters.
// inference_model() is the fast form over the live weights (and the live adapter), for sampling during training.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/dense.h"
#include "model/lora.h"
#include "model/param_store.h"
#include "model/train_batch.h"
#include "model/trainable_lm.h"

namespace seek {

class TrainableDense : public TrainableLM {
 public:
  // Full fine-tuning: every parameter an f32 master, zeros (norm weights 1) until init_random() or load().
  explicit TrainableDense(const DenseConfig& c);
  // LoRA: the base model in `base_dir` frozen as stored, `adapter` (which must outlive this object) on its
  // projections; params() is the adapter's store.
  TrainableDense(const std::string& base_dir, LoraAdapter& adapter);
  ~TrainableDense() override;

  // Normal(0, std) for matrices and the embedding (seeded), ones for norms, zeros for biases. Full mode only.
  void init_random(uint64_t seed, double std);
  // Every master from a Hugging Face folder (any stored float dtype). Full mode only; errors name the tensor.
  void load(const std::string& dir);

  const DenseConfig& config() const { return w_->config; }
  ParamStore& params() override { return adapter_ ? adapter_->params() : ps_; }
  bool lora() const { return adapter_ != nullptr; }

  // The forward: returns the loss and keeps the activations. When backward_follows, the head's gradients are
  // computed in the same pass and backward() must be called next: it adds grad_scale * d(loss.sum)/d(param) to every
  // trained parameter's gradient (grad_scale = 1 / count gives the gradient of the mean).
  TrainLoss forward(const TrainBatch& b, Precision p = Precision::F32, double grad_scale = 1.0,
                    bool backward_follows = false) override;
  void backward() override;
  // Logits [B*T, vocab] of every row, by the trainable forward (rows of B sequences of T tokens, no packing).
  void logits(const int32_t* tokens, int64_t B, int64_t T, float* out, Precision p = Precision::F32);

  // The fast form over the live weights: reads the masters (and the adapter) in place. Must not outlive this object.
  const DenseModel& inference_model() const override { return *fast_; }

 private:
  struct BlockActs;
  struct Workspace;

  void main_fwd(const TrainBatch& b, Precision p);
  void block_fwd(const DenseBlock& w, const float* x, float* y, BlockActs& a);
  void block_bwd(const DenseBlock& w, const float* dy, float* dx, const BlockActs& a);
  void attn_fwd(const DenseAttention& w, const float* x, float* out, BlockActs& a);
  void attn_bwd(const DenseAttention& w, const float* dout, float* dx, const BlockActs& a);

  ParamStore ps_;                     // full mode: the masters
  LoraAdapter* adapter_ = nullptr;    // LoRA mode
  std::shared_ptr<DenseWeights> w_;   // bound to ps_, or to the checkpoint through the adapter
  std::unique_ptr<DenseModel> fast_;  // the fast form over w_
  RopeFrequencies freqs_;
  std::unique_ptr<Workspace> ws_;
};

}  // namespace seek
