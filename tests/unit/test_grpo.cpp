// GRPO against the float64 PyTorch reference (tests/fixtures/grpo-*, tools/reference/grpo_ref.py): for fixed
// rollouts, rewards, sampling-policy and reference log-probs, the advantages, the loss, its mask-weighted KL,
// clip fractions (both bounds active) and entropy, and every parameter's gradient — for token-level, per-sequence
// (with a fully masked row) and Dr. GRPO normalization, with the KL on and off.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/safetensors.h"
#include "model/deepseek_train.h"
#include "rl/grpo.h"

using namespace seek;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<float> floats(const SafetensorsFile& f, const std::string& name) {
  const Tensor t = f.tensor(name).to_f32();
  return std::vector<float>(t.f32(), t.f32() + t.numel());
}

void check(const std::string& name) {
  const fs::path dir = fs::path(SEEK_SOURCE_DIR) / "tests/fixtures" / name;
  const json ex = json::parse(std::ifstream(dir / "expected.json"));
  const json& hp = ex["hyperparameters"];
  const SafetensorsFile in = SafetensorsFile::open((dir / "inputs.safetensors").string());
  const Tensor tok = in.tensor("tokens");
  const int64_t S = tok.shape[0], T = tok.shape[1], G = hp["G"];
  const int32_t* tokens = static_cast<const int32_t*>(tok.data);

  GrpoObjective o;
  o.eps_low = hp["eps_low"], o.eps_high = hp["eps_high"], o.beta = hp["beta"];
  o.loss_type = parse_grpo_loss_type(hp["loss_type"]);
  o.scaling = parse_reward_scaling(hp["scale_rewards"]);
  o.l_max = hp.value("L_max", int64_t(0));
  GrpoBatch b;
  b.S = S, b.T = T;
  b.mask = floats(in, "mask"), b.old_logp = floats(in, "old_logp"), b.ref_logp = floats(in, "ref_logp");
  const std::vector<float> r = floats(in, "rewards");
  b.adv = group_advantages(std::vector<double>(r.begin(), r.end()), G, o.scaling);
  for (int64_t s = 0; s < S; s++) EXPECT_NEAR(b.adv[size_t(s)], ex["advantages"][size_t(s)].get<double>(), 1e-6);

  std::vector<int32_t> targets(size_t(S * T), -1);  // the prediction at row t is of tokens[t+1], where it counts
  for (int64_t i = 0; i < S * T; i++)
    if (b.mask[size_t(i)] != 0) targets[size_t(i)] = tokens[i + 1];
  TrainableDeepSeek m(load_deepseek_config(dir.string()));
  m.load(dir.string());
  GrpoStats st;
  const double loss = m.forward_objective(
      tokens, S, T, targets.data(),
      [&](int64_t r0, int64_t n, const double* lp, const double* ent, double* d) {
        return grpo_token_loss(o, b, r0, n, lp, ent, d, st);
      },
      Precision::F32, /*backward_follows=*/true);
  m.backward();
  st.finish();
  const double want = ex["loss"];
  EXPECT_NEAR(loss, want, 1e-5 * std::fabs(want) + 1e-7) << name;
  EXPECT_NEAR(st.kl, ex["kl_mean"].get<double>(), 1e-6) << name;
  EXPECT_NEAR(st.clip, ex["clip_fraction"].get<double>(), 1e-12) << name;
  EXPECT_NEAR(st.clip_low, ex["clip_low_fraction"].get<double>(), 1e-12) << name;
  EXPECT_NEAR(st.clip_high, ex["clip_high_fraction"].get<double>(), 1e-12) << name;
  EXPECT_NEAR(st.entropy, ex["entropy_mean"].get<double>(), 1e-5) << name;
  EXPECT_EQ(st.tokens, ex["n_tokens"].get<double>()) << name;

  const SafetensorsFile ref = SafetensorsFile::open((dir / "grads.safetensors").string());
  int checked = 0;
  for (const auto& p : m.params().all()) {
    if (!p.trainable) continue;
    ASSERT_TRUE(ref.has(p.name)) << p.name;
    const std::vector<float> g = floats(ref, p.name);
    double mx = 0, err = 0;
    for (size_t i = 0; i < g.size(); i++) {
      mx = std::max(mx, double(std::fabs(g[i])));
      err = std::max(err, double(std::fabs(g[i] - p.grad[i])));
    }
    EXPECT_LE(err, 1e-4 * std::max(mx, 1e-6)) << name << ": " << p.name << " max |ref| " << mx;
    checked++;
  }
  EXPECT_GT(checked, 10);
}

}  // namespace

TEST(Grpo, TokenLevelWithKlAndClipHigher) { check("grpo-token"); }
TEST(Grpo, DrGrpoConstantNormalizerNoStd) { check("grpo-dr"); }
TEST(Grpo, SequenceLevelWithAFullyMaskedRow) { check("grpo-sequence"); }

TEST(Grpo, AdvantagesNeedGroups) {
  EXPECT_ANY_THROW(group_advantages({1, 0, 1}, 2, RewardScaling::group));
  EXPECT_ANY_THROW(group_advantages({1, 0}, 1, RewardScaling::group));
  const std::vector<double> a = group_advantages({1, 1, 1, 1}, 4, RewardScaling::group);
  for (double v : a) EXPECT_EQ(v, 0.0);  // all equal rewards: no signal (and no division by zero)
}
