// One model definition, two forms. For every fixture configuration (the official V3 fixture, V3 with groups and
// MTP, V2-Lite-like, V2 grouped, FP8 blocks with ragged edges, no YaRN with tied embeddings; and the dense Qwen2
// untied / tied and Llama with llama3 rope scaling):
//   - the trainable form's logits equal the fast form's, on the same (live) weights, in both attention forms, and
//     both equal the reference logits the fixture was made with (tools/reference, or the official implementation);
//   - the fast form built over the trainer's live f32 masters gives the same logits as the same weights written
//     to a checkpoint folder and loaded back from disk;
//   - after the live weights change (as an optimizer step changes them), the fast form sees the change at once.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/safetensors_write.h"
#include "model/deepseek_train.h"
#include "model/dense_train.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir;
  std::vector<int32_t> tokens;
  std::vector<float> expected;  // [T, V]
};

Fixture read_fixture(const fs::path& dir) {
  Fixture f{dir, {}, {}};
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "expected.json"));
  for (auto& t : j["tokens"]) f.tokens.push_back(t.get<int32_t>());
  std::ifstream bin(dir / "expected_logits.f32", std::ios::binary);
  bin.seekg(0, std::ios::end);
  f.expected.resize(size_t(bin.tellg()) / 4);
  bin.seekg(0);
  bin.read(reinterpret_cast<char*>(f.expected.data()), std::streamsize(f.expected.size() * 4));
  return f;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); i++) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

std::vector<float> fast_logits(const LanguageModel& m, const std::vector<int32_t>& tokens, AttnForm form) {
  std::vector<float> out(tokens.size() * size_t(m.vocab_size()));
  auto cache = m.new_sequence(form);
  m.forward(tokens.data(), int64_t(tokens.size()), *cache, ForwardOptions{}, out.data());
  return out;
}

class OneModel : public ::testing::TestWithParam<std::string> {};

TEST_P(OneModel, TrainableAndFastFormsAgree) {
  const Fixture f = read_fixture(GetParam());
  TrainableDeepSeek tm(load_deepseek_config(f.dir.string()));
  tm.load(f.dir.string());
  const int64_t T = int64_t(f.tokens.size());
  std::vector<float> trained(size_t(T * tm.config().vocab_size));
  tm.logits(f.tokens.data(), 1, T, trained.data());
  EXPECT_LT(max_diff(trained, f.expected), 1e-4) << "trainable form vs the reference";
  for (AttnForm form : {AttnForm::Absorb, AttnForm::Naive}) {
    const std::vector<float> fast = fast_logits(tm.inference_model(), f.tokens, form);
    EXPECT_LT(max_diff(fast, trained), 2e-5) << "fast form on live weights vs trainable form, form " << int(form);
  }
}

TEST_P(OneModel, LiveWeightsEqualACheckpointOfThem) {
  const Fixture f = read_fixture(GetParam());
  const DeepSeekConfig c = load_deepseek_config(f.dir.string());
  TrainableDeepSeek tm(c);
  tm.load(f.dir.string());
  for (auto& p : tm.params().all())  // weights of our own, not the fixture's: a trained model's
    for (size_t i = 0; i < p.value.size(); i++) p.value[i] += 1e-3f * float((i * 2654435761u) % 17) - 8e-3f;

  const fs::path out =
      fs::temp_directory_path() / ("seek_one_model_" + std::to_string(getpid()) + "_" + f.dir.filename().string());
  fs::remove_all(out);
  fs::create_directories(out);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& p : tm.params().all())
    tensors.emplace_back(p.name, Tensor::view_of(DType::F32, p.shape, p.value.data(), nullptr));
  save_safetensors((out / "model.safetensors").string(), tensors);
  nlohmann::json cj = nlohmann::json::parse(std::ifstream(f.dir / "config.json"));
  cj.erase("quantization_config");  // the masters are f32
  std::ofstream(out / "config.json") << cj.dump();

  auto loaded = DeepSeekModel::load(out.string());
  for (AttnForm form : {AttnForm::Absorb, AttnForm::Naive})
    EXPECT_EQ(max_diff(fast_logits(tm.inference_model(), f.tokens, form), fast_logits(*loaded, f.tokens, form)), 0.0)
        << "live weights vs the same weights from disk, form " << int(form);
  fs::remove_all(out);
}

