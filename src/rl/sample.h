// Sampling k completions for each of a batch of prompts: the one entry point RL rollouts and evaluation use.
// Today it runs src/infer/session one sequence at a time (a Session per prompt, so the prompt's cache is
// computed once and reused by its k samples); a batched decoder can replace the body without changing callers.
//
// Seeds: sample j of prompt i uses sample_seed(seeds[i], j), whatever else is in the batch, so results do not
// depend on batching or order. Generation stops at a stop id (not included), a stop string (INCLUDED in the text,
// so "</answer>" stays for the format check; tokens are the ids generated up to and including the one that
// completed it), max_tokens, or the end of the model's context.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "infer/assistant.h"
#include "infer/session.h"

namespace seek {

struct RolloutParams {
  SamplingParams sampling;  // its seed is ignored (every sample has its own)
  int64_t max_tokens = 512;
  std::vector<std::string> stop;  // stop strings
  std::vector<int32_t> stop_ids;  // end-of-sequence ids
  ForwardOptions forward;
};

struct Completion {
  std::string text;
  std::vector<int32_t> tokens;
  FinishReason finish = FinishReason::length;
};

uint64_t sample_seed(uint64_t prompt_seed, int64_t sample_index);

// on_done(prompt index, sample index, completion) after each sample, e.g. for progress.
std::vector<std::vector<Completion>> sample_completions(
    const Assistant& as, const std::vector<std::vector<int32_t>>& prompts, int64_t k, const RolloutParams& params,
    const std::vector<uint64_t>& seeds,
    const std::function<void(size_t, int64_t, const Completion&)>& on_done = nullptr);

}  // namespace seek
