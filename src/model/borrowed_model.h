// A LanguageModel that forwards every call to another one it does not own: lets an owner of a model (the RL
// trainer, whose TrainableDeepSeek hands out its live inference model) put it where a unique_ptr<LanguageModel> is
// expected (an Assistant) without a copy. The borrowed model must outlive this one.
#pragma once
#include "model/language_model.h"

namespace seek {

class BorrowedModel final : public LanguageModel {
 public:
  explicit BorrowedModel(const LanguageModel& m) : m_(&m) {}
  void rebind(const LanguageModel& m) { m_ = &m; }  // e.g. to a bf16 copy of the same weights
  std::string architecture() const override { return m_->architecture(); }
  int64_t vocab_size() const override { return m_->vocab_size(); }
  int64_t context_length() const override { return m_->context_length(); }
  int64_t bos_token_id() const override { return m_->bos_token_id(); }
  int64_t eos_token_id() const override { return m_->eos_token_id(); }
  std::vector<int64_t> eos_token_ids() const override { return m_->eos_token_ids(); }
  std::unique_ptr<SequenceCache> new_sequence(AttnForm form) const override { return m_->new_sequence(form); }
  void forward(const int32_t* tokens, int64_t T, SequenceCache& cache, const ForwardOptions& opt,
               float* logits) const override {
    m_->forward(tokens, T, cache, opt, logits);
  }
  void forward_batch(const std::vector<BatchItem>& items, const ForwardOptions& opt) const override {
    m_->forward_batch(items, opt);
  }

 private:
  const LanguageModel* m_;
};

}  // namespace seek
