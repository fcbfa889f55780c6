// Sequence caches fork and persist: a clone of a cache's first n tokens, or the bytes of them loaded into a fresh
// cache, continues exactly as the original sequence would — checked against the official fixture's logits (the
// model run over the whole sequence at once), for the MLA caches in both forms and for a dense model's cache.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/language_model.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

const fs::path kOfficial = fs::path(SEEK_SHARED_DIR) / "fixtures" / "deepseek-v3-tiny";
const fs::path kQwen = fs::path(SEEK_SOURCE_DIR) / "tests" / "fixtures" / "qwen2-tiny";

// The fixture's expected logits [T, V] (from the official implementation, or the PyTorch reference for Qwen2).
std::vector<float> fixture_logits(const fs::path& dir) {
  std::ifstream bin(dir / "expected_logits.f32", std::ios::binary);
  bin.seekg(0, std::ios::end);
  std::vector<float> v(size_t(bin.tellg()) / 4);
  bin.seekg(0);
  bin.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * 4));
  return v;
}

std::vector<int32_t> fixture_tokens(const fs::path& dir) {
  std::ifstream js(dir / "expected.json");
  std::vector<int32_t> t;
  const nlohmann::json j = nlohmann::json::parse(js);
  for (auto& v : j["tokens"]) t.push_back(v.get<int32_t>());
  return t;
}

// Logits of tokens[from..) continuing `cache` (which holds tokens[0..from)).
std::vector<float> continue_from(const LanguageModel& m, SequenceCache& cache, const std::vector<int32_t>& tokens,
                                 int64_t from) {
  const int64_t T = int64_t(tokens.size()) - from, V = m.vocab_size();
  std::vector<float> logits(size_t(T * V));
  m.forward(tokens.data() + from, T, cache, ForwardOptions{}, logits.data());
  return logits;
}

void expect_close(const std::vector<float>& a, const float* b, const char* what) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); i++) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
  EXPECT_LT(worst, 1e-4) << what;
}

void check_fork_and_persist(const fs::path& dir, AttnForm form) {
  auto m = load_model(dir.string());
  const std::vector<int32_t> tokens = fixture_tokens(dir);
  const int64_t T = int64_t(tokens.size()), V = m->vocab_size(), cut = T / 2;
  const std::vector<float> whole = fixture_logits(dir);
  ASSERT_EQ(whole.size(), size_t(T * V));

  auto original = m->new_sequence(form);
  std::vector<float> first(size_t(T * V));
  m->forward(tokens.data(), T, *original, ForwardOptions{}, first.data());  // holds all T tokens
  auto fork = original->clone(cut);
  EXPECT_EQ(fork->len(), cut);
  expect_close(continue_from(*m, *fork, tokens, cut), &whole[size_t(cut * V)], "clone continues the sequence");
  EXPECT_EQ(original->len(), T) << "cloning leaves the original alone";

  const std::string bytes = original->serialize(cut);
  auto loaded = m->new_sequence(form);
  loaded->deserialize(bytes);
  EXPECT_EQ(loaded->len(), cut);
  expect_close(continue_from(*m, *loaded, tokens, cut), &whole[size_t(cut * V)], "loaded bytes continue it");

  EXPECT_THROW(original->clone(T + 1), Error);
  EXPECT_THROW(loaded->deserialize(bytes.substr(0, bytes.size() - 3)), Error);
  EXPECT_THROW(loaded->deserialize("not a cache"), Error);
}

}  // namespace

TEST(KVCache, MlaAbsorbForksAndPersists) { check_fork_and_persist(kOfficial, AttnForm::Absorb); }
TEST(KVCache, MlaNaiveForksAndPersists) { check_fork_and_persist(kOfficial, AttnForm::Naive); }
TEST(KVCache, DenseForksAndPersists) { check_fork_and_persist(kQwen, AttnForm::Absorb); }

TEST(KVCache, BytesOfAnotherFormAreRefused) {
  auto m = load_model(kOfficial.string());
  const std::vector<int32_t> tokens = fixture_tokens(kOfficial);
  auto absorb = m->new_sequence(AttnForm::Absorb);
  std::vector<float> logits(size_t(int64_t(tokens.size()) * m->vocab_size()));
  m->forward(tokens.data(), int64_t(tokens.size()), *absorb, ForwardOptions{}, logits.data());
  auto naive = m->new_sequence(AttnForm::Naive);
  EXPECT_THROW(naive->deserialize(absorb->serialize(3)), Error);
  auto dense = load_model(kQwen.string())->new_sequence(AttnForm::Absorb);
  EXPECT_THROW(dense->deserialize(absorb->serialize(3)), Error);
}
