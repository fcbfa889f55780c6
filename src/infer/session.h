// One conversation's model state and the generation loop every front end shares (chat, generate --prompt, the
// HTTP API). A Session owns the sequence cache and remembers which token ids it holds, so the next request reuses
// the longest common prefix (a multi-turn chat re-runs only the new turn) — prefix caching in its simplest form.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "text/tokenizer/tokenizer.h"
#include "infer/constraint.h"
#include "infer/sampler.h"
#include "model/language_model.h"

namespace seek {

struct GenerationRequest {
  std::vector<int32_t> prompt;  // the whole prompt (BOS included when the model wants it)
  int64_t max_tokens = 256;
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings: generation ends before the first one (not included)
  std::vector<int32_t> stop_ids;  // end-of-sequence ids (not included in the text)
  // Optional constrained decoding (not owned): masks each step's logits, is told every sampled token and its
  // budget (max_tokens left), and ends generation (FinishReason::stop) once nothing but end-of-sequence can follow.
  TokenConstraint* constraint = nullptr;
};

enum class FinishReason { stop, length, context, cancelled };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "context", "cancelled"

struct GenerationResult {
  std::vector<int32_t> tokens;  // generated ids (a stop id that ended generation is not included)
  std::string text;             // their text, cut before a stop string
  FinishReason finish = FinishReason::length;
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // prompt tokens reused from the previous request
  double prefill_seconds = 0, decode_seconds = 0;
};

class Session {
 public:
  // tokenizer may be null: then only ids are produced (no text, no stop strings).
  Session(const LanguageModel& model, const Tokenizer* tokenizer, ForwardOptions opt = {},
          AttnForm form = AttnForm::Absorb);

  // Generates a reply. on_text receives the text as it becomes final (never a partial UTF-8 character, never
  // text that might still turn out to start a stop string). If `cancel` becomes true, generation stops after the
  // current token with FinishReason::cancelled.
  GenerationResult generate(const GenerationRequest& req, const std::function<void(const std::string&)>& on_text,
                            const std::atomic<bool>* cancel = nullptr);

  void reset();  // forget the cached prefix
  int64_t cached_tokens() const { return int64_t(cached_.size()); }

 private:
  const LanguageModel& model_;
  std::optional<Tokenizer> tok_;
  ForwardOptions opt_;
  std::unique_ptr<SequenceCache> cache_;
  std::vector<int32_t> cached_;  // the ids whose keys/values are in cache_, in order
};

}  // namespace seek
