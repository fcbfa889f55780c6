// One sequence's generation after its prompt, token by token: sample from the logits, stop at an end id, a stop
// string, the token budget or the context, decode the text as it becomes final (never a partial UTF-8 character,
// never text that might still turn out to start a stop string). The single-sequence Session, the batched
// generator (RL rollouts, evaluation) and the server's scheduler all drive it, so they produce the same tokens and
// text for the same request and seed; only who runs the model's forward differs.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "infer/sampler.h"
#include "text/tokenizer/tokenizer.h"

namespace seek {

class TokenConstraint;

struct GenerationRequest {
  std::vector<int32_t> prompt;  // the whole prompt (BOS included when the model wants it)
  int64_t max_tokens = 256;
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings: generation ends before the first one (not included)
  std::vector<int32_t> stop_ids;  // end-of-sequence ids (not included in the text)
  // Optional constrained decoding (not owned): masks each step's logits, is told every sampled token and its
  // budget (max_tokens left), and ends generation (FinishReason::stop) once nothing but end-of-sequence can follow.
  TokenConstraint* constraint = nullptr;
  // >= 0: record each generated token's log-probability under the model (log-softmax of the raw logits, before
  // penalties, temperature, truncation or constraints) and this many most likely alternatives (OpenAI's logprobs /
  // top_logprobs). -1: off (costs nothing).
  int64_t top_logprobs = -1;
};

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top;  // the most likely ids and their log-probabilities, best first
};

enum class FinishReason { stop, length, context, cancelled };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "context", "cancelled"

struct GenerationResult {
  std::vector<int32_t> tokens;  // generated ids (a stop id that ended generation is not included)
  std::string text;             // their text, cut before a stop string
  FinishReason finish = FinishReason::length;
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // prompt tokens reused from an earlier request
  std::vector<TokenLogprob> logprobs;  // one per generated token when the request asked (top_logprobs >= 0)
  double prefill_seconds = 0, decode_seconds = 0;
};

// Throws Error naming the problem for a request no model could run (empty prompt, negative max_tokens, an empty
// stop string, stop strings without a tokenizer, a prompt that fills the context).
void check_generation_request(const GenerationRequest& req, bool has_tokenizer, int64_t context_length);

// Thrown by GenerationStream::step when the model's logits hold a NaN or an infinity (broken weights, an overflow):
// sampling from them would silently pick token 0. `generated` holds the ids generated before those logits, so a
// caller can rerun prompt + generated with a per-layer check (explain_nonfinite_logits in model/language_model.h)
// to name the layer at fault.
class NonFiniteLogits : public Error {
 public:
  explicit NonFiniteLogits(std::vector<int32_t> generated_ids);
  std::vector<int32_t> generated;
};

// The log-probability of `token` under `logits` [vocab] and the `top` most likely ids (ties: lower id first).
TokenLogprob token_logprob(const std::vector<float>& logits, int32_t token, int64_t top);

class GenerationStream {
 public:
  // tokenizer may be null: then only ids are produced (no text, no stop strings). on_text (may be empty) receives
  // each piece of final text. `req` must outlive the stream.
  GenerationStream(const GenerationRequest& req, const Tokenizer* tokenizer, int64_t vocab, int64_t context_length,
                   std::function<void(const std::string&)> on_text = {});

  // Picks the next token from `logits` [vocab] (modified in place), the model's output after the last token in its
  // cache, which holds cache_len tokens. Returns true when generation goes on: then next_token() must be run
  // through the model and step() called again with its logits. Returns false once the sequence has ended.
  // Throws NonFiniteLogits if the logits are not all finite.
  bool step(float* logits, int64_t cache_len);
  int32_t next_token() const { return result_.tokens.back(); }
  void cancel();  // ends the sequence (FinishReason::cancelled) before the next step
  bool done() const { return done_; }
  // The generated ids so far.
  const std::vector<int32_t>& tokens() const { return result_.tokens; }
  // Their log-probabilities so far (when the request asked for them).
  const std::vector<TokenLogprob>& logprobs() const { return result_.logprobs; }
  // Ends the stream (flushing text held back) and returns the result; call once, after step() returned false.
  GenerationResult finish();

 private:
  void end(FinishReason r);
  void emit_to(size_t n);

  const GenerationRequest& req_;
  int64_t vocab_, context_;
  std::function<void(const std::string&)> on_text_;
  Sampler sampler_;
  std::optional<TokenStreamDecoder> decoder_;
  size_t longest_stop_ = 0;
  std::vector<float> raw_;  // the logits before sampling changed them (only when logprobs are asked for)
  std::string text_;    // all generated text so far
  size_t emitted_ = 0;  // bytes of text_ handed to on_text
  bool done_ = false, stopped_by_string_ = false;
  GenerationResult result_;
};

}  // namespace seek
