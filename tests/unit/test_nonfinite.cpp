// Non-finite logits: GenerationStream refuses to sample from them (NonFiniteLogits, carrying the ids generated so
// far, instead of silently picking token 0), and ForwardOptions::check_finite leaves a healthy model's logits
// unchanged. Naming the layer on a corrupted model is tested end to end in tests/cli/nonfinite.sh.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "core/error.h"
#include "infer/generation_stream.h"
#include "model/language_model.h"

using namespace seek;
namespace fs = std::filesystem;

TEST(NonFinite, StreamRefusesNanOrInfiniteLogits) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    GenerationRequest req;
    req.prompt = {0, 1};
    req.max_tokens = 8;
    req.sampling.temperature = 0;
    GenerationStream s(req, nullptr, 4, 64);
    std::vector<float> logits = {0, 0, 3, 0};
    ASSERT_TRUE(s.step(logits.data(), 2));
    EXPECT_EQ(s.next_token(), 2);
    logits = {0, 1, 0, 0};
    logits[3] = bad;
    try {
      s.step(logits.data(), 3);
      ADD_FAILURE() << "no error for logit " << bad;
    } catch (const NonFiniteLogits& e) {
      EXPECT_EQ(e.generated, std::vector<int32_t>({2}));
      EXPECT_NE(std::string(e.what()).find("not finite"), std::string::npos) << e.what();
    }
  }
}

TEST(NonFinite, AllFiniteSeesEveryKind) {
  std::vector<float> v = {0.0f, -1e38f, 1e-45f, 3.0f};
  EXPECT_TRUE(all_finite(v.data(), int64_t(v.size())));
  for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()}) {
    v[2] = bad;
    EXPECT_FALSE(all_finite(v.data(), int64_t(v.size())));
    v[2] = 1.0f;
  }
}

TEST(NonFinite, CheckingAHealthyModelChangesNothing) {
  for (const fs::path& dir : {fs::path(SEEK_SHARED_DIR) / "fixtures" / "deepseek-v3-tiny",
                              fs::path(SEEK_SOURCE_DIR) / "tests" / "fixtures" / "qwen2-tiny"}) {
    auto m = load_model(dir.string());
    const std::vector<int32_t> toks = {0, 17, 200, 5, 9};
    const size_t V = size_t(m->vocab_size());
    std::vector<float> plain(toks.size() * V), checked(toks.size() * V);
    ForwardOptions o;
    auto c1 = m->new_sequence();
    m->forward(toks.data(), int64_t(toks.size()), *c1, o, plain.data());
    o.check_finite = true;
    auto c2 = m->new_sequence();
    m->forward(toks.data(), int64_t(toks.size()), *c2, o, checked.data());
    EXPECT_EQ(plain, checked) << dir;
    // Asked to explain logits that are in fact finite, the rerun says it found no layer at fault.
    try {
      explain_nonfinite_logits(*m, toks, AttnForm::Absorb, ForwardOptions{});
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("every layer's output was finite"), std::string::npos) << e.what();
    }
  }
}
