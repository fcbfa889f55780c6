// The batched multi-sequence decoder against single-sequence generation: for a fixed seed per request, every
// request's tokens, text and finish reason equal what Session::generate returns for that request alone — with
// groups of requests sharing a prompt (one prefill, cloned caches), more requests than decoding slots (sequences
// join as others end), sampled and greedy requests mixed, stop ids, stop strings and token budgets. Batching
// changes only the summation order of the matmuls (GEMM over the batch instead of GEMV per sequence): the logits
// differ by ~1e-6, far below the gaps the sampler's draws land in, so the tokens are the same.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"

#include "infer/batch_generate.h"
#include "infer/session.h"
#include "model/language_model.h"
#include "byte_tokenizer.h"

using namespace seek;
using seek::test_util::byte_tokenizer;
namespace fs = std::filesystem;

namespace {

std::vector<GenerationRequest> requests() {
  std::vector<GenerationRequest> r;
  const std::vector<std::vector<int32_t>> prompts = {{0, 17, 200, 5}, {0, 9}, {0, 3, 3, 3, 3, 250, 7, 1}};
  uint64_t seed = 11;
  for (size_t p = 0; p < prompts.size(); p++)
    for (int g = 0; g < 4; g++) {  // a group of 4 samples per prompt
      GenerationRequest q;
      q.prompt = prompts[p];
      q.max_tokens = 6 + 3 * g;
      q.sampling.temperature = g == 3 ? 0.0f : 1.0f;  // one greedy member per group
      q.sampling.top_p = g == 1 ? 0.9f : 1.0f;
      q.sampling.seed = seed++;
      q.stop_ids = {int32_t(40 + p)};
      if (g == 2) q.stop = {"e", "\x81"};
      r.push_back(q);
    }
  return r;
}

void expect_same_as_sessions(const fs::path& dir, AttnForm form, int64_t max_active) {
  auto m = load_model(dir.string());
  const Tokenizer tok = byte_tokenizer();
  const std::vector<GenerationRequest> reqs = requests();
  BatchOptions o;
  o.max_active = max_active;
  o.form = form;
  BatchStats st;
  std::vector<size_t> order;
  const std::vector<GenerationResult> got =
      generate_batch(*m, &tok, reqs, o, &st, [&](size_t i) { order.push_back(i); });
  ASSERT_EQ(got.size(), reqs.size());
  EXPECT_EQ(order.size(), reqs.size()) << "every request reported done once";
  EXPECT_EQ(st.prefill_tokens, 4 + 2 + 8) << "one prefill per distinct prompt";
  for (size_t i = 0; i < reqs.size(); i++) {
    Session s(*m, &tok, ForwardOptions{}, form);
    const GenerationResult want = s.generate(reqs[i], [](const std::string&) {});
    EXPECT_EQ(got[i].tokens, want.tokens) << "request " << i;
    EXPECT_EQ(got[i].text, want.text) << "request " << i;
    EXPECT_EQ(got[i].finish, want.finish) << "request " << i;
  }
}

}  // namespace

TEST(BatchGenerate, DeepSeekAbsorbEqualsSessions) {
  expect_same_as_sessions(fs::path(SEEK_SHARED_DIR) / "fixtures" / "deepseek-v3-tiny", AttnForm::Absorb, 64);
}
TEST(BatchGenerate, DeepSeekNaiveWithFewSlotsEqualsSessions) {
  expect_same_as_sessions(fs::path(SEEK_SOURCE_DIR) / "tests" / "fixtures" / "v2-lite-like", AttnForm::Naive, 3);
}
TEST(BatchGenerate, DenseEqualsSessions) {
  expect_same_as_sessions(fs::path(SEEK_SOURCE_DIR) / "tests" / "fixtures" / "qwen2-tiny", AttnForm::Absorb, 5);
}
TEST(BatchGenerate, BadRequestsAreRefusedBeforeRunning) {
  auto m = load_model((fs::path(SEEK_SHARED_DIR) / "fixtures" / "deepseek-v3-tiny").string());
  std::vector<GenerationRequest> reqs = requests();
  reqs[5].prompt.clear();
  EXPECT_THROW(generate_batch(*m, nullptr, reqs, BatchOptions{}), Error);
  reqs = requests();  // stop strings without a tokenizer
  EXPECT_THROW(generate_batch(*m, nullptr, reqs, BatchOptions{}), Error);
  BatchOptions zero;
  zero.max_active = 0;
  EXPECT_THROW(generate_batch(*m, nullptr, {}, zero), Error);
}
