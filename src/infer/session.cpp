#include "infer/session.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

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
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Largest n <= limit such that text[0, n) does not end inside a UTF-8 character.
size_t utf8_boundary(const std::string& text, size_t limit) {
  size_t n = std::min(limit, text.size());
  while (n > 0 && n < text.size() && (uint8_t(text[n]) & 0xC0) == 0x80) n--;
  return n;
}
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
  if (req.prompt.empty()) throw Error("generation needs a non-empty prompt");
  if (req.max_tokens < 0) throw Error("max_tokens must be >= 0");
  const int64_t V = model_.vocab_size(), ctx = model_.context_length();
  if (int64_t(req.prompt.size()) >= ctx)
    throw Error("the prompt has " + std::to_string(req.prompt.size()) + " tokens; the model's context is " +
                std::to_string(ctx));
  for (const std::string& s : req.stop)
    if (s.empty()) throw Error("stop strings must not be empty");
  if (!tok_ && !req.stop.empty()) throw Error("stop strings need a tokenizer");

  GenerationResult res;
  res.prompt_tokens = int64_t(req.prompt.size());
  // Reuse the longest common prefix of what the cache holds and the new prompt; at least one prompt token must
  // run to produce the first logits.
  size_t common = 0;
  while (common < cached_.size() && common < req.prompt.size() && cached_[common] == req.prompt[common]) common++;
  common = std::min(common, req.prompt.size() - 1);
  cache_->set_len(int64_t(common));
  cached_.resize(common);
  res.cached_prompt_tokens = int64_t(common);

  std::vector<float> logits(static_cast<size_t>(V));
  double t0 = now();
  model_.forward(&req.prompt[common], int64_t(req.prompt.size() - common), *cache_, opt_, logits.data());
  cached_.insert(cached_.end(), req.prompt.begin() + long(common), req.prompt.end());
  res.prefill_seconds = now() - t0;

  Sampler sampler(req.sampling);
  std::optional<TokenStreamDecoder> decoder;
  if (tok_) decoder.emplace(*tok_);
  size_t longest_stop = 0;
  for (const std::string& s : req.stop) longest_stop = std::max(longest_stop, s.size());
  std::string text;    // all generated text so far
  size_t emitted = 0;  // bytes of `text` handed to on_text
  auto emit_to = [&](size_t n) {
    if (n > emitted) {
      on_text(text.substr(emitted, n - emitted));
      emitted = n;
    }
  };

  double t1 = now();
  res.finish = FinishReason::length;
  bool stopped_by_string = false;
  while (int64_t(res.tokens.size()) < req.max_tokens) {
    if (cancel && cancel->load()) {
      res.finish = FinishReason::cancelled;
      break;
    }
    if (req.constraint) {
      req.constraint->set_budget(req.max_tokens - int64_t(res.tokens.size()));
      req.constraint->mask(logits.data(), V);
    }
    int32_t next = sampler.sample(logits.data(), V, req.prompt, res.tokens);
    if (std::find(req.stop_ids.begin(), req.stop_ids.end(), next) != req.stop_ids.end()) {
      res.finish = FinishReason::stop;
      break;
    }
    if (req.constraint) req.constraint->accept(next);
    res.tokens.push_back(next);
    size_t before = text.size();
    if (decoder) text += decoder->feed(next);
    // A stop string can only end in the new text; search from where one could have started.
    size_t from = before >= longest_stop ? before - longest_stop + 1 : 0;
    size_t cut = std::string::npos;
    for (const std::string& s : req.stop) cut = std::min(cut, text.find(s, from));
    if (cut != std::string::npos) {
      text.resize(cut);
      res.finish = FinishReason::stop;
      stopped_by_string = true;
      break;
    }
    // Hold back a tail that might still become a stop string.
    emit_to(utf8_boundary(text, longest_stop ? text.size() - std::min(text.size(), longest_stop - 1) : text.size()));
    if (req.constraint && req.constraint->finished()) {
      res.finish = FinishReason::stop;
      break;
    }
    if (int64_t(res.tokens.size()) == req.max_tokens) break;
    if (cache_->len() >= ctx) {  // no position left for the token just sampled
      res.finish = FinishReason::context;
      break;
    }
    model_.forward(&next, 1, *cache_, opt_, logits.data());
    cached_.push_back(next);
  }
  res.decode_seconds = now() - t1;
  // Bytes the decoder still holds (an unfinished UTF-8 character) belong to the text unless a stop string cut it.
  if (decoder && !stopped_by_string) text += decoder->finish();
  emit_to(text.size());
  res.text = text;
  return res;
}

}  // namespace seek
