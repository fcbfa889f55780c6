#include "infer/mtp_speculation.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace seek {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One generation's state: the two caches, the tokens so far, and the sampler.
class Speculator {
 public:
  Speculator(const DeepSeekModel& m, const std::vector<int32_t>& prompt, const SamplingParams& sp,
             const ForwardOptions& opt, AttnForm form)
      : m_(m),
        prompt_(prompt),
        sampler_(sp),
        opt_(opt),
        cache_(m.new_cache(form)),
        mtp_(m.new_mtp_cache(form)),
        D_(m.config().hidden_size),
        V_(m.vocab_size()) {}

  // The prompt through the main model; returns the first token. MTP then catches up over the prompt's positions.
  int32_t prefill() {
    const int64_t n = int64_t(prompt_.size());
    std::vector<float> h(static_cast<size_t>(n * D_)), logits(static_cast<size_t>(V_));
    ForwardOptions o = opt_;
    o.all_logits = false;
    m_.forward_hidden(prompt_.data(), n, cache_, o, logits.data(), h.data());
    const int32_t x = choose(logits.data());
    generated_.push_back(x);
    std::vector<int32_t> next(prompt_.begin() + 1, prompt_.end());
    next.push_back(x);
    draft_from(h.data(), next);
    return x;
  }

  // Token x (decided, not yet in the cache) and the draft after it through the main model. Returns the tokens this
  // step decides: {draft, bonus} when the draft is kept, else {the main model's own choice}.
  std::vector<int32_t> step(int32_t x, bool* kept) {
    const int64_t n = cache_.len();
    const int32_t rows[2] = {x, draft_};
    std::vector<float> h(static_cast<size_t>(2 * D_)), logits(static_cast<size_t>(2 * V_));
    ForwardOptions o = opt_;
    o.all_logits = true;
    m_.forward_hidden(rows, 2, cache_, o, logits.data(), h.data());
    *kept = accept(logits.data());
    if (!*kept) {
      cache_.set_len(n + 1);  // the draft's entry
      const int32_t y = replacement_;
      generated_.push_back(y);
      draft_from(h.data(), {y});
      return {y};
    }
    generated_.push_back(rows[1]);
    const int32_t bonus = choose(logits.data() + V_);
    generated_.push_back(bonus);
    draft_from(h.data(), {rows[1], bonus});
    return {rows[1], bonus};
  }

  int64_t len() const { return cache_.len(); }

 private:
  // The sampler's choice from a logits row, given the tokens decided so far.
  int32_t choose(float* logits) { return sampler_.sample(logits, V_, prompt_, generated_); }

  // MTP over the rows (h, next) at the positions the MTP cache lacks; the last row's prediction is the new draft
  // (and its distribution, when sampling).
  void draft_from(const float* h, const std::vector<int32_t>& next) {
    const int64_t n = int64_t(next.size());
    std::vector<float> q(static_cast<size_t>(V_));
    ForwardOptions o = opt_;
    o.all_logits = false;
    m_.mtp_forward(h, next.data(), n, mtp_, o, q.data());
    if (sampler_.params().temperature == 0) {  // the draft follows every token decided so far
      draft_ = sampler_.sample(q.data(), V_, prompt_, generated_);
      return;
    }
    q_ = sampler_.distribution(q.data(), V_, prompt_, generated_);
    draft_ = sampler_.draw(q_);
  }

  // Whether the main model keeps the draft at the row of `logits`; when not, replacement_ is its own choice there.
  bool accept(float* logits) {
    if (sampler_.params().temperature == 0) {
      replacement_ = choose(logits);
      return replacement_ == draft_;
    }
    std::vector<double> p = sampler_.distribution(logits, V_, prompt_, generated_);
    const double pd = p[size_t(draft_)], qd = q_[size_t(draft_)];
    if (qd > 0 && sampler_.uniform01() * qd < pd) return true;  // u < p/q
    for (size_t i = 0; i < p.size(); i++) p[i] = std::max(0.0, p[i] - q_[i]);
    replacement_ = sampler_.draw(p);
    return false;
  }

  const DeepSeekModel& m_;
  const std::vector<int32_t>& prompt_;
  Sampler sampler_;
  ForwardOptions opt_;
  KVCache cache_, mtp_;
  int64_t D_, V_;
  std::vector<int32_t> generated_;  // every token decided so far, in order
  int32_t draft_ = 0, replacement_ = 0;
  std::vector<double> q_;  // the draft's distribution (sampling)
};

}  // namespace

SpeculativeResult mtp_speculative_generate(const DeepSeekModel& model, const std::vector<int32_t>& prompt,
                                           int64_t max_new, const SamplingParams& sampling,
                                           const std::vector<int32_t>& stop_ids, const ForwardOptions& opt,
                                           AttnForm form, const std::function<void(int32_t)>& on_token) {
  if (model.mtp_modules() == 0)
    throw Error("speculative decoding with MTP: this model has no MTP module (num_nextn_predict_layers is 0)");
  if (prompt.empty()) throw Error("speculative decoding: the prompt is empty");
  SpeculativeResult r;
  if (max_new <= 0) return r;
  Speculator s(model, prompt, sampling, opt, form);
  // Takes a decided token; false when generation ends with it.
  auto emit = [&](int32_t t) {
    r.tokens.push_back(t);
    if (on_token) on_token(t);
    r.stopped = std::find(stop_ids.begin(), stop_ids.end(), t) != stop_ids.end();
    return !r.stopped && int64_t(r.tokens.size()) < max_new;
  };
  const auto t0 = Clock::now();
  int32_t x = s.prefill();
  r.prefill_seconds = seconds_since(t0);
  const auto t1 = Clock::now();
  bool going = emit(x);
  // each step appends x and the draft: stop before the pair would pass the context
  while (going && s.len() + 2 <= model.context_length()) {
    bool kept = false;
    const std::vector<int32_t> out = s.step(x, &kept);
    r.steps++, r.drafted++, r.accepted += kept;
    for (int32_t t : out)
      if (!(going = emit(t))) break;
    x = out.back();
  }
  r.decode_seconds = seconds_since(t1);
  return r;
}

}  // namespace seek
