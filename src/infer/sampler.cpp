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

  // Candidates sorted by logit (descending; ties: lower id first so the order is deterministic).
  std::vector<int32_t> ids(static_cast<size_t>(vocab));
  std::iota(ids.begin(), ids.end(), 0);
  int64_t keep = vocab;
  if (p_.top_k > 0 && p_.top_k < vocab) keep = p_.top_k;
  auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(), by_logit);
  ids.resize(size_t(keep));

  std::vector<double> prob(ids.size());
  const double mx = logits[ids[0]] / double(p_.temperature);
  double sum = 0;
  for (size_t i = 0; i < ids.size(); i++) sum += prob[i] = std::exp(logits[ids[i]] / double(p_.temperature) - mx);
  for (double& q : prob) q /= sum;

  size_t n = ids.size();
  if (p_.top_p < 1.0f) {  // smallest prefix whose mass reaches top_p
    double cum = 0;
    for (size_t i = 0; i < n; i++) {
      cum += prob[i];
      if (cum >= double(p_.top_p)) {
        n = i + 1;
        break;
      }
    }
  }
  if (p_.min_p > 0) {
    const double floor = double(p_.min_p) * prob[0];
    size_t m = 1;
    while (m < n && prob[m] >= floor) m++;
    n = m;
  }
  double total = 0;
  for (size_t i = 0; i < n; i++) total += prob[i];
  double r = uniform() * total;
  for (size_t i = 0; i < n; i++) {
    r -= prob[i];
    if (r < 0) return ids[i];
  }
  return ids[n - 1];
}

}  // namespace seek
