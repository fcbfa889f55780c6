#include "infer/batch_generate.h"

#include <chrono>
#include <deque>
#include <map>
#include <memory>

#include "core/error.h"

namespace seek {

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Requests sharing one prompt, in request order; `base` holds the prompt's cache once prefilled.
struct Group {
  std::vector<size_t> members;
  size_t next = 0;  // members admitted so far
  std::unique_ptr<SequenceCache> base;
  std::vector<float> logits;  // [vocab] after the prompt
};

struct Running {
  size_t req = 0;
  std::unique_ptr<SequenceCache> cache;
  std::unique_ptr<GenerationStream> stream;
  std::vector<float> logits;
};

class Batch {
 public:
  Batch(const LanguageModel& m, const Tokenizer* tok, const std::vector<GenerationRequest>& reqs, const BatchOptions& o,
        BatchStats& st, const std::function<void(size_t, const GenerationResult&)>& on_done)
      : m_(m), tok_(tok), reqs_(reqs), o_(o), st_(st), on_done_(on_done), results_(reqs.size()) {
    std::map<std::vector<int32_t>, size_t> by_prompt;
    for (size_t i = 0; i < reqs.size(); i++) {
      auto [it, fresh] = by_prompt.try_emplace(reqs[i].prompt, groups_.size());
      if (fresh) groups_.emplace_back();
      groups_[it->second].members.push_back(i);
    }
  }

  std::vector<GenerationResult> run() {
    size_t g = 0;  // first group with members not yet admitted
    while (g < groups_.size() || !active_.empty()) {
      g = admit(g);
      if (!active_.empty()) decode_step();
    }
    return std::move(results_);
  }

 private:
  // Prefills (in one batched forward) the prompts of groups that will get a slot, then starts their members.
  size_t admit(size_t g) {
    int64_t slots = o_.max_active - int64_t(active_.size());
    std::vector<BatchItem> items;
    std::vector<size_t> fill;
    for (size_t k = g; k < groups_.size() && slots > 0; k++) {
      Group& gr = groups_[k];
      if (!gr.base) {
        gr.base = m_.new_sequence(o_.form);
        gr.logits.resize(size_t(m_.vocab_size()));
        const auto& p = reqs_[gr.members[0]].prompt;
        items.push_back(BatchItem{gr.base.get(), p.data(), int64_t(p.size()), gr.logits.data(), false});
        st_.prefill_tokens += int64_t(p.size());
      }
      fill.push_back(k);
      slots -= int64_t(gr.members.size() - gr.next);
    }
    if (!items.empty()) {
      const double t0 = now();
      m_.forward_batch(items, o_.forward);
      st_.prefill_seconds += now() - t0;
      st_.forward_calls++;
    }
    for (size_t k : fill) {
      Group& gr = groups_[k];
      while (gr.next < gr.members.size() && int64_t(active_.size()) < o_.max_active) start(gr);
      if (gr.next == gr.members.size()) gr.base.reset();
    }
    while (g < groups_.size() && groups_[g].next == groups_[g].members.size()) g++;
    return g;
  }

  void start(Group& gr) {
    const bool last = gr.next + 1 == gr.members.size();
    Running r;
    r.req = gr.members[gr.next++];
    r.cache = last ? std::move(gr.base) : gr.base->clone(gr.base->len());
    r.logits = gr.logits;
    r.stream = std::make_unique<GenerationStream>(reqs_[r.req], tok_, m_.vocab_size(), m_.context_length());
    if (r.stream->step(r.logits.data(), r.cache->len()))
      active_.push_back(std::move(r));
    else
      finish(r);
  }

  void finish(Running& r) {
    results_[r.req] = r.stream->finish();
    if (on_done_) on_done_(r.req, results_[r.req]);
  }

  // One token for every running sequence, in one forward.
  void decode_step() {
    std::vector<BatchItem> items;
    std::vector<int32_t> next(active_.size());
    for (size_t i = 0; i < active_.size(); i++) {
      next[i] = active_[i].stream->next_token();
      items.push_back(BatchItem{active_[i].cache.get(), &next[i], 1, active_[i].logits.data(), false});
    }
    const double t0 = now();
    m_.forward_batch(items, o_.forward);
    st_.decode_seconds += now() - t0;
    st_.decode_tokens += int64_t(items.size());
    st_.forward_calls++;
    std::vector<Running> still;
    for (Running& r : active_) {
      if (r.stream->step(r.logits.data(), r.cache->len()))
        still.push_back(std::move(r));
      else
        finish(r);
    }
    active_ = std::move(still);
  }

  const LanguageModel& m_;
  const Tokenizer* tok_;
  const std::vector<GenerationRequest>& reqs_;
  const BatchOptions& o_;
  BatchStats& st_;
  const std::function<void(size_t, const GenerationResult&)>& on_done_;
  std::vector<Group> groups_;
  std::vector<Running> active_;
  std::vector<GenerationResult> results_;
};

}  // namespace

std::vector<GenerationResult> generate_batch(const LanguageModel& model, const Tokenizer* tokenizer,
                                             const std::vector<GenerationRequest>& requests, const BatchOptions& opt,
                                             BatchStats* stats, const std::function<void(size_t)>& on_done) {
  std::function<void(size_t, const GenerationResult&)> each;
  if (on_done) each = [&](size_t i, const GenerationResult&) { on_done(i); };
  return generate_batch(model, tokenizer, requests, opt, stats, each);
}

std::vector<GenerationResult> generate_batch(const LanguageModel& model, const Tokenizer* tokenizer,
                                             const std::vector<GenerationRequest>& requests, const BatchOptions& opt,
                                             BatchStats* stats,
                                             const std::function<void(size_t, const GenerationResult&)>& on_done) {
  check(opt.max_active >= 1, "generate_batch: max_active must be >= 1");
  for (const GenerationRequest& r : requests) check_generation_request(r, tokenizer != nullptr, model.context_length());
  BatchStats local;
  BatchStats& st = stats ? *stats : local;
  return Batch(model, tokenizer, requests, opt, st, on_done).run();
}

}  // namespace seek
