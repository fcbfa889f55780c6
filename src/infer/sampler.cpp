#include "infer/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "core/error.h"

// exp has vector versions in glibc's libmvec; declaring them lets the compiler vectorize the weights loop below.
extern "C" __attribute__((simd("notinbranch"))) double exp(double) noexcept;

namespace seek {

void SamplingParams::validate() const {
  auto bad = [](const char* name, const std::string& why) {
    throw Error("sampling parameter " + std::string(name) + " " + why);
  };
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

void Sampler::penalize(float* logits, int64_t vocab, const std::vector<int32_t>& context,
                       const std::vector<int32_t>& generated) const {
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
}

// Unnormalized probabilities at the temperature (the largest exactly 1), and whether every id is a candidate (no
// top-k, top-p or min-p).
bool Sampler::weights(const float* logits, int64_t vocab, std::vector<double>& w) const {
  const double inv_t = 1.0 / double(p_.temperature);
  const float mx = logits[argmax(logits, vocab)];
  // The exps are the sampler's main cost at large vocabularies (129K per token): this loop runs on the vector
  // exp (libmvec; the file is built without errno semantics), the same on every machine with the same library.
  w.resize(static_cast<size_t>(vocab));
  double* wp = w.data();
  for (int64_t i = 0; i < vocab; i++) wp[i] = exp((double(logits[i]) - double(mx)) * inv_t);
  return (p_.top_k <= 0 || p_.top_k >= vocab) && p_.top_p >= 1.0f && p_.min_p <= 0;
}

// The candidate set after top-k, top-p and min-p (order matters only for reproducibility, which any fixed order
// gives).
std::vector<int32_t> Sampler::candidates(const float* logits, int64_t vocab, const std::vector<double>& w) const {
  const double inv_t = 1.0 / double(p_.temperature);
  const float mx = logits[argmax(logits, vocab)];
  auto before = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::vector<int32_t> cand;
  if (p_.top_k > 0 && p_.top_k < vocab) {
    // top-k: select, then order the k survivors so top-p can take a prefix of them.
    std::vector<int32_t> ids(static_cast<size_t>(vocab));
    std::iota(ids.begin(), ids.end(), 0);
    std::nth_element(ids.begin(), ids.begin() + p_.top_k - 1, ids.end(), before);
    ids.resize(size_t(p_.top_k));
    std::sort(ids.begin(), ids.end(), before);
    double total = 0;
    for (int32_t id : ids) total += w[size_t(id)];
    double cum = 0;
    for (int32_t id : ids) {
      cand.push_back(id);
      cum += w[size_t(id)];
      if (p_.top_p < 1.0f && cum >= double(p_.top_p) * total) break;
    }
  } else if (p_.top_p < 1.0f) {
    // Nucleus in linear time: bucket tokens by how far their log-probability lies below the top one; every token
    // in a bucket before the one where the cumulative mass crosses top_p is in; only that bucket is sorted.
    constexpr int B = 4096;
    constexpr double range = 40.0;  // e^-40: anything further down is one overflow bucket
    auto bucket = [&](int64_t i) {
      double d = (double(mx) - double(logits[i])) * inv_t;
      return d >= range ? B : int(d * (B / range));
    };
    std::vector<double> mass(B + 1, 0.0);
    double total = 0;
    for (int64_t i = 0; i < vocab; i++) mass[size_t(bucket(i))] += w[size_t(i)], total += w[size_t(i)];
    const double target = double(p_.top_p) * total;
    int cross = 0;
    double below = 0;  // mass of the buckets before `cross`
    while (cross < B && below + mass[size_t(cross)] < target) below += mass[size_t(cross++)];
    std::vector<int32_t> edge;
    for (int64_t i = 0; i < vocab; i++) {
      int b = bucket(i);
      if (b < cross)
        cand.push_back(int32_t(i));
      else if (b == cross)
        edge.push_back(int32_t(i));
    }
    std::sort(edge.begin(), edge.end(), before);
    double cum = below;
    for (int32_t id : edge) {
      cand.push_back(id);
      cum += w[size_t(id)];
      if (cum >= target) break;
    }
  } else {
    cand.resize(static_cast<size_t>(vocab));
    std::iota(cand.begin(), cand.end(), 0);
  }
  if (p_.min_p > 0) {  // p >= min_p * p_max, with p_max = 1 in these units (renormalizing changes neither side)
    double top = 0;
    for (int32_t id : cand) top = std::max(top, w[size_t(id)]);
    std::erase_if(cand, [&](int32_t id) { return w[size_t(id)] < double(p_.min_p) * top; });
  }
  return cand;
}

int32_t Sampler::sample(float* logits, int64_t vocab, const std::vector<int32_t>& context,
                        const std::vector<int32_t>& generated) {
  penalize(logits, vocab, context, generated);
  if (p_.temperature == 0) return argmax(logits, vocab);
  std::vector<double> w;
  if (weights(logits, vocab, w)) {
    // Plain sampling from the whole vocabulary: the draw over ids in order, as the general path below does with
    // every id a candidate (the same sums in the same order, so the same token), without building the list.
    double kept = 0;
    for (int64_t i = 0; i < vocab; i++) kept += w[size_t(i)];
    double r = uniform() * kept;
    for (int64_t i = 0; i < vocab; i++) {
      r -= w[size_t(i)];
      if (r < 0) return int32_t(i);
    }
    return int32_t(vocab - 1);
  }
  const std::vector<int32_t> cand = candidates(logits, vocab, w);
  double kept = 0;
  for (int32_t id : cand) kept += w[size_t(id)];
  double r = uniform() * kept;
  for (int32_t id : cand) {
    r -= w[size_t(id)];
    if (r < 0) return id;
  }
  return cand.back();
}

std::vector<double> Sampler::distribution(float* logits, int64_t vocab, const std::vector<int32_t>& context,
                                          const std::vector<int32_t>& generated) const {
  check(p_.temperature > 0, "Sampler::distribution: greedy sampling (temperature 0) has no distribution to draw from");
  penalize(logits, vocab, context, generated);
  std::vector<double> w, p(static_cast<size_t>(vocab), 0.0);
  const bool all = weights(logits, vocab, w);
  double kept = 0;
  if (all) {
    for (int64_t i = 0; i < vocab; i++) kept += w[size_t(i)];
    for (int64_t i = 0; i < vocab; i++) p[size_t(i)] = w[size_t(i)] / kept;
    return p;
  }
  const std::vector<int32_t> cand = candidates(logits, vocab, w);
  for (int32_t id : cand) kept += w[size_t(id)];
  for (int32_t id : cand) p[size_t(id)] = w[size_t(id)] / kept;
  return p;
}

int32_t Sampler::draw(const std::vector<double>& weights) {
  double total = 0;
  for (double x : weights) total += x;
  check(total > 0, "Sampler::draw: the weights are all zero");
  double r = uniform() * total;
  int32_t last = 0;
  for (size_t i = 0; i < weights.size(); i++) {
    if (weights[i] <= 0) continue;
    last = int32_t(i);
    r -= weights[i];
    if (r < 0) return int32_t(i);
  }
  return last;
}

double Sampler::uniform01() { return uniform(); }

}  // namespace seek
