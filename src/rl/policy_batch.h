// The rollouts of one GRPO step laid out for the policy's forward: S = P x G sequences (groups of G consecutive
// rows answer the same prompt), each prompt + completion right-padded to a common T, with the prediction targets and
// the GrpoBatch (mask, advantages) the objective reads. Row s*T + t predicts tokens[s, t+1]; it counts (mask 1,
// target >= 0) iff that token is a completion token, and the sample is not excluded (a truncated sample when
// truncated samples are masked). Padding uses id 0 (never a target: the model is causal, so it changes nothing).
#pragma once
#include <cstdint>
#include <vector>

#include "rl/grpo.h"

namespace seek::rl {

struct SampleTokens {
  const std::vector<int32_t>* prompt = nullptr;
  const std::vector<int32_t>* completion = nullptr;
  bool excluded = false;  // e.g. truncated with truncated = "mask"
};

struct PolicyBatch {
  int64_t S = 0, T = 0;
  std::vector<int32_t> tokens;   // [S*T]
  std::vector<int32_t> targets;  // [S*T], -1 where the row does not count
  GrpoBatch grpo;                // mask [S*T]; old_logp, ref_logp [S*T] zero (filled by the trainer); adv [S]
  int64_t counted_tokens() const;
};

// Throws Error when the advantages do not match the samples, or a sample has no completion token counted while
// not excluded (impossible for a completion of >= 1 token).
PolicyBatch make_policy_batch(const std::vector<SampleTokens>& samples, const std::vector<double>& advantages);

}  // namespace seek::rl
