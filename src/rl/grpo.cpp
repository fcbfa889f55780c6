#include "rl/grpo.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace seek {

GrpoLossType parse_grpo_loss_type(const std::string& s) {
  if (s == "token") return GrpoLossType::token;
  if (s == "sequence") return GrpoLossType::sequence;
  if (s == "dr_grpo") return GrpoLossType::dr_grpo;
  throw Error("GRPO loss_type '" + s + "': expected token, sequence or dr_grpo");
}

RewardScaling parse_reward_scaling(const std::string& s) {
  if (s == "group") return RewardScaling::group;
  if (s == "none") return RewardScaling::none;
  throw Error("GRPO scale_rewards '" + s + "': expected group or none");
}

std::vector<double> group_advantages(const std::vector<double>& rewards, int64_t G, RewardScaling s) {
  check(G >= 2, "GRPO needs groups of at least 2 samples, got " + std::to_string(G));
  check(int64_t(rewards.size()) % G == 0,
        "GRPO: " + std::to_string(rewards.size()) + " rewards do not split into groups of " + std::to_string(G));
  std::vector<double> a(rewards.size());
  for (size_t g0 = 0; g0 < rewards.size(); g0 += size_t(G)) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < G; i++) mean += rewards[g0 + size_t(i)];
    mean /= double(G);
    for (int64_t i = 0; i < G; i++) var += (rewards[g0 + size_t(i)] - mean) * (rewards[g0 + size_t(i)] - mean);
    const double std = std::sqrt(var / double(G - 1));
    for (int64_t i = 0; i < G; i++) {
      const double d = rewards[g0 + size_t(i)] - mean;
      a[g0 + size_t(i)] = s == RewardScaling::group ? d / (std + 1e-4) : d;
    }
  }
  return a;
}

void GrpoStats::add(const GrpoStats& o) {
  loss += o.loss, kl += o.kl, clip += o.clip, clip_low += o.clip_low, clip_high += o.clip_high;
  entropy += o.entropy, tokens += o.tokens;
}

void GrpoStats::finish() {
  const double n = std::max(tokens, 1.0);
  kl /= n, clip /= n, clip_low /= n, clip_high /= n, entropy /= n;
}

namespace {
// The weight of one token's l in the batch loss, for the normalization chosen.
double token_weight(const GrpoObjective& o, const GrpoBatch& b, int64_t s, double total_tokens) {
  switch (o.loss_type) {
    case GrpoLossType::token: return 1.0 / std::max(total_tokens, 1.0);
    case GrpoLossType::sequence: {
      double n = 0;
      for (int64_t t = 0; t < b.T; t++) n += b.mask[size_t(s * b.T + t)];
      return 1.0 / (double(b.S) * std::max(n, 1.0));
    }
    case GrpoLossType::dr_grpo: return 1.0 / (double(b.S) * double(o.l_max));
  }
  return 0;
}
}  // namespace

double grpo_token_loss(const GrpoObjective& o, const GrpoBatch& b, int64_t row0, int64_t n, const double* logp,
                       const double* entropy, double* dlogp, GrpoStats& st) {
  check(o.loss_type != GrpoLossType::dr_grpo || o.l_max > 0, "GRPO dr_grpo needs a positive length normalizer");
  double total_tokens = 0;
  for (float m : b.mask) total_tokens += m;
  double loss = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t r = row0 + i, s = r / b.T;
    dlogp[i] = 0;
    if (b.mask[size_t(r)] == 0) continue;
    const double A = b.adv[size_t(s)], lp = logp[i];
    const double ratio = std::exp(lp - double(b.old_logp[size_t(r)]));
    const bool low = ratio < 1 - o.eps_low && A<0, high = ratio> 1 + o.eps_high && A > 0;
    const double clipped = std::clamp(ratio, 1 - o.eps_low, 1 + o.eps_high);
    const double surr = std::min(ratio * A, clipped * A);
    const double dsurr = low || high ? 0.0 : ratio * A;  // the min selects the clipped (constant) term when clipping
    const double d = double(b.ref_logp[size_t(r)]) - lp;
    const double kl = std::exp(d) - d - 1, dkl = 1 - std::exp(d);  // k3 and its derivative in logp
    const double w = token_weight(o, b, s, total_tokens);
    loss += w * -(surr - o.beta * kl);
    dlogp[i] = w * -(dsurr - o.beta * dkl);
    st.kl += kl, st.clip += double(low || high), st.clip_low += double(low), st.clip_high += double(high);
    st.entropy += entropy[i], st.tokens += 1;
  }
  st.loss += loss;
  return loss;
}

}  // namespace seek
