// Sampling k completions for each of a batch of prompts: the one entry point RL rollouts and evaluation use.
// It runs the batched multi-sequence decoder (infer/batch_generate.h) once over all prompts x k samples: each
// prompt is prefilled once and its cache cloned for its k samples, and every decode step is one forward over all
// running sequences (up to RolloutParams::max_active at once; more wait and start as others end).
//
// Seeds: sample j of prompt i uses sample_seed(seeds[i], j), whatever else is in the batch, so results do not
// depend on batching or order: a sample's tokens equal what a Session generating that sample alone with that seed
// returns (the batched matmuls only change float summation order, ~1e-6 in the logits; tests/unit/test_sample.cpp
// checks the equality on real models). Generation stops at a stop id (not included), a stop string (INCLUDED in
// the text, so "</answer>" stays for the format check; tokens are the ids generated up to and including the one
// that completed it; text after the stop string inside that last token is dropped), max_tokens, or the end of the
// model's context.
//
// on_done is called once per sample as it finishes (in finishing order, not index order), from the calling thread,
// with the completion as it is returned. Throws Error before generating anything for bad arguments (k < 1, a seed
// count that differs from the prompt count, an empty prompt or one that fills the context).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "infer/assistant.h"
#include "infer/generation_stream.h"
#include "model/language_model.h"

namespace seek {

struct RolloutParams {
  SamplingParams sampling;  // its seed is ignored (every sample has its own)
  int64_t max_tokens = 512;
  std::vector<std::string> stop;  // stop strings
  std::vector<int32_t> stop_ids;  // end-of-sequence ids
  ForwardOptions forward;         // precision (all_logits is ignored)
  int64_t max_active = 64;        // sequences decoding at once (each holds its own cache)
  AttnForm form = AttnForm::Absorb;
};

struct Completion {
  std::string text;
  std::vector<int32_t> tokens;
  FinishReason finish = FinishReason::length;
  bool truncated() const { return finish == FinishReason::length || finish == FinishReason::context; }  // ran out
};

uint64_t sample_seed(uint64_t prompt_seed, int64_t sample_index);

using CompletionCallback = std::function<void(size_t prompt, int64_t sample, const Completion&)>;

// On any model and tokenizer, e.g. the live inference form of a model being trained
// (TrainableDeepSeek::inference_model()). Result [prompt][sample].
std::vector<std::vector<Completion>> sample_completions(const LanguageModel& model, const Tokenizer& tokenizer,
                                                        const std::vector<std::vector<int32_t>>& prompts, int64_t k,
                                                        const RolloutParams& params, const std::vector<uint64_t>& seeds,
                                                        const CompletionCallback& on_done = nullptr);

// The same on an Assistant's model and tokenizer.
std::vector<std::vector<Completion>> sample_completions(const Assistant& as,
                                                        const std::vector<std::vector<int32_t>>& prompts, int64_t k,
                                                        const RolloutParams& params, const std::vector<uint64_t>& seeds,
                                                        const CompletionCallback& on_done = nullptr);

}  // namespace seek
