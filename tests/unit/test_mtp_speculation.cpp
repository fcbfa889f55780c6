// MTP speculative decoding (infer/mtp_speculation.h): the fast form's MTP module computes the PyTorch reference's MTP
// loss; greedy speculation gives plain greedy decoding's tokens; speculative sampling draws from the distribution
// plain sampling draws from (exact second-token probabilities vs 20,000 speculative draws, chi-square), with both
// the kept-draft and the rejected-draft branches taken.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "infer/mtp_speculation.h"
#include "model/deepseek.h"

using namespace seek;

namespace {

const std::string kFixture = std::string(SEEK_SOURCE_DIR) + "/tests/fixtures/train-mtp2";

nlohmann::json fixture_json() {
  std::ifstream in(kFixture + "/expected.json");
  return nlohmann::json::parse(in);
}

// Plain decoding, one token per forward: the baseline speculation must reproduce.
std::vector<int32_t> plain_greedy(const DeepSeekModel& m, const std::vector<int32_t>& prompt, int64_t n) {
  KVCache cache = m.new_cache(AttnForm::Absorb);
  std::vector<float> logits(static_cast<size_t>(m.vocab_size()));
  ForwardOptions opt;
  opt.all_logits = false;
  m.forward(prompt.data(), int64_t(prompt.size()), cache, opt, logits.data());
  std::vector<int32_t> out;
  for (int64_t i = 0; i < n; i++) {
    out.push_back(argmax(logits.data(), m.vocab_size()));
    m.forward(&out.back(), 1, cache, opt, logits.data());
  }
  return out;
}

double log_softmax_at(const float* row, int64_t V, int32_t target) {
  double mx = row[0], s = 0;
  for (int64_t i = 1; i < V; i++) mx = std::max(mx, double(row[i]));
  for (int64_t i = 0; i < V; i++) s += std::exp(double(row[i]) - mx);
  return double(row[target]) - mx - std::log(s);
}

}  // namespace

// Module 1's mean cross-entropy over the fixture's two sequences (row i sees h_i and token i+1, predicts i+2)
// equals the float64 reference's loss_mtp[0].
TEST(MtpSpeculation, MtpForwardMatchesReferenceLoss) {
  auto m = DeepSeekModel::load(kFixture);
  const nlohmann::json j = fixture_json();
  const int64_t D = m->config().hidden_size, V = m->vocab_size();
  double sum = 0;
  int64_t count = 0;
  for (const auto& seq : j["tokens"]) {
    const std::vector<int32_t> t = seq.get<std::vector<int32_t>>();
    const int64_t T = int64_t(t.size());
    KVCache cache = m->new_cache(AttnForm::Absorb), mtp = m->new_mtp_cache(AttnForm::Absorb);
    std::vector<float> h(static_cast<size_t>(T * D)), logits(static_cast<size_t>(T * V));
    ForwardOptions opt;
    m->forward_hidden(t.data(), T, cache, opt, logits.data(), h.data());
    std::vector<float> q(static_cast<size_t>((T - 1) * V));
    m->mtp_forward(h.data(), t.data() + 1, T - 1, mtp, opt, q.data());
    for (int64_t i = 0; i + 2 < T; i++, count++) sum -= log_softmax_at(&q[size_t(i * V)], V, t[size_t(i + 2)]);
  }
  EXPECT_NEAR(sum / double(count), j["loss_mtp"][0].get<double>(), 2e-5);
}

TEST(MtpSpeculation, GreedyEqualsPlainDecoding) {
  auto m = DeepSeekModel::load(kFixture);
  SamplingParams greedy;
  greedy.temperature = 0;
  for (const std::vector<int32_t>& prompt : {std::vector<int32_t>{27, 0, 51}, std::vector<int32_t>{12, 22, 0, 26, 3}}) {
    const SpeculativeResult r =
        mtp_speculative_generate(*m, prompt, 48, greedy, {}, ForwardOptions{}, AttnForm::Absorb);
    EXPECT_EQ(r.tokens, plain_greedy(*m, prompt, 48));
    // the first token comes from the prompt's forward, then each step adds one token and one more per kept draft;
    // a random MTP module keeps almost none here: kept drafts are checked on a trained model (cli.speculative)
    EXPECT_EQ(1 + r.steps + r.accepted, 48);
    std::fprintf(stderr, "prompt of %zu: %lld of %lld drafts kept\n", prompt.size(), (long long)r.accepted,
                 (long long)r.drafted);
  }
}

