// Many sequences in one forward (LanguageModel::forward_batch): prefixes of a fixture's token sequence, of different
// lengths, prefilled together and then decoded one token each in a batched step, give the fixture's reference
// logits row for row (the reference computed the whole sequence causally, so row i of a prefix is row i of the
// whole). For DeepSeek in both attention forms and for a dense model; f32.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/language_model.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  std::vector<int32_t> tokens;
  std::vector<float> expected;  // [T, V]
};

Fixture read_fixture(const fs::path& dir) {
  Fixture f;
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "expected.json"));
  for (auto& t : j["tokens"]) f.tokens.push_back(t.get<int32_t>());
  std::ifstream bin(dir / "expected_logits.f32", std::ios::binary);
  bin.seekg(0, std::ios::end);
  f.expected.resize(size_t(bin.tellg()) / 4);
  bin.seekg(0);
  bin.read(reinterpret_cast<char*>(f.expected.data()), std::streamsize(f.expected.size() * 4));
  return f;
}

double row_diff(const float* a, const float* b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

void check_batched(const fs::path& dir, AttnForm form) {
  const Fixture f = read_fixture(dir);
  auto m = load_model(dir.string());
  const int64_t V = m->vocab_size(), T = int64_t(f.tokens.size());
  const std::vector<int64_t> lens = {3, T / 2, T - 1};  // each leaves a token to decode

  std::vector<std::unique_ptr<SequenceCache>> caches;
  std::vector<std::vector<float>> out;
  std::vector<BatchItem> items;
  for (int64_t L : lens) {
    caches.push_back(m->new_sequence(form));
    out.emplace_back(size_t(L * V));
  }
  for (size_t i = 0; i < lens.size(); i++)
    items.push_back(BatchItem{caches[i].get(), f.tokens.data(), lens[i], out[i].data(), /*all_logits=*/true});
  m->forward_batch(items, ForwardOptions{});
  for (size_t i = 0; i < lens.size(); i++)
    for (int64_t r = 0; r < lens[i]; r++)
      EXPECT_LT(row_diff(&out[i][size_t(r * V)], &f.expected[size_t(r * V)], V), 1e-4)
          << "prefill of sequence " << i << " row " << r;

  // one decode step for all three, last logits only
  std::vector<std::vector<float>> step(lens.size(), std::vector<float>(size_t(V)));
  items.clear();
  for (size_t i = 0; i < lens.size(); i++)
    items.push_back(BatchItem{caches[i].get(), &f.tokens[size_t(lens[i])], 1, step[i].data(), false});
  m->forward_batch(items, ForwardOptions{});
  for (size_t i = 0; i < lens.size(); i++) {
    EXPECT_EQ(caches[i]->len(), lens[i] + 1);
    EXPECT_LT(row_diff(step[i].data(), &f.expected[size_t(lens[i] * V)], V), 1e-4) << "decode of sequence " << i;
  }
}

}  // namespace

TEST(BatchForward, DeepSeekAbsorbMatchesReference) {
  check_batched(fs::path(SEEK_SHARED_DIR) / "fixtures" / "deepseek-v3-tiny", AttnForm::Absorb);
}
TEST(BatchForward, DeepSeekNaiveMatchesReference) {
  check_batched(fs::path(SEEK_SOURCE_DIR) / "tests" / "fixtures" / "v2-lite-like", AttnForm::Naive);
}
TEST(BatchForward, DenseMatchesReference) {
  check_batched(fs::path(SEEK_SOURCE_DIR) / "tests" / "fixtures" / "qwen2-tiny", AttnForm::Absorb);
}
TEST(BatchForward, MixedFormsAreRefused) {
  auto m = load_model((fs::path(SEEK_SHARED_DIR) / "fixtures" / "deepseek-v3-tiny").string());
  auto a = m->new_sequence(AttnForm::Absorb), b = m->new_sequence(AttnForm::Naive);
  const int32_t tok = 5;
  std::vector<float> la(size_t(m->vocab_size())), lb(la.size());
  EXPECT_ANY_THROW(
      m->forward_batch({BatchItem{a.get(), &tok, 1, la.data(), false}, BatchItem{b.get(), &tok, 1, lb.data(), false}},
                       ForwardOptions{}));
}
