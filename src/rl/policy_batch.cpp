#include "rl/policy_batch.h"

#include <algorithm>

#include "core/error.h"

namespace seek::rl {

int64_t PolicyBatch::counted_tokens() const {
  int64_t n = 0;
  for (float m : grpo.mask) n += m != 0;
  return n;
}

PolicyBatch make_policy_batch(const std::vector<SampleTokens>& samples, const std::vector<double>& advantages) {
  check(samples.size() == advantages.size(), "policy batch: " + std::to_string(samples.size()) + " samples but " +
                                                 std::to_string(advantages.size()) + " advantages");
  PolicyBatch b;
  b.S = int64_t(samples.size());
  for (const SampleTokens& s : samples) b.T = std::max(b.T, int64_t(s.prompt->size() + s.completion->size()));
  const size_t n = size_t(b.S * b.T);
  b.tokens.assign(n, 0);
  b.targets.assign(n, -1);
  b.grpo.S = b.S, b.grpo.T = b.T;
  b.grpo.mask.assign(n, 0.f);
  b.grpo.old_logp.assign(n, 0.f);
  b.grpo.ref_logp.assign(n, 0.f);
  b.grpo.adv = advantages;
  for (int64_t s = 0; s < b.S; s++) {
    const auto& p = *samples[size_t(s)].prompt;
    const auto& c = *samples[size_t(s)].completion;
    int32_t* row = b.tokens.data() + s * b.T;
    std::copy(p.begin(), p.end(), row);
    std::copy(c.begin(), c.end(), row + p.size());
    if (samples[size_t(s)].excluded) continue;
    // Rows P-1 .. P+C-2 predict the completion's tokens 0 .. C-1.
    for (size_t j = 0; j < c.size(); j++) {
      const int64_t t = int64_t(p.size() + j) - 1;
      check(t >= 0, "policy batch: sample " + std::to_string(s) + " has an empty prompt");
      b.targets[size_t(s * b.T + t)] = c[j];
      b.grpo.mask[size_t(s * b.T + t)] = 1.f;
    }
  }
  return b;
}

}  // namespace seek::rl
