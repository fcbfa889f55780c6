// Many sequences generated together: the batched multi-sequence decoder that RL rollouts and evaluation use (and
// whose step the server's scheduler shares). Requests with the same prompt share one prefill — the prompt's cache is
// computed once and cloned for each of them (a GRPO group's G samples) — and every decode step is ONE forward over
// all running sequences (LanguageModel::forward_batch: a GEMM over the batch, not a GEMV per sequence). Up to
// max_active sequences run at once; when one ends, the next request starts. Each sequence samples with its own
// request's parameters and seed, through the same GenerationStream as Session, so its tokens equal what
// Session::generate returns for that request alone, up to float rounding in the batched matmuls.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "infer/batch_decoder.h"
#include "infer/generation_stream.h"
#include "model/language_model.h"

namespace seek {

struct BatchOptions {
  int64_t max_active = 64;  // sequences decoding at once (memory: each holds its own cache)
  ForwardOptions forward;   // precision (all_logits is ignored)
  AttnForm form = AttnForm::Absorb;
};

// Runs every request to its end on a BatchDecoder (whole prompts prefilled at once, no prefix cache); results in request order. tokenizer may be null (ids only). on_done, when
// given, is told each request's index as it finishes. Throws Error (before running anything) for a bad request.
std::vector<GenerationResult> generate_batch(const LanguageModel& model, const Tokenizer* tokenizer,
                                             const std::vector<GenerationRequest>& requests, const BatchOptions& opt,
                                             BatchStats* stats = nullptr,
                                             const std::function<void(size_t)>& on_done = {});
// The same, with on_done told each request's index and its finished result (for callers that post-process or
// report each sample as it ends, e.g. sample_completions' per-sample callback).
std::vector<GenerationResult> generate_batch(const LanguageModel& model, const Tokenizer* tokenizer,
                                             const std::vector<GenerationRequest>& requests, const BatchOptions& opt,
                                             BatchStats* stats,
                                             const std::function<void(size_t, const GenerationResult&)>& on_done);

}  // namespace seek
