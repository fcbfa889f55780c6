#include "infer/thinking_budget.h"

#include <limits>

#include "core/error.h"

namespace seek {

namespace {

class ThinkingBudget : public TokenConstraint {
 public:
  ThinkingBudget(const Tokenizer& tok, int64_t budget)
      : decoder_(tok), forced_(tok.encode("\n</think>\n\n", /*allow_special=*/true)), budget_(budget) {}

  void mask(float* logits, int64_t vocab) const override {
    if (closed_ || spent_ < budget_) return;
    const int32_t keep = forced_[next_forced_];
    for (int64_t i = 0; i < vocab; i++)
      if (i != keep) logits[i] = -std::numeric_limits<float>::infinity();
  }

  void accept(int32_t token) override {
    if (closed_) return;
    if (spent_ >= budget_) {  // forcing the closing tag
      if (token != forced_[next_forced_]) throw Error("thinking budget: a token other than the forced one");
      if (++next_forced_ == forced_.size()) closed_ = true;
      return;
    }
    spent_++;
    tail_ += decoder_.feed(token);
    if (tail_.find("</think>") != std::string::npos) closed_ = true;  // the model closed it within its budget
    if (tail_.size() > 16) tail_.erase(0, tail_.size() - 16);
  }

  bool complete() const override { return true; }
  bool finished() const override { return false; }

 private:
  TokenStreamDecoder decoder_;
  std::vector<int32_t> forced_;
  int64_t budget_, spent_ = 0;
  size_t next_forced_ = 0;
  std::string tail_;  // the last characters of the reasoning (a closing tag may span tokens)
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<TokenConstraint> thinking_budget_constraint(const Tokenizer& tok, int64_t budget) {
  if (budget < 0) throw Error("thinking budget must be >= 0, got " + std::to_string(budget));
  return std::make_unique<ThinkingBudget>(tok, budget);
}

}  // namespace seek
