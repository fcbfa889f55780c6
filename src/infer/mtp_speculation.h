// Speculative decoding with a DeepSeek model's own multi-token-prediction module as the drafter, as DeepSeek-V3
// describes it and serving engines run it: each step MTP module 1 drafts the token after next from the main model's
// last hidden state, the main model runs the next token and the draft together in one forward of 2 rows, and keeps
// the draft when it is what the main model itself would have chosen there:
//   greedy (temperature 0): kept iff it is the main model's argmax, so the tokens are exactly plain greedy
//     decoding's, up to float rounding between a 2-row and a 1-row forward;
//   sampling: kept with probability min(1, p(d) / q(d)) (p the main model's distribution, q the drafter's, both
//     after the sampler's whole pipeline); otherwise the token is drawn from max(0, p - q) renormalized. The tokens
//     are then distributed exactly as plain sampling's (the standard speculative-sampling argument).
// A kept draft yields two tokens for one main-model step (the draft, and the main model's next choice after it); a
// rejected one yields one, and the draft's cache entry is dropped.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "infer/sampler.h"
#include "model/deepseek.h"

namespace seek {

struct SpeculativeResult {
  std::vector<int32_t> tokens;  // generated, a stop id included
  int64_t steps = 0;            // main-model forwards after the prompt
  int64_t drafted = 0, accepted = 0;
  bool stopped = false;  // ended on a stop id (else on max_new or the context length)
  double prefill_seconds = 0, decode_seconds = 0;
  double acceptance() const { return drafted ? double(accepted) / double(drafted) : 0.0; }
};

// Up to max_new tokens after `prompt` (not empty), ending after the first id in stop_ids. on_token (may be empty)
// sees each token as it is decided. Throws Error when the model has no MTP module.
SpeculativeResult mtp_speculative_generate(const DeepSeekModel& model, const std::vector<int32_t>& prompt,
                                           int64_t max_new, const SamplingParams& sampling,
                                           const std::vector<int32_t>& stop_ids, const ForwardOptions& opt,
                                           AttnForm form, const std::function<void(int32_t)>& on_token = nullptr);

}  // namespace seek