TEST_P(OneModel, FastFormSeesTheLiveWeightsChange) {
  const Fixture f = read_fixture(GetParam());
  TrainableDeepSeek tm(load_deepseek_config(f.dir.string()));
  tm.load(f.dir.string());
  const std::vector<float> before = fast_logits(tm.inference_model(), f.tokens, AttnForm::Absorb);
  for (float& v : tm.params().at("model.norm.weight").value) v *= 2.0f;  // what an optimizer step does, in place
  const std::vector<float> after = fast_logits(tm.inference_model(), f.tokens, AttnForm::Absorb);
  std::vector<float> trained(after.size());
  tm.logits(f.tokens.data(), 1, int64_t(f.tokens.size()), trained.data());
  EXPECT_GT(max_diff(before, after), 1e-2) << "the change reaches the fast form";
  EXPECT_LT(max_diff(after, trained), 2e-5) << "and it agrees with the trainable form on the new weights";
}

double mean_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += std::fabs(a[i] - b[i]);
  return s / double(a.size());
}

// Every element of the copy's matrix is the master's value rounded to bf16.
void expect_rounded_copy(const Linear& master, const Linear& copy, const char* what) {
  ASSERT_EQ(copy.w.dtype, DType::BF16) << what;
  ASSERT_EQ(copy.w.rows * copy.w.cols, master.w.rows * master.w.cols) << what;
  int64_t bad = 0;
  for (int64_t r = 0; r < copy.w.rows; r++)
    for (int64_t c = 0; c < copy.w.cols; c++) bad += copy.w.at(r, c) != round_bf16(master.master[r * copy.w.cols + c]);
  EXPECT_EQ(bad, 0) << what;
}

void expect_rounded_copies(const DeepSeekWeights& live, const DeepSeekWeights& bf) {
  expect_rounded_copy(live.embed, bf.embed, "embedding");
  expect_rounded_copy(live.head, bf.head, "head");
  for (size_t l = 0; l < live.blocks.size(); l++) {
    const BlockWeights &a = live.blocks[l], &b = bf.blocks[l];
    expect_rounded_copy(a.attn.wkv_a, b.attn.wkv_a, "kv_a_proj");
    expect_rounded_copy(a.attn.wkv_b, b.attn.wkv_b, "kv_b_proj");
    expect_rounded_copy(a.attn.wo, b.attn.wo, "o_proj");
    if (a.is_moe)
      expect_rounded_copy(a.moe.experts.back().down, b.moe.experts.back().down, "last expert's down_proj");
    else
      expect_rounded_copy(a.mlp.up, b.mlp.up, "up_proj");
  }
}

TEST_P(OneModel, Bf16CopyFollowsTheMastersWhenRefreshed) {
  const Fixture f = read_fixture(GetParam());
  TrainableDeepSeek tm(load_deepseek_config(f.dir.string()));
  tm.load(f.dir.string());
  auto perturb = [&](float scale) {  // the fixtures' weights are bf16 already: make the masters f32-only values
    for (auto& p : tm.params().all())
      if (p.shape.size() == 2)
        for (size_t i = 0; i < p.value.size(); i++) p.value[i] *= scale + 1e-3f * float((i * 2654435761u) % 7);
  };
  perturb(1.0f);
  const DeepSeekModel& bf = tm.bf16_inference_model();
  expect_rounded_copies(tm.inference_model().weights(), bf.weights());
  const std::vector<float> copy = fast_logits(bf, f.tokens, AttnForm::Absorb);
  const std::vector<float> live = fast_logits(tm.inference_model(), f.tokens, AttnForm::Absorb);
  EXPECT_LT(mean_abs_diff(live, copy), 0.05) << "bf16 weights: the logits stay close to the f32 masters'";

  perturb(1.3f);  // an optimizer step changes the masters
  EXPECT_EQ(max_diff(fast_logits(bf, f.tokens, AttnForm::Absorb), copy), 0.0)
      << "until refreshed, the copy holds the old matrices";
  tm.refresh_bf16();
  expect_rounded_copies(tm.inference_model().weights(), bf.weights());
  EXPECT_GT(max_diff(fast_logits(bf, f.tokens, AttnForm::Absorb), copy), 1e-2) << "the refresh reaches the logits";
}

