// The sampler against the definitions of its filters: over many draws, each token's frequency matches the
// probability the filter chain assigns (computed here independently, in double, from the textbook definitions);
// filtered-out tokens never appear; same seed, same sequence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/error.h"
#include "infer/sampler.h"

using namespace seek;

namespace {

const std::vector<float> kLogits = {2.0f, 1.5f, 1.4f, 0.3f, 0.0f, -0.5f, -1.0f, -3.0f};

// The reference distribution: softmax(logits / T), keep the top_k, then the smallest prefix reaching top_p of the
// renormalized mass, then tokens with p >= min_p * p_max; renormalize.
std::vector<double> expected(const SamplingParams& p) {
  const size_t n = kLogits.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [](size_t a, size_t b) { return kLogits[a] > kLogits[b]; });
  size_t keep = p.top_k > 0 ? std::min(n, size_t(p.top_k)) : n;
  std::vector<double> q(n, 0.0);
  double z = 0;
  for (size_t i = 0; i < keep; i++) z += std::exp(kLogits[order[i]] / p.temperature);
  for (size_t i = 0; i < keep; i++) q[order[i]] = std::exp(kLogits[order[i]] / p.temperature) / z;
  if (p.top_p < 1) {
    double cum = 0;
    size_t m = 0;
    while (m < keep && cum < p.top_p) cum += q[order[m++]];
    for (size_t i = m; i < n; i++) q[order[i]] = 0;
  }
  if (p.min_p > 0) {
    double top = q[order[0]];
    for (size_t i = 0; i < n; i++)
      if (q[i] < p.min_p * top) q[i] = 0;
  }
  double s = std::accumulate(q.begin(), q.end(), 0.0);
  for (double& v : q) v /= s;
  return q;
}

std::vector<double> observed(const SamplingParams& p, int draws) {
  Sampler s(p);
  std::vector<double> f(kLogits.size(), 0.0);
  for (int i = 0; i < draws; i++) {
    std::vector<float> l = kLogits;
    f[size_t(s.sample(l.data(), int64_t(l.size()), {}, {}))] += 1.0 / draws;
  }
  return f;
}

void check_distribution(const SamplingParams& p) {
  const int draws = 200000;
  std::vector<double> want = expected(p), got = observed(p, draws);
  for (size_t i = 0; i < want.size(); i++) {
    if (want[i] == 0) {
      EXPECT_EQ(got[i], 0) << "token " << i << " should be filtered out";
    } else {
      double sd = std::sqrt(want[i] * (1 - want[i]) / draws);
      EXPECT_NEAR(got[i], want[i], 5 * sd + 1e-4) << "token " << i;
    }
  }
}

}  // namespace

TEST(Sampler, TemperatureOnly) {
  SamplingParams p;
  p.temperature = 0.7f;
  p.seed = 1;
  check_distribution(p);
}

TEST(Sampler, TopK) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 3;
  p.seed = 2;
  check_distribution(p);
}

TEST(Sampler, TopP) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.8f;
  p.seed = 3;
  check_distribution(p);
}

TEST(Sampler, TopKThenTopPRenormalized) {
  SamplingParams p;
  p.temperature = 0.9f;
  p.top_k = 4;
  p.top_p = 0.7f;
  p.seed = 4;
  check_distribution(p);
}

TEST(Sampler, MinP) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.min_p = 0.3f;
  p.seed = 5;
  check_distribution(p);
}

TEST(Sampler, LargeVocabTopPMatchesDefinition) {
  // 50k tokens with a long tail: the ordered prefix must grow until it holds the nucleus.
  const int64_t V = 50000;
  std::vector<float> base(static_cast<size_t>(V));
  for (int64_t i = 0; i < V; i++) base[size_t(i)] = float(std::sin(double(i) * 0.37) * 2.0);
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.9f;
  p.seed = 11;
  // the nucleus by definition
  std::vector<int64_t> order(static_cast<size_t>(V));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return base[size_t(a)] > base[size_t(b)]; });
  double mx = base[size_t(order[0])], z = 0;
  for (float v : base) z += std::exp(v - mx);
  std::vector<bool> in_nucleus(static_cast<size_t>(V), false);
  double cum = 0;
  for (int64_t i = 0; i < V && cum < 0.9; i++) {
    cum += std::exp(base[size_t(order[size_t(i)])] - mx) / z;
    in_nucleus[size_t(order[size_t(i)])] = true;
  }
  Sampler s(p);
  for (int i = 0; i < 300; i++) {
    std::vector<float> l = base;
    int32_t t = s.sample(l.data(), V, {}, {});
    ASSERT_TRUE(in_nucleus[size_t(t)]) << t;
  }
}

TEST(Sampler, GreedyAndSeeds) {
  SamplingParams g;
  g.temperature = 0;
  Sampler greedy(g);
  std::vector<float> l = kLogits;
  EXPECT_EQ(greedy.sample(l.data(), int64_t(l.size()), {}, {}), 0);
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 42;
  Sampler a(p), b(p);
  p.seed = 43;
  Sampler c(p);
  std::vector<int32_t> sa, sb, sc;
  for (int i = 0; i < 100; i++) {
    std::vector<float> x = kLogits, y = kLogits, z = kLogits;
    sa.push_back(a.sample(x.data(), 8, {}, {}));
    sb.push_back(b.sample(y.data(), 8, {}, {}));
    sc.push_back(c.sample(z.data(), 8, {}, {}));
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

TEST(Sampler, Penalties) {
  SamplingParams p;
  p.temperature = 0;
  p.repetition_penalty = 2.0f;  // token 0 (logit 2.0 -> 1.0) falls below token 1 (1.5)
  Sampler s(p);
  std::vector<float> l = kLogits;
  EXPECT_EQ(s.sample(l.data(), 8, {0}, {}), 1);
  EXPECT_FLOAT_EQ(l[0], 1.0f);
  l = kLogits;
  l[5] = -0.5f;
  s.sample(l.data(), 8, {5}, {});
  EXPECT_FLOAT_EQ(l[5], -1.0f);  // negative logits are multiplied
  SamplingParams f;
  f.temperature = 0;
  f.presence_penalty = 0.2f;
  f.frequency_penalty = 0.2f;
  Sampler fs(f);
  l = kLogits;
  // token 0 generated twice: 2.0 - 0.2 - 2*0.2 = 1.4 < 1.5
  EXPECT_EQ(fs.sample(l.data(), 8, {}, {0, 0}), 1);
  EXPECT_FLOAT_EQ(l[0], 1.4f);
}

TEST(Sampler, BadParametersNamed) {
  auto bad = [](auto set, const char* name) {
    SamplingParams p;
    set(p);
    try {
      Sampler s(p);
      ADD_FAILURE() << name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  bad([](SamplingParams& p) { p.temperature = -1; }, "temperature");
  bad([](SamplingParams& p) { p.top_p = 0; }, "top_p");
  bad([](SamplingParams& p) { p.top_p = 1.5f; }, "top_p");
  bad([](SamplingParams& p) { p.min_p = 2; }, "min_p");
  bad([](SamplingParams& p) { p.top_k = -2; }, "top_k");
  bad([](SamplingParams& p) { p.repetition_penalty = 0; }, "repetition_penalty");
}
