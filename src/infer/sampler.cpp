#include "infer/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "core/error.h"

namespace seek {

void SamplingParams::validate() const {
  auto bad = [](const char* name, const std::string& why) { throw Error("sampling parameter " + std::string(name) + " " + why); };
  if (!(temperature >= 0) || !std::isfinite(temperature)) bad("temperature", "must be >= 0");
  if (top_k < 0) bad("top_k", "must be >= 0");
  if (!(top_p > 0 && top_p <= 1)) bad("top_p", "must be in (0, 1]");
  if (!(min_p >= 0 && min_p <= 1)) bad("min_p", "must be in [0, 1]");
  if (!(repetition_penalty > 0) || !std::isfinite(repetition_penalty)) bad("repetition_penalty", "must be > 0");
  if (!(std::fabs(presence_penalty) <= 2)) bad("presence_penalty", "must be in [-2, 2]");
  if (!(std::fabs(frequency_penalty) <= 2)) bad("frequency_penalty", "must be in [-2, 2]");
}

Sampler::Sampler(const SamplingParams& p) : p_(p), rng_(p.seed) { p_.validate(); }

double Sampler::uniform() { return double(rng_() >> 11) * (1.0 / 9007199254740992.0); }

int32_t argmax(const float* v, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; i++)
    if (v[i] > v[best]) best = i;
  return int32_t(best);
}

int32_t Sampler::sample(float* logits, int64_t vocab, const std::vector<int32_t>& context,
                        const std::vector<int32_t>& generated) {
  if (p_.repetition_penalty != 1.0f) {
    std::vector<bool> seen(size_t(vocab), false);
    auto mark = [&](int32_t id) {
      if (id >= 0 && id < vocab && !seen[size_t(id)]) {
        seen[size_t(id)] = true;
        float& l = logits[id];
        l = l > 0 ? l / p_.repetition_penalty : l * p_.repetition_penalty;
      }
    };
    for (int32_t id : context) mark(id);
    for (int32_t id : generated) mark(id);
  }
  if (p_.presence_penalty != 0 || p_.frequency_penalty != 0) {
    std::unordered_map<int32_t, int> count;
    for (int32_t id : generated) count[id]++;
    for (auto& [id, n] : count)
      if (id >= 0 && id < vocab) logits[id] -= p_.presence_penalty + p_.frequency_penalty * float(n);
  }
  if (p_.temperature == 0) return argmax(logits, vocab);

  const double inv_t = 1.0 / double(p_.temperature);
  const float mx = logits[argmax(logits, vocab)];
  // Plain temperature sampling needs no ordering: draw from the whole distribution directly.
  if (p_.top_k == 0 && p_.top_p >= 1.0f && p_.min_p <= 0.0f) {
    double total = 0;
    std::vector<double> w(static_cast<size_t>(vocab));
    for (int64_t i = 0; i < vocab; i++) total += w[size_t(i)] = std::exp((double(logits[i]) - mx) * inv_t);
    double r = uniform() * total;
    for (int64_t i = 0; i < vocab; i++) {
      r -= w[size_t(i)];
      if (r < 0) return int32_t(i);
    }
    return int32_t(vocab - 1);
  }

  // Candidates in descending logit order (ties: lower id first). Only as many are ordered as the filters can
  // keep: top-k bounds it; for top-p the ordered prefix grows until it holds the nucleus.
  std::vector<int32_t> ids(static_cast<size_t>(vocab));
  std::iota(ids.begin(), ids.end(), 0);
  auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  const int64_t limit = (p_.top_k > 0 && p_.top_k < vocab) ? p_.top_k : vocab;
  // Softmax normalizer over what survives top-k (top-p and min-p then act on that renormalized distribution).
  double total = 0;
  if (limit < vocab) {
    std::partial_sort(ids.begin(), ids.begin() + limit, ids.end(), by_logit);
    for (int64_t i = 0; i < limit; i++) total += std::exp((double(logits[ids[size_t(i)]]) - mx) * inv_t);
  } else {
    for (int64_t i = 0; i < vocab; i++) total += std::exp((double(logits[i]) - mx) * inv_t);
  }
  int64_t ordered = std::min<int64_t>(limit, 64);
  std::vector<double> prob;
  size_t n = 0;
  for (;;) {
    std::partial_sort(ids.begin(), ids.begin() + ordered, ids.end(), by_logit);
    prob.resize(size_t(ordered));
    double cum = 0;
    n = size_t(ordered);
    bool nucleus_inside = false;
    for (int64_t i = 0; i < ordered; i++) {
      prob[size_t(i)] = std::exp((double(logits[ids[size_t(i)]]) - mx) * inv_t) / total;
      cum += prob[size_t(i)];
      if (p_.top_p < 1.0f && cum >= double(p_.top_p)) {
        n = size_t(i + 1);
        nucleus_inside = true;
        break;
      }
    }
    if (nucleus_inside || p_.top_p >= 1.0f || ordered == limit) break;
    ordered = std::min(limit, ordered * 4);
  }
  if (p_.min_p > 0) {
    const double floor = double(p_.min_p) * prob[0];
    size_t m = 1;
    while (m < n && prob[m] >= floor) m++;
    n = m;
  }
  double kept = 0;
  for (size_t i = 0; i < n; i++) kept += prob[i];
  double r = uniform() * kept;
  for (size_t i = 0; i < n; i++) {
    r -= prob[i];
    if (r < 0) return ids[i];
  }
  return ids[n - 1];
}

}  // namespace seek
