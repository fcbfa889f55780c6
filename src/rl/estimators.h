// The R1 evaluation statistics over P problems with n samples each (c_i of problem i's samples correct):
//  - pass@1 = mean over problems of c_i / n; its standard error is the standard error of that mean over
//    problems: sqrt(sum_i (m_i - mean)^2 / (P - 1)) / sqrt(P) with m_i = c_i / n (sample std, P - 1; nullopt for
//    P < 2). It measures how much pass@1 would move with other problems, sampling noise within a problem included.
//  - pass@k (k <= n), the unbiased estimator of Chen et al. (2021): per problem 1 - C(n - c, k) / C(n, k),
//    averaged over problems (computed as 1 - prod_{i = n-c+1}^{n} (1 - k / i), which is the same and stable).
//  - cons@n: majority vote per problem over the samples' answer keys (samples without an answer do not vote);
//    among keys with the most votes the one whose first vote came earliest (lowest sample index) wins; the problem
//    counts as solved when the winning answer is correct; no vote at all counts as unsolved.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace seek {

double pass_at_k(int64_t n, int64_t c, int64_t k);  // one problem; throws Error unless 0 <= c <= n, 1 <= k <= n

struct MeanStderr {
  double mean = 0;
  std::optional<double> stderr_;  // nullopt for fewer than 2 values
};
MeanStderr mean_stderr(const std::vector<double>& per_problem);

struct Vote {
  std::optional<std::string> key;  // the winning answer key, nullopt when no sample answered
  int64_t votes = 0;
  bool correct = false;
};
// keys[j] / correct[j]: sample j's answer key (nullopt: no answer) and its correctness.
Vote majority_vote(const std::vector<std::optional<std::string>>& keys, const std::vector<int>& correct);

}  // namespace seek
