// The continuous-batching decoder (infer/batch_decoder.h) against single-sequence generation (Session): requests
// joining while others run, prompts prefilled in small chunks mixed into decode steps, cancellation, the prefix
// cache in RAM and on disk (a hit gives the same tokens as a fresh prefill; files of another model or damaged ones
// are never used), the thinking budget, and per-token log-probabilities checked against a log-softmax computed here.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "infer/batch_decoder.h"
#include "infer/prefix_cache.h"
#include "infer/session.h"
#include "infer/thinking_budget.h"
#include "model/language_model.h"
#include "byte_tokenizer.h"

using namespace seek;
using seek::test_util::byte_tokenizer;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<LanguageModel> fixture() {
  return load_model((fs::path(SEEK_SHARED_DIR) / "fixtures" / "deepseek-v3-tiny").string());
}

GenerationRequest request(std::vector<int32_t> prompt, uint64_t seed, int64_t max_tokens = 8) {
  GenerationRequest q;
  q.prompt = std::move(prompt);
  q.max_tokens = max_tokens;
  q.sampling.seed = seed;
  return q;
}

GenerationResult alone(const LanguageModel& m, const Tokenizer& tok, const GenerationRequest& q) {
  Session s(m, &tok);
  return s.generate(q, [](const std::string&) {});
}

// Adds `q` to `d`; its result lands in `out`.
void add(BatchDecoder& d, const GenerationRequest& q, GenerationResult& out) {
  SequenceHooks h;
  h.on_done = [&out](GenerationResult&& r) { out = std::move(r); };
  d.add(q, std::move(h));
}

std::vector<int32_t> long_prompt(int n, int32_t salt) {
  std::vector<int32_t> p = {0};
  for (int i = 1; i < n; i++) p.push_back(int32_t((i * 37 + salt) % 250 + 3));
  return p;
}

}  // namespace

TEST(BatchDecoder, JoiningRequestsAndChunkedPrefillEqualSessions) {
  auto m = fixture();
  const Tokenizer tok = byte_tokenizer();
  DecoderOptions o;
  o.prefill_chunk = 3;  // a 20-token prompt takes 7 steps, mixed with other sequences' decode steps
  o.max_active = 2;     // the third request waits for a slot
  BatchDecoder d(*m, &tok, o);
  std::vector<GenerationRequest> q = {request(long_prompt(20, 1), 5), request({0, 9, 4}, 6, 12),
                                      request(long_prompt(11, 2), 7)};
  std::vector<GenerationResult> got(q.size());
  add(d, q[0], got[0]);
  for (int i = 0; i < 3; i++) d.step();
  add(d, q[1], got[1]);
  d.step();
  add(d, q[2], got[2]);
  while (!d.idle()) d.step();
  for (size_t i = 0; i < q.size(); i++) {
    const GenerationResult want = alone(*m, tok, q[i]);
    EXPECT_EQ(got[i].tokens, want.tokens) << "request " << i;
    EXPECT_EQ(got[i].text, want.text) << "request " << i;
  }
  EXPECT_EQ(d.stats().prefill_tokens, 20 + 3 + 11);
}

TEST(BatchDecoder, CancelEndsASequenceAndFreesItsSlot) {
  auto m = fixture();
  const Tokenizer tok = byte_tokenizer();
  BatchDecoder d(*m, &tok, DecoderOptions{});
  GenerationResult a, b;
  GenerationRequest qa = request({0, 5, 6}, 1, 200), qb = request({0, 7}, 2, 200);
  add(d, qa, a);
  SequenceHooks hb;
  hb.on_done = [&b](GenerationResult&& r) { b = std::move(r); };
  const uint64_t id_b = d.add(qb, std::move(hb));
  for (int i = 0; i < 3; i++) d.step();
  d.cancel(id_b);
  d.step();
  EXPECT_EQ(b.finish, FinishReason::cancelled);
  EXPECT_LE(b.tokens.size(), 4u);
  EXPECT_EQ(d.running(), 1);
  while (!d.idle()) d.step();
  EXPECT_EQ(a.tokens, alone(*m, tok, qa).tokens) << "the other sequence is not disturbed";
}

