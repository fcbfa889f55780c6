// The batched multi-sequence decoder, step by step: continuous batching. Requests join at any time; each step()
// admits waiting requests into free slots and then runs ONE LanguageModel::forward_batch over every running
// sequence — one token for each decoding sequence, and the next chunk of each new prompt (chunked prefill: at most
// prefill_chunk prompt tokens per step, so a long prompt does not stall the streams already running) — then samples
// each sequence's next token through its own GenerationStream. Finished or cancelled sequences leave at once.
//
// Requests with the same prompt that are admitted together share one prefill (a GRPO group's G samples, an API
// request's n choices): the first runs the prompt, the others clone its cache. With a PrefixCache, a prompt that
// starts like an earlier sequence reuses that cache and runs only the rest; finished sequences are stored in it.
//
// generate_batch (RL rollouts, evaluation) and the server's scheduler both run on this class. Not thread-safe: one
// thread calls add/cancel/step (the server's scheduler wraps it with a queue).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infer/generation_stream.h"
#include "model/language_model.h"

namespace seek {

class PrefixCache;

struct DecoderOptions {
  int64_t max_active = 64;    // sequences running at once (memory: each holds its own cache)
  int64_t prefill_chunk = 0;  // prompt tokens run per step over all new sequences; 0: whole prompts at once
  int64_t context = 0;        // each sequence's context in tokens; 0 or more than the model's: the model's
  ForwardOptions forward;     // precision (all_logits is ignored)
  AttnForm form = AttnForm::Absorb;
  PrefixCache* prefix_cache = nullptr;  // not owned; null: no prefix caching
};

struct BatchStats {
  int64_t prefill_tokens = 0, decode_tokens = 0, forward_calls = 0, cached_tokens = 0;
  double prefill_seconds = 0, decode_seconds = 0;
};

struct SequenceHooks {
  std::function<void(const std::string&)> on_text;       // each piece of final text, as it becomes final
  std::function<void(GenerationResult&&)> on_done;       // once, when the sequence ends (cancelled ones too)
  std::function<void(const std::string&)> on_error;      // instead of on_done when the sequence failed (e.g. the
                                                         // model's logits were not finite); if empty, step() throws
  std::function<void(const TokenLogprob&)> on_logprob;   // each generated token's log-probability, as it is sampled
                                                         // (requests with top_logprobs >= 0), after the step's text
};

class BatchDecoder {
 public:
  BatchDecoder(const LanguageModel& model, const Tokenizer* tokenizer, DecoderOptions opt);
  ~BatchDecoder();

  // Queues a request; `req` (and its constraint) must stay alive until its sequence ends. Returns its id. Throws
  // Error, queueing nothing, for a request no model could run (check_generation_request against the context).
  uint64_t add(const GenerationRequest& req, SequenceHooks hooks);
  // Ends a waiting or running sequence before its next token; its on_done reports FinishReason::cancelled.
  void cancel(uint64_t id);
  // Admits waiting requests and runs one batched forward. Does nothing when idle().
  void step();
  bool idle() const;
  int64_t waiting() const;
  int64_t running() const;
  int64_t context() const { return ctx_; }
  const BatchStats& stats() const { return stats_; }

 private:
  struct Seq;
  void admit();
  void start(Seq& s);
  void ready(Seq& s);
  void end(Seq& s);
  void fail(Seq& s, const std::string& message);
  bool advance(Seq& s);
  void run_forward();

  const LanguageModel& m_;
  const Tokenizer* tok_;
  DecoderOptions o_;
  int64_t ctx_;
  uint64_t next_id_ = 1;
  bool waiting_for(const std::vector<int32_t>& prompt) const;

  std::vector<std::unique_ptr<Seq>> waiting_, active_;
  // A prefilled prompt kept while requests with the same prompt still wait for a slot (a group larger than the
  // free slots): they start from a clone instead of prefilling again.
  struct SharedPrompt {
    std::vector<int32_t> prompt;
    std::unique_ptr<SequenceCache> cache;
    std::vector<float> logits;
    int64_t cached = 0;
  };
  std::vector<SharedPrompt> shared_;
  BatchStats stats_;
};

}  // namespace seek
