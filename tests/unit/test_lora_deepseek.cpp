// LoRA on a DeepSeek model (it falls out of the same Linear): an adapter on the MLA projections (not kv_b_proj),
// the dense MLP and every routed and shared expert of the F32 train-v3 fixture, applied at load, gives the logits of
// the merged model folder (W + scaling * B A written out, loaded as a plain checkpoint) in both attention forms; an
// adapter on kv_b_proj (which the absorbed attention reads directly) is refused.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "model/lora.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

std::vector<float> logits(const LanguageModel& m, const std::vector<int32_t>& tokens, AttnForm form) {
  std::vector<float> out(tokens.size() * size_t(m.vocab_size()));
  auto cache = m.new_sequence(form);
  m.forward(tokens.data(), int64_t(tokens.size()), *cache, ForwardOptions{}, out.data());
  return out;
}

TEST(LoraDeepSeek, AdapterAtLoadEqualsTheMergedModel) {
  const fs::path base = fs::path(SEEK_SOURCE_DIR) / "tests/fixtures/train-v3";
  const fs::path tmp = fs::temp_directory_path() / ("seek_lora_v3_" + std::to_string(getpid()));
  fs::remove_all(tmp);
  std::shared_ptr<void> keep;
  LoraConfig c;
  c.rank = 4;
  c.alpha = 8;
  c.targets = {"q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "o_proj", "gate_proj", "up_proj", "down_proj"};
  LoraAdapter a(c, model_tensor_specs(base.string(), keep), 5);
  std::mt19937 rng(3);
  std::normal_distribution<float> d(0.0f, 0.05f);
  for (Param& p : a.params().all())
    if (p.name.ends_with("lora_B.weight"))
      for (float& v : p.value) v = d(rng);  // PEFT starts B at zero; a trained adapter's is not
  a.write((tmp / "adapter").string(), base.string());
  write_merged_model(base.string(), a, (tmp / "merged").string());
  auto adapted = load_model_with_adapter(base.string(), (tmp / "adapter").string());
  auto merged = load_model((tmp / "merged").string());
  auto plain = load_model(base.string());
  const std::vector<int32_t> tokens = {0, 5, 17, 42, 79, 7, 3, 3, 60};
  for (AttnForm form : {AttnForm::Absorb, AttnForm::Naive}) {
    const auto x = logits(*adapted, tokens, form), y = logits(*merged, tokens, form), z = logits(*plain, tokens, form);
    double diff = 0, moved = 0;
    for (size_t i = 0; i < x.size(); i++) {
      diff = std::max(diff, double(std::fabs(x[i] - y[i])));
      moved = std::max(moved, double(std::fabs(x[i] - z[i])));
    }
    EXPECT_LT(diff, 1e-4) << "adapter at load vs merged, form " << int(form);
    EXPECT_GT(moved, 1e-2) << "the adapter changes the logits, form " << int(form);
  }
  // kv_b_proj: refused
  c.targets = {"kv_b_proj"};
  LoraAdapter kvb(c, model_tensor_specs(base.string(), keep), 5);
  kvb.write((tmp / "kvb").string(), base.string());
  try {
    load_model_with_adapter(base.string(), (tmp / "kvb").string());
    ADD_FAILURE() << "an adapter on kv_b_proj loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("kv_b_proj"), std::string::npos) << e.what();
  }
  fs::remove_all(tmp);
}

}  // namespace