TEST(MtpSpeculation, StopsAndLimits) {
  auto m = DeepSeekModel::load(kFixture);
  SamplingParams greedy;
  greedy.temperature = 0;
  const std::vector<int32_t> prompt{27, 0, 51};
  const std::vector<int32_t> plain = plain_greedy(*m, prompt, 20);
  for (int64_t n = 1; n <= 5; n++) {
    const SpeculativeResult r = mtp_speculative_generate(*m, prompt, n, greedy, {}, ForwardOptions{}, AttnForm::Absorb);
    EXPECT_EQ(r.tokens, std::vector<int32_t>(plain.begin(), plain.begin() + n));
  }
  const SpeculativeResult s =
      mtp_speculative_generate(*m, prompt, 20, greedy, {plain[6]}, ForwardOptions{}, AttnForm::Absorb);
  const size_t first = size_t(std::find(plain.begin(), plain.end(), plain[6]) - plain.begin());
  EXPECT_TRUE(s.stopped);
  EXPECT_EQ(s.tokens, std::vector<int32_t>(plain.begin(), plain.begin() + long(first) + 1));
  EXPECT_THROW(mtp_speculative_generate(*m, {}, 4, greedy, {}, ForwardOptions{}, AttnForm::Absorb), Error);
}

// The second generated token's distribution: exact from the main model (sum over the first token) against the
// empirical distribution of speculative sampling over many seeds.
TEST(MtpSpeculation, SamplingDrawsFromThePlainDistribution) {
  auto m = DeepSeekModel::load(kFixture);
  const int64_t V = m->vocab_size();
  const std::vector<int32_t> prompt{12, 22, 0, 26, 3};
  SamplingParams sp;
  sp.temperature = 1.0f;
  sp.top_k = 20;  // the pipeline's candidate set applies to both distributions
  auto probs = [&](const std::vector<int32_t>& tokens) {
    KVCache cache = m->new_cache(AttnForm::Absorb);
    std::vector<float> logits(static_cast<size_t>(V));
    ForwardOptions opt;
    opt.all_logits = false;
    m->forward(tokens.data(), int64_t(tokens.size()), cache, opt, logits.data());
    return Sampler(sp).distribution(logits.data(), V, prompt, {});
  };
  const std::vector<double> p1 = probs(prompt);
  std::vector<double> p2(static_cast<size_t>(V), 0.0);
  for (int32_t a = 0; a < V; a++) {
    if (p1[size_t(a)] == 0) continue;
    std::vector<int32_t> t = prompt;
    t.push_back(a);
    const std::vector<double> pa = probs(t);
    for (int64_t b = 0; b < V; b++) p2[size_t(b)] += p1[size_t(a)] * pa[size_t(b)];
  }
  const int runs = 20000;
  std::vector<int64_t> seen(static_cast<size_t>(V), 0);
  int64_t kept = 0, drafted = 0;
  for (int seed = 0; seed < runs; seed++) {
    sp.seed = uint64_t(seed);
    const SpeculativeResult r = mtp_speculative_generate(*m, prompt, 2, sp, {}, ForwardOptions{}, AttnForm::Absorb);
    ASSERT_EQ(r.tokens.size(), 2u);
    seen[size_t(r.tokens[1])]++;
    kept += r.accepted, drafted += r.drafted;
  }
  double chi2 = 0;
  int dof = -1;
  for (int64_t b = 0; b < V; b++) {
    const double e = p2[size_t(b)] * runs;
    if (e < 5) continue;  // cells too small for the approximation; their mass is checked below
    chi2 += (double(seen[size_t(b)]) - e) * (double(seen[size_t(b)]) - e) / e;
    dof++;
  }
  // 99.99th percentile of chi-square: a wrong acceptance rule moves these cells far beyond it
  const double limit = dof + 3.72 * std::sqrt(2.0 * dof) + 10;
  EXPECT_LT(chi2, limit) << "dof " << dof;
  EXPECT_GT(kept, drafted / 20) << "the kept-draft branch";
  EXPECT_LT(kept, drafted - drafted / 20) << "the rejected-draft branch";
  std::fprintf(stderr, "chi2 %.1f over %d dof (limit %.1f); %lld of %lld drafts kept\n", chi2, dof, limit,
               (long long)kept, (long long)drafted);
}
