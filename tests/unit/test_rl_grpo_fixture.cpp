// The GRPO reference fixtures (tests/fixtures/grpo-*, written by tools/reference/make_grpo_fixtures.py from a
// float64 PyTorch reference) agree with seek's own inference model: the per-token log-probs the reference computed
// for every row equal log_softmax of seek's logits for the same tokens, so a C++ GRPO trainer tested against these
// fixtures starts from the same policy. Also the batch's layout rules: mask[:, T-1] = 0, padding and prompt rows
// masked, groups of G rows sharing their prompt.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/safetensors.h"
#include "model/language_model.h"

using namespace seek;

namespace {
void check_fixture(const std::string& name) {
  const std::string dir = std::string(SEEK_SOURCE_DIR) + "/tests/fixtures/" + name;
  nlohmann::json exp = nlohmann::json::parse(std::ifstream(dir + "/expected.json"));
  SafetensorsFile in = SafetensorsFile::open(dir + "/inputs.safetensors");
  SafetensorsFile out = SafetensorsFile::open(dir + "/outputs.safetensors");
  Tensor tokens = in.tensor("tokens"), mask = in.tensor("mask"), logp = out.tensor("logp");
  ASSERT_EQ(tokens.dtype, DType::I32);
  const int64_t S = tokens.shape[0], T = tokens.shape[1], G = exp["G"];
  ASSERT_EQ(S, exp["S"].get<int64_t>());
  ASSERT_EQ(S % G, 0);
  const int32_t* tok = static_cast<const int32_t*>(tokens.data);
  const float* m = mask.f32();
  const float* lp = logp.f32();
  auto model = load_model(dir);
  const int64_t V = model->vocab_size();
  ForwardOptions opt;
  opt.all_logits = true;
  std::vector<float> logits(size_t(T * V));
  double worst = 0;
  for (int64_t s = 0; s < S; s++) {
    EXPECT_EQ(m[s * T + T - 1], 0.0f) << name << " row " << s;
    const int64_t L = exp["prompt_lengths"][size_t(s / G)];
    for (int64_t t = 0; t < L; t++) EXPECT_EQ(tok[s * T + t], tok[(s / G) * G * T + t]) << "group shares its prompt";
    for (int64_t t = 0; t + 1 < L; t++) EXPECT_EQ(m[s * T + t], 0.0f) << "prompt predictions are masked";
    auto cache = model->new_sequence();
    model->forward(tok + s * T, T, *cache, opt, logits.data());
    for (int64_t t = 0; t + 1 < T; t++) {
      const float* row = logits.data() + t * V;
      double mx = row[0], sum = 0;
      for (int64_t v = 1; v < V; v++) mx = std::max(mx, double(row[v]));
      for (int64_t v = 0; v < V; v++) sum += std::exp(double(row[v]) - mx);
      const double ours = double(row[tok[s * T + t + 1]]) - mx - std::log(sum);
      worst = std::max(worst, std::fabs(ours - double(lp[s * T + t])));
    }
  }
  EXPECT_LT(worst, 2e-5) << name << ": seek's log-probs vs the reference's";
}
}  // namespace

TEST(RlGrpoFixture, Token) { check_fixture("grpo-token"); }
TEST(RlGrpoFixture, DrGrpo) { check_fixture("grpo-dr"); }
TEST(RlGrpoFixture, Sequence) { check_fixture("grpo-sequence"); }
