// The GRPO objective (spec §6; the exact definitions are tools/reference/README.md's "GRPO" section, which the
// PyTorch reference fixtures tests/fixtures/grpo-* implement): group-normalized advantages, the per-token importance
// ratio against the sampling policy with clipping (separate low/high bounds: DAPO's clip-higher), the k3 KL
// estimator against a reference policy, and three normalizations (token-level, per-sequence, Dr. GRPO's constant).
// This file is the math on log-probabilities only; the model supplies logp and takes d loss / d logp back
// (TrainableDeepSeek::forward_objective).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace seek {

enum class GrpoLossType { token, sequence, dr_grpo };
enum class RewardScaling { group, none };
GrpoLossType parse_grpo_loss_type(const std::string& s);   // "token" | "sequence" | "dr_grpo"
RewardScaling parse_reward_scaling(const std::string& s);  // "group" | "none"

struct GrpoObjective {
  double eps_low = 0.2, eps_high = 0.28;  // ratio clipped to [1 - eps_low, 1 + eps_high]
  double beta = 0.0;                      // KL weight (0: no reference policy needed)
  GrpoLossType loss_type = GrpoLossType::token;
  RewardScaling scaling = RewardScaling::group;
  int64_t l_max = 0;  // dr_grpo's constant length normalizer (tokens)
};

// A = (r - mean_g) / (std_g + 1e-4) over groups of G consecutive rewards (sample std, divisor G - 1), or
// A = r - mean_g with RewardScaling::none. Throws Error when the count is not a multiple of G or G < 2.
std::vector<double> group_advantages(const std::vector<double>& rewards, int64_t G, RewardScaling s);

// One batch of S sequences of T tokens as the loss sees it; row s*T + t predicts tokens[s, t+1].
struct GrpoBatch {
  int64_t S = 0, T = 0;
  std::vector<float> mask;                // [S*T] 1: a completion token that counts
  std::vector<float> old_logp, ref_logp;  // [S*T] under the sampling policy and the reference
  std::vector<double> adv;                // [S]
};

struct GrpoStats {
  double loss = 0, kl = 0, clip = 0, clip_low = 0, clip_high = 0, entropy = 0;  // mask-weighted means but loss
  double tokens = 0;                                                            // sum of the mask
  void add(const GrpoStats& o);  // sums (call finish() after the last add)
  void finish();                 // turns the sums of kl, clip*, entropy into means over `tokens`
};

// The loss over rows [row0, row0 + n) of the batch given their current log-probs, with d loss / d logp written
// to dlogp. Sums the rows' statistics into `st` (unnormalized: see GrpoStats::finish). The normalizer covers the
// whole batch, so calling this chunk by chunk (and microbatch by microbatch) adds up to the batch loss.
double grpo_token_loss(const GrpoObjective& o, const GrpoBatch& b, int64_t row0, int64_t n, const double* logp,
                       const double* entropy, double* dlogp, GrpoStats& st);

}  // namespace seek
