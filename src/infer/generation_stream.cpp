#include "infer/generation_stream.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "infer/constraint.h"
#include "model/language_model.h"

namespace seek {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::context: return "context";
    case FinishReason::cancelled: return "cancelled";
  }
  return "?";
}

namespace {
// Largest n <= limit such that text[0, n) does not end inside a UTF-8 character.
size_t utf8_boundary(const std::string& text, size_t limit) {
  size_t n = std::min(limit, text.size());
  while (n > 0 && n < text.size() && (uint8_t(text[n]) & 0xC0) == 0x80) n--;
  return n;
}
}  // namespace

TokenLogprob token_logprob(const std::vector<float>& logits, int32_t token, int64_t top) {
  const float mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float v : logits) sum += std::exp(double(v) - mx);
  const float lse = mx + float(std::log(sum));
  TokenLogprob out;
  out.token = token;
  out.logprob = logits[size_t(token)] - lse;
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); i++) ids[i] = int32_t(i);
  const size_t k = std::min(size_t(top), ids.size());
  std::partial_sort(ids.begin(), ids.begin() + long(k), ids.end(), [&](int32_t a, int32_t b) {
    return logits[size_t(a)] > logits[size_t(b)] || (logits[size_t(a)] == logits[size_t(b)] && a < b);
  });
  for (size_t i = 0; i < k; i++) out.top.emplace_back(ids[i], logits[size_t(ids[i])] - lse);
  return out;
}

void check_generation_request(const GenerationRequest& req, bool has_tokenizer, int64_t context_length) {
  if (req.prompt.empty()) throw Error("generation needs a non-empty prompt");
  if (req.max_tokens < 0) throw Error("max_tokens must be >= 0");
  if (req.top_logprobs < -1) throw Error("top_logprobs must be >= 0");
  if (int64_t(req.prompt.size()) >= context_length)
    throw Error("the prompt has " + std::to_string(req.prompt.size()) + " tokens; the model's context is " +
                std::to_string(context_length));
  for (const std::string& s : req.stop)
    if (s.empty()) throw Error("stop strings must not be empty");
  if (!has_tokenizer && !req.stop.empty()) throw Error("stop strings need a tokenizer");
}

GenerationStream::GenerationStream(const GenerationRequest& req, const Tokenizer* tokenizer, int64_t vocab,
                                   int64_t context_length, std::function<void(const std::string&)> on_text)
    : req_(req), vocab_(vocab), context_(context_length), on_text_(std::move(on_text)), sampler_(req.sampling) {
  if (tokenizer) decoder_.emplace(*tokenizer);
  for (const std::string& s : req.stop) longest_stop_ = std::max(longest_stop_, s.size());
  result_.prompt_tokens = int64_t(req.prompt.size());
  if (req.max_tokens == 0) end(FinishReason::length);
}

void GenerationStream::emit_to(size_t n) {
  if (n <= emitted_) return;
  if (on_text_) on_text_(text_.substr(emitted_, n - emitted_));
  emitted_ = n;
}

void GenerationStream::end(FinishReason r) {
  done_ = true;
  result_.finish = r;
}

void GenerationStream::cancel() {
  if (!done_) end(FinishReason::cancelled);
}

NonFiniteLogits::NonFiniteLogits(std::vector<int32_t> generated_ids)
    : Error("the model's logits are not finite (NaN or infinity) after " + std::to_string(generated_ids.size()) +
            " generated tokens: its weights hold non-finite values, or an activation overflowed"),
      generated(std::move(generated_ids)) {}

bool GenerationStream::step(float* logits, int64_t cache_len) {
  if (done_) return false;
  if (!all_finite(logits, vocab_)) throw NonFiniteLogits(result_.tokens);
  if (req_.top_logprobs >= 0) raw_.assign(logits, logits + vocab_);
  TokenConstraint* c = req_.constraint;
  if (c) {
    c->set_budget(req_.max_tokens - int64_t(result_.tokens.size()));
    c->mask(logits, vocab_);
  }
  const int32_t next = sampler_.sample(logits, vocab_, req_.prompt, result_.tokens);
  if (std::find(req_.stop_ids.begin(), req_.stop_ids.end(), next) != req_.stop_ids.end()) {
    end(FinishReason::stop);
    return false;
  }
  if (c) c->accept(next);
  if (req_.top_logprobs >= 0) result_.logprobs.push_back(token_logprob(raw_, next, req_.top_logprobs));
  result_.tokens.push_back(next);
  const size_t before = text_.size();
  if (decoder_) text_ += decoder_->feed(next);
  // A stop string can only end in the new text; search from where one could have started.
  const size_t from = before >= longest_stop_ ? before - longest_stop_ + 1 : 0;
  size_t cut = std::string::npos;
  for (const std::string& s : req_.stop) cut = std::min(cut, text_.find(s, from));
  if (cut != std::string::npos) {
    text_.resize(cut);
    stopped_by_string_ = true;
    end(FinishReason::stop);
    return false;
  }
  // Hold back a tail that might still become a stop string.
  emit_to(
      utf8_boundary(text_, longest_stop_ ? text_.size() - std::min(text_.size(), longest_stop_ - 1) : text_.size()));
  if (c && c->finished()) {
    end(FinishReason::stop);
    return false;
  }
  if (int64_t(result_.tokens.size()) == req_.max_tokens) {
    end(FinishReason::length);
    return false;
  }
  if (cache_len >= context_) {  // no position left for the token just sampled
    end(FinishReason::context);
    return false;
  }
  return true;
}

GenerationResult GenerationStream::finish() {
  // Bytes the decoder still holds (an unfinished UTF-8 character) belong to the text unless a stop string cut it.
  if (decoder_ && !stopped_by_string_) text_ += decoder_->finish();
  emit_to(text_.size());
  result_.text = text_;
  return result_;
}

}  // namespace seek
