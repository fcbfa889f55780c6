#include "infer/batch_decoder.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "core/error.h"
#include "infer/prefix_cache.h"

namespace seek {

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

struct BatchDecoder::Seq {
  uint64_t id = 0;
  const GenerationRequest* req = nullptr;
  SequenceHooks hooks;
  std::unique_ptr<GenerationStream> stream;
  std::unique_ptr<SequenceCache> cache;
  std::vector<float> logits;  // [vocab]: the model's output after the last token in the cache
  size_t prefilled = 0;       // prompt tokens in the cache
  Seq* leader = nullptr;      // a sequence prefilling the same prompt, whose cache this one will clone
  bool decoding = false, cancelled = false, done = false;
  int64_t cached = 0;  // prompt tokens that came from the prefix cache or a leader
  double t_admit = 0, t_ready = 0;
  size_t logprobs_sent = 0;
};

BatchDecoder::BatchDecoder(const LanguageModel& model, const Tokenizer* tokenizer, DecoderOptions opt)
    : m_(model), tok_(tokenizer), o_(opt) {
  check(o_.max_active >= 1, "BatchDecoder: max_active must be >= 1");
  check(o_.prefill_chunk >= 0, "BatchDecoder: prefill_chunk must be >= 0");
  ctx_ = o_.context > 0 ? std::min(o_.context, model.context_length()) : model.context_length();
}

BatchDecoder::~BatchDecoder() = default;

uint64_t BatchDecoder::add(const GenerationRequest& req, SequenceHooks hooks) {
  check_generation_request(req, tok_ != nullptr, ctx_);
  auto s = std::make_unique<Seq>();
  s->id = next_id_++;
  s->req = &req;
  s->hooks = std::move(hooks);
  s->stream = std::make_unique<GenerationStream>(req, tok_, m_.vocab_size(), ctx_, s->hooks.on_text);
  waiting_.push_back(std::move(s));
  return waiting_.back()->id;
}

void BatchDecoder::cancel(uint64_t id) {
  for (auto* list : {&waiting_, &active_})
    for (auto& s : *list)
      if (s->id == id) s->cancelled = true;
}

bool BatchDecoder::waiting_for(const std::vector<int32_t>& prompt) const {
  for (const auto& w : waiting_)
    if (w && !w->done && w->req->prompt == prompt) return true;
  return false;
}

bool BatchDecoder::idle() const { return waiting_.empty() && active_.empty(); }
int64_t BatchDecoder::waiting() const { return int64_t(waiting_.size()); }
int64_t BatchDecoder::running() const { return int64_t(active_.size()); }

void BatchDecoder::step() {
  // Cancelled sequences leave first, waiting ones included (they never take a slot).
  for (auto* list : {&waiting_, &active_})
    for (auto& s : *list)
      if (s->cancelled && !s->done) s->stream->cancel(), end(*s);
  waiting_.erase(std::remove_if(waiting_.begin(), waiting_.end(), [](auto& s) { return s->done; }), waiting_.end());
  std::erase_if(shared_, [&](const SharedPrompt& p) { return !waiting_for(p.prompt); });
  admit();
  run_forward();
  active_.erase(std::remove_if(active_.begin(), active_.end(), [](auto& s) { return s->done; }), active_.end());
}

void BatchDecoder::admit() {
  active_.erase(std::remove_if(active_.begin(), active_.end(), [](auto& s) { return s->done; }), active_.end());
  size_t taken = 0;
  while (taken < waiting_.size() && int64_t(active_.size()) < o_.max_active) {
    active_.push_back(std::move(waiting_[taken++]));
    start(*active_.back());
  }
  waiting_.erase(waiting_.begin(), waiting_.begin() + long(taken));
}

// A new sequence: follow a sequence prefilling the same prompt, or start from the prefix cache's longest match.
void BatchDecoder::start(Seq& s) {
  s.t_admit = now();
  s.logits.resize(size_t(m_.vocab_size()));
  for (size_t k = 0; k < shared_.size(); k++)
    if (shared_[k].prompt == s.req->prompt) {
      s.cache = shared_[k].cache->clone(shared_[k].cache->len());
      s.prefilled = s.req->prompt.size();
      s.cached = shared_[k].cached;
      s.logits = shared_[k].logits;
      if (!waiting_for(s.req->prompt)) shared_.erase(shared_.begin() + long(k));
      ready(s);
      return;
    }
  for (auto& o : active_)
    if (o.get() != &s && !o->done && !o->decoding && !o->leader && o->req->prompt == s.req->prompt) {
      s.leader = o.get();
      return;
    }
  if (o_.prefix_cache) {
    PrefixCache::Hit hit = o_.prefix_cache->lookup(s.req->prompt, int64_t(s.req->prompt.size()) - 1);
    if (hit.cache) {
      s.cache = std::move(hit.cache);
      s.prefilled = size_t(hit.tokens);
      s.cached = hit.tokens;
      stats_.cached_tokens += hit.tokens;
      return;
    }
  }
  s.cache = m_.new_sequence(o_.form);
}

// The prompt is in the cache and its logits are in s.logits: the first token is sampled.
void BatchDecoder::ready(Seq& s) {
  s.decoding = true;
  s.t_ready = now();
  if (!advance(s)) end(s);
}

// Samples s's next token from s.logits and reports its log-probability; false once the sequence has ended (or
// failed: then it is already done).
bool BatchDecoder::advance(Seq& s) {
  bool more = false;
  try {
    more = s.stream->step(s.logits.data(), s.cache->len());
  } catch (const Error& e) {
    if (!s.hooks.on_error) throw;
    fail(s, e.what());
    return true;  // fail() ended it
  }
  const auto& lp = s.stream->logprobs();
  for (; s.logprobs_sent < lp.size(); s.logprobs_sent++)
    if (s.hooks.on_logprob) s.hooks.on_logprob(lp[s.logprobs_sent]);
  return more;
}

void BatchDecoder::end(Seq& s) {
  s.done = true;
  for (auto& f : active_)  // followers of a sequence that ends before its prefill did prefill for themselves
    if (f->leader == &s) f->leader = nullptr, f->cache = m_.new_sequence(o_.form), f->prefilled = 0;
  GenerationResult r = s.stream->finish();
  r.cached_prompt_tokens = s.cached;
  const double t = now();
  r.prefill_seconds = s.decoding ? s.t_ready - s.t_admit : 0;
  r.decode_seconds = s.decoding ? t - s.t_ready : 0;
  if (o_.prefix_cache && s.decoding) {
    std::vector<int32_t> ids = s.req->prompt;
    ids.insert(ids.end(), r.tokens.begin(), r.tokens.end());
    ids.resize(size_t(s.cache->len()));  // the last sampled token was never run
    o_.prefix_cache->store(ids, *s.cache);
  }
  s.cache.reset();
  if (s.hooks.on_done) s.hooks.on_done(std::move(r));
}

void BatchDecoder::fail(Seq& s, const std::string& message) {
  s.done = true;
  for (auto& f : active_)
    if (f->leader == &s) f->leader = nullptr, f->cache = m_.new_sequence(o_.form), f->prefilled = 0;
  s.cache.reset();
  s.hooks.on_error(message);
}

// One forward over every running sequence: a token for each decoding one, the next prompt chunk for the others.
void BatchDecoder::run_forward() {
  std::vector<BatchItem> items;
  std::vector<Seq*> owner;
  std::vector<int32_t> next;
  next.reserve(active_.size());
  int64_t decode = 0, prefill = 0;
  for (auto& s : active_)
    if (!s->done && s->decoding) {
      next.push_back(s->stream->next_token());
      items.push_back(BatchItem{s->cache.get(), &next.back(), 1, s->logits.data(), false});
      owner.push_back(s.get());
      decode++;
    }
  int64_t budget = o_.prefill_chunk > 0 ? o_.prefill_chunk : std::numeric_limits<int64_t>::max();
  for (auto& s : active_) {
    if (s->done || s->decoding || s->leader || budget == 0) continue;
    const int64_t k = std::min<int64_t>(budget, int64_t(s->req->prompt.size() - s->prefilled));
    items.push_back(BatchItem{s->cache.get(), s->req->prompt.data() + s->prefilled, k, s->logits.data(), false});
    owner.push_back(s.get());
    budget -= k, prefill += k;
  }
  if (items.empty()) return;
  const double t0 = now();
  try {
    m_.forward_batch(items, o_.forward);
  } catch (const Error& e) {
    for (Seq* s : owner)
      if (!s->hooks.on_error) throw;
    for (Seq* s : owner) fail(*s, e.what());
    return;
  }
  const double dt = now() - t0;
  stats_.forward_calls++;
  stats_.decode_tokens += decode, stats_.prefill_tokens += prefill;
  stats_.decode_seconds += dt * double(decode) / double(decode + prefill);
  stats_.prefill_seconds += dt * double(prefill) / double(decode + prefill);
  for (size_t i = 0; i < items.size(); i++) {
    Seq& s = *owner[i];
    if (s.decoding) {
      if (!advance(s)) end(s);
      continue;
    }
    s.prefilled += size_t(items[i].n);
    if (s.prefilled < s.req->prompt.size()) continue;
    for (auto& f : active_)
      if (f->leader == &s) {
        f->leader = nullptr;
        f->cache = s.cache->clone(s.cache->len());
        f->prefilled = s.prefilled;
        f->cached = s.cached;  // what the leader took from the prefix cache
        f->logits = s.logits;
        ready(*f);
      }
    if (waiting_for(s.req->prompt))
      shared_.push_back(SharedPrompt{s.req->prompt, s.cache->clone(s.cache->len()), s.logits, s.cached});
    ready(s);
  }
}

}  // namespace seek
