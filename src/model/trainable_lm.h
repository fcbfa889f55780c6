// What a fine-tuning loop needs of a trainable language model, whatever its architecture (TrainableDense for
// Qwen2/Llama, TrainableDeepSeek for V2/V3): a forward over a TrainBatch that keeps its activations, the backward
// that finishes it, the trained parameters, and the fast form over the live weights for sampling.
#pragma once

#include "kernels/weight.h"
#include "model/language_model.h"
#include "model/param_store.h"
#include "model/train_batch.h"

namespace seek {

class TrainableLM {
 public:
  virtual ~TrainableLM() = default;

  // The parameters the optimizer updates (all masters, or a LoRA adapter's matrices).
  virtual ParamStore& params() = 0;
  // The summed cross-entropy over the batch's rows with a target; with backward_follows, backward() must be called
  // next and adds grad_scale * d(loss.sum)/d(param) to every trained parameter's gradient.
  virtual TrainLoss forward(const TrainBatch& b, Precision p, double grad_scale, bool backward_follows) = 0;
  virtual void backward() = 0;
  // The fast form over the live weights (reads them in place: no refresh after an optimizer step). Must not outlive
  // this object.
  virtual const LanguageModel& inference_model() const = 0;
};

}  // namespace seek