TEST(BatchDecoder, PrefixCacheHitsGiveTheSameTokensInRamAndOnDisk) {
  auto m = fixture();
  const Tokenizer tok = byte_tokenizer();
  const fs::path dir = fs::temp_directory_path() / ("seek_prefix_cache_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  PrefixCacheOptions po;
  po.dir = dir.string();
  po.model_key = "fixture";
  const GenerationRequest first = request(long_prompt(30, 3), 9);
  GenerationRequest second = request(long_prompt(30, 3), 10);
  second.prompt.insert(second.prompt.end(), {44, 45, 46});
  const GenerationResult want = alone(*m, tok, second);
  {
    PrefixCache cache(*m, AttnForm::Absorb, po);
    DecoderOptions o;
    o.prefix_cache = &cache;
    BatchDecoder d(*m, &tok, o);
    GenerationResult r1, r2;
    add(d, first, r1);
    while (!d.idle()) d.step();
    add(d, second, r2);
    while (!d.idle()) d.step();
    EXPECT_EQ(r1.cached_prompt_tokens, 0);
    EXPECT_EQ(r2.cached_prompt_tokens, 30) << "the first request's prompt is reused";
    EXPECT_EQ(r2.tokens, want.tokens);
  }
  {  // a new cache over the same folder (a restarted server) finds it on disk
    PrefixCache cache(*m, AttnForm::Absorb, po);
    DecoderOptions o;
    o.prefix_cache = &cache;
    BatchDecoder d(*m, &tok, o);
    GenerationResult r;
    add(d, second, r);
    while (!d.idle()) d.step();
    EXPECT_GE(r.cached_prompt_tokens, 30);
    EXPECT_EQ(r.tokens, want.tokens);
    EXPECT_EQ(cache.stats().disk_loads, 1);
  }
  {  // another model's key: its files are not used
    PrefixCacheOptions other = po;
    other.model_key = "another model";
    PrefixCache cache(*m, AttnForm::Absorb, other);
    EXPECT_EQ(cache.lookup(second.prompt, 32).tokens, 0);
  }
  for (const auto& f : fs::directory_iterator(dir)) {  // damaged files: skipped, not loaded
    std::string bytes(size_t(fs::file_size(f.path())), '\0');
    std::fstream io(f.path(), std::ios::in | std::ios::out | std::ios::binary);
    io.read(bytes.data(), std::streamsize(bytes.size()));
    bytes.resize(bytes.size() - 100);
    io.close();
    std::ofstream(f.path(), std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
  }
  {
    PrefixCache cache(*m, AttnForm::Absorb, po);
    EXPECT_EQ(cache.lookup(second.prompt, 32).tokens, 0);
  }
  fs::remove_all(dir);
}

TEST(BatchDecoder, ThinkingBudgetForcesTheClosingTag) {
  auto m = fixture();
  const Tokenizer tok = byte_tokenizer();
  for (int64_t budget : {0, 3, 7}) {
    GenerationRequest q = request({0, 5, 6}, 4, 30);
    auto c = thinking_budget_constraint(tok, budget);
    q.constraint = c.get();
    const GenerationResult r = alone(*m, tok, q);
    const std::string want = tok.decode(std::vector<int32_t>(r.tokens.begin(), r.tokens.begin() + budget)) +
                             "\n</think>\n\n";
    ASSERT_GE(r.text.size(), want.size()) << "budget " << budget;
    if (r.text.substr(0, want.size()) != want) {  // unless the model closed the block itself within its budget
      EXPECT_NE(tok.decode(std::vector<int32_t>(r.tokens.begin(), r.tokens.begin() + budget)).find("</think>"),
                std::string::npos)
          << "budget " << budget << ": " << r.text;
    }
  }
  EXPECT_THROW(thinking_budget_constraint(tok, -1), Error);
}

TEST(BatchDecoder, LogprobsAreTheLogSoftmaxOfTheRawLogits) {
  auto m = fixture();
  const Tokenizer tok = byte_tokenizer();
  GenerationRequest q = request({0, 17, 200}, 3, 4);
  q.top_logprobs = 5;
  q.sampling.temperature = 0.7f;
  const GenerationResult r = alone(*m, tok, q);
  ASSERT_EQ(r.logprobs.size(), r.tokens.size());
  // Recompute the first token's distribution from the model's logits.
  auto cache = m->new_sequence();
  std::vector<float> logits(size_t(m->vocab_size()));
  ForwardOptions fo;
  fo.all_logits = false;
  m->forward(q.prompt.data(), int64_t(q.prompt.size()), *cache, fo, logits.data());
  double mx = -1e30, sum = 0;
  for (float v : logits) mx = std::max(mx, double(v));
  for (float v : logits) sum += std::exp(double(v) - mx);
  const double lse = mx + std::log(sum);
  EXPECT_NEAR(r.logprobs[0].logprob, double(logits[size_t(r.tokens[0])]) - lse, 1e-4);
  ASSERT_EQ(r.logprobs[0].top.size(), 5u);
  EXPECT_EQ(r.logprobs[0].top[0].first, argmax(logits.data(), m->vocab_size()));
  EXPECT_NEAR(r.logprobs[0].top[0].second, mx - lse, 1e-4);
  for (size_t i = 1; i < 5; i++) EXPECT_LE(r.logprobs[0].top[i].second, r.logprobs[0].top[i - 1].second);
}
