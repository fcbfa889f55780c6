#include "infer/session.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace seek {

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

Session::Session(const LanguageModel& model, const Tokenizer* tokenizer, ForwardOptions opt, AttnForm form)
    : model_(model), opt_(opt), cache_(model.new_sequence(form)) {
  if (tokenizer) tok_ = *tokenizer;
  opt_.all_logits = false;
}

void Session::reset() {
  cache_->set_len(0);
  cached_.clear();
}

GenerationResult Session::generate(const GenerationRequest& req, const std::function<void(const std::string&)>& on_text,
                                   const std::atomic<bool>* cancel) {
  const int64_t V = model_.vocab_size(), ctx = model_.context_length();
  check_generation_request(req, tok_.has_value(), ctx);
  // Reuse the longest common prefix of what the cache holds and the new prompt; at least one prompt token must
  // run to produce the first logits.
  size_t common = 0;
  while (common < cached_.size() && common < req.prompt.size() && cached_[common] == req.prompt[common]) common++;
  common = std::min(common, req.prompt.size() - 1);
  cache_->set_len(int64_t(common));
  cached_.resize(common);

  std::vector<float> logits(static_cast<size_t>(V));
  const double t0 = now();
  model_.forward(&req.prompt[common], int64_t(req.prompt.size() - common), *cache_, opt_, logits.data());
  cached_.insert(cached_.end(), req.prompt.begin() + long(common), req.prompt.end());
  const double t1 = now();

  GenerationStream stream(req, tok_ ? &*tok_ : nullptr, V, ctx, on_text);
  while (true) {
    if (cancel && cancel->load()) stream.cancel();
    if (!stream.step(logits.data(), cache_->len())) break;
    const int32_t next = stream.next_token();
    model_.forward(&next, 1, *cache_, opt_, logits.data());
    cached_.push_back(next);
  }
  GenerationResult res = stream.finish();
  res.cached_prompt_tokens = int64_t(common);
  res.prefill_seconds = t1 - t0;
  res.decode_seconds = now() - t1;
  return res;
}

}  // namespace seek