std::vector<std::string> fixtures() {
  std::vector<std::string> dirs = {std::string(SEEK_SHARED_DIR) + "/fixtures/deepseek-v3-tiny"};
  for (const char* name : {"v3-mtp", "v2-lite-like", "v2-grouped", "fp8-ragged", "no-yarn"})
    dirs.push_back(std::string(SEEK_SOURCE_DIR) + "/tests/fixtures/" + name);
  return dirs;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, OneModel, ::testing::ValuesIn(fixtures()), [](const auto& info) {
  std::string n = fs::path(info.param).filename().string();
  for (auto& ch : n)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
});

// ---- the dense models (Qwen2 untied and tied, Llama) ----

class OneDenseModel : public ::testing::TestWithParam<std::string> {};

TEST_P(OneDenseModel, TrainableAndFastFormsAgree) {
  const Fixture f = read_fixture(fs::path(SEEK_SOURCE_DIR) / "tests/fixtures" / GetParam());
  TrainableDense tm(load_dense_config(f.dir.string()));
  tm.load(f.dir.string());
  const int64_t T = int64_t(f.tokens.size());
  std::vector<float> trained(size_t(T * tm.config().vocab_size));
  tm.logits(f.tokens.data(), 1, T, trained.data());
  EXPECT_LT(max_diff(trained, f.expected), 1e-4) << "trainable form vs the reference";
  EXPECT_LT(max_diff(fast_logits(tm.inference_model(), f.tokens, AttnForm::Absorb), trained), 2e-5)
      << "fast form on live weights vs trainable form";
}

TEST_P(OneDenseModel, LiveWeightsEqualACheckpointOfThem) {
  const Fixture f = read_fixture(fs::path(SEEK_SOURCE_DIR) / "tests/fixtures" / GetParam());
  TrainableDense tm(load_dense_config(f.dir.string()));
  tm.load(f.dir.string());
  for (auto& p : tm.params().all())  // weights of our own, not the fixture's: a trained model's
    for (size_t i = 0; i < p.value.size(); i++) p.value[i] += 1e-3f * float((i * 2654435761u) % 17) - 8e-3f;
  const fs::path out = fs::temp_directory_path() / ("seek_one_dense_" + std::to_string(getpid()) + "_" + GetParam());
  fs::remove_all(out);
  fs::create_directories(out);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& p : tm.params().all())
    tensors.emplace_back(p.name, Tensor::view_of(DType::F32, p.shape, p.value.data(), nullptr));
  save_safetensors((out / "model.safetensors").string(), tensors);
  fs::copy_file(f.dir / "config.json", out / "config.json");
  auto loaded = load_model(out.string());
  EXPECT_EQ(max_diff(fast_logits(tm.inference_model(), f.tokens, AttnForm::Absorb),
                     fast_logits(*loaded, f.tokens, AttnForm::Absorb)),
            0.0)
      << "live weights vs the same weights from disk";
  // and the change reached the fast form: the live logits agree with the trainable form on the new weights
  std::vector<float> trained(f.expected.size());
  tm.logits(f.tokens.data(), 1, int64_t(f.tokens.size()), trained.data());
  EXPECT_LT(max_diff(fast_logits(tm.inference_model(), f.tokens, AttnForm::Absorb), trained), 2e-5);
  EXPECT_GT(max_diff(trained, f.expected), 1e-2);
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, OneDenseModel, ::testing::Values("qwen2-tiny", "qwen2-tiny-tied", "llama-tiny"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
