// The training model against the float64 PyTorch autograd reference (tests/fixtures/train-*, written by
// tools/reference/make_train_fixtures.py from the definitions in tools/reference/README.md): step-0 losses (main,
// MTP, balance), expert loads, every parameter's gradient of the total and of the main loss alone (also through the
// SFT forward over a TrainBatch), and a ten-step AdamW run (clipping, cosine schedule, expert-bias update) through the
// losses, gradient norms and final weights.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/checkpoint.h"
#include "formats/safetensors.h"
#include "model/config.h"
#include "train/adamw.h"
#include "model/deepseek_train.h"
#include "train/lr_schedule.h"

using namespace seek;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Fixture {
  fs::path dir;
  json ex;
  std::vector<int32_t> tokens;
  int64_t B = 0, T = 0;
  explicit Fixture(const std::string& name) : dir(fs::path(SEEK_SOURCE_DIR) / "tests/fixtures" / name) {
    ex = json::parse(std::ifstream(dir / "expected.json"));
    for (const auto& row : ex["tokens"])
      for (const auto& t : row) tokens.push_back(t.get<int32_t>());
    B = ex["batch"].get<int64_t>();
    T = ex["seq_len"].get<int64_t>();
  }
  LossOptions options() const {
    LossOptions o;
    o.mtp_lambda = ex["lambda"].get<double>();
    o.balance_alpha = ex["alpha"].get<double>();
    return o;
  }
};

double rel(double a, double b) { return std::fabs(a - b) / std::max(1e-12, std::fabs(b)); }

// Every trainable gradient against `file`: max |ours - ref| <= tol * max |ref| per tensor.
void expect_grads(TrainableDeepSeek& m, const SafetensorsFile& ref, double tol) {
  int checked = 0;
  for (const auto& p : m.params().all()) {
    if (!p.trainable) continue;
    ASSERT_TRUE(ref.has(p.name)) << p.name;
    const Tensor g = ref.tensor(p.name).to_f32();
    ASSERT_EQ(g.shape, p.shape) << p.name;
    double mx = 0, err = 0;
    for (int64_t i = 0; i < p.numel(); i++) {
      mx = std::max(mx, double(std::fabs(g.f32()[i])));
      err = std::max(err, double(std::fabs(g.f32()[i] - p.grad[size_t(i)])));
    }
    EXPECT_LE(err, tol * std::max(mx, 1e-6)) << p.name << " max |ref| " << mx;
    checked++;
  }
  EXPECT_GT(checked, 10);
}

class TrainReference : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainReference, LossesLoadsAndGradients) {
  const Fixture f(GetParam());
  const DeepSeekConfig c = load_deepseek_config(f.dir.string());
  TrainableDeepSeek m(c);
  m.load(f.dir.string());
  const Losses L = m.step(f.tokens.data(), f.B, f.T, f.options());
  EXPECT_LT(rel(L.total, f.ex["loss_total"].get<double>()), 1e-5);
  EXPECT_LT(rel(L.main, f.ex["loss_main"].get<double>()), 1e-5);
  EXPECT_LT(rel(L.balance, f.ex["loss_balance"].get<double>()), 1e-5);
  const auto mtp = f.ex["loss_mtp"].get<std::vector<double>>();
  ASSERT_EQ(L.mtp.size(), mtp.size());
  for (size_t k = 0; k < mtp.size(); k++) EXPECT_LT(rel(L.mtp[k], mtp[k]), 1e-5) << "mtp " << k + 1;

  // the experts chosen: the loads of every MoE pass (main layers, then MTP blocks: increasing layer id)
  const auto layers = f.ex["moe_layers"].get<std::vector<int>>();
  ASSERT_EQ(m.expert_load().size(), layers.size());
  for (size_t i = 0; i < layers.size(); i++)
    EXPECT_EQ(m.expert_load()[i], f.ex["expert_load_step0"][std::to_string(layers[i])].get<std::vector<int64_t>>())
        << "layer " << layers[i];

  expect_grads(m, SafetensorsFile::open((f.dir / "grads.safetensors").string()), 1e-4);
}

// Precision "fp8": bf16 with every attention and FFN Linear in DeepSeek-V3's FP8 GEMMs (their numerics are checked
// against the recipe in test_fp8_gemm.cpp). Here the whole step: losses within 1% of the float64 reference, and the
// gradient of all parameters together within 35% of the reference's norm (measured 11-23% on these tiny random
// models; e4m3 keeps 3 mantissa bits, and experts whose near-tied routing flips move much more; with the e4m3
// rounding replaced by bf16 rounding the same pipeline lands at bf16's 0.7-1.6%). And the FP8 path is really taken:
// its gradient is farther from the reference than bf16 alone puts it.
TEST_P(TrainReference, Fp8StepStaysCloseToTheReference) {
  const Fixture f(GetParam());
  const DeepSeekConfig c = load_deepseek_config(f.dir.string());
  LossOptions o = f.options();
  o.precision = Precision::BF16;
  const SafetensorsFile ref = SafetensorsFile::open((f.dir / "grads.safetensors").string());
  double rel_err[2] = {0, 0};  // bf16, fp8: |g - g_ref| / |g_ref| over every trainable parameter
  for (int fp8 = 0; fp8 < 2; fp8++) {
    TrainableDeepSeek m(c);
    m.load(f.dir.string());
    m.set_fp8_linears(fp8 == 1);
    const Losses L = m.step(f.tokens.data(), f.B, f.T, o);
    EXPECT_LT(rel(L.main, f.ex["loss_main"].get<double>()), 0.01) << "fp8 " << fp8;
    EXPECT_LT(rel(L.total, f.ex["loss_total"].get<double>()), 0.01) << "fp8 " << fp8;
    double diff2 = 0, ref2 = 0;
    for (const auto& p : m.params().all()) {
      if (!p.trainable) continue;
      const Tensor g = ref.tensor(p.name).to_f32();
      for (int64_t i = 0; i < p.numel(); i++) {
        const double d = double(p.grad[size_t(i)]) - g.f32()[i];
        diff2 += d * d;
        ref2 += double(g.f32()[i]) * g.f32()[i];
      }
    }
    rel_err[fp8] = std::sqrt(diff2 / ref2);
  }
  std::printf("[ %s ] gradient error relative to its norm: bf16 %.4f, fp8 %.4f\n", GetParam().c_str(), rel_err[0],
              rel_err[1]);
  EXPECT_LT(rel_err[1], 0.35);
  EXPECT_GT(rel_err[1], 1.5 * rel_err[0]);
}

// Activation checkpointing (the norms' outputs and MLA's up-projections dropped after the forward, recomputed in
// backward) computes the same step: identical losses and gradients, in f32 and in bf16.
TEST_P(TrainReference, RecomputeGivesTheSameStep) {
  const Fixture f(GetParam());
  const DeepSeekConfig c = load_deepseek_config(f.dir.string());
  for (Precision prec : {Precision::F32, Precision::BF16}) {
    std::vector<std::vector<float>> grads[2];
    double total[2] = {0, 0};
    for (int rc = 0; rc < 2; rc++) {
      TrainableDeepSeek m(c);
      m.load(f.dir.string());
      LossOptions o = f.options();
      o.precision = prec;
      o.recompute = rc == 1;
      total[rc] = m.step(f.tokens.data(), f.B, f.T, o).total;
      for (const auto& p : m.params().all())
        if (p.trainable) grads[rc].emplace_back(p.grad.begin(), p.grad.end());
    }
    EXPECT_EQ(total[0], total[1]);
    ASSERT_EQ(grads[0].size(), grads[1].size());
    for (size_t i = 0; i < grads[0].size(); i++) EXPECT_EQ(grads[0][i], grads[1][i]) << "parameter " << i;
  }
}

// The main loss alone (what `seek loss-grad` computes).
TEST_P(TrainReference, MainLossGradients) {
  const Fixture f(GetParam());
  TrainableDeepSeek m(load_deepseek_config(f.dir.string()));
  m.load(f.dir.string());
  LossOptions o;
  o.mtp_depth = 0;
  o.balance_alpha = 0;
  const Losses L = m.step(f.tokens.data(), f.B, f.T, o);
  EXPECT_LT(rel(L.main, f.ex["loss_main"].get<double>()), 1e-5);
  expect_grads(m, SafetensorsFile::open((f.dir / "grads_main.safetensors").string()), 1e-4);
}

// The SFT forward over a TrainBatch (per-row targets: here the next token, none at each row's end) is the main
// loss: the summed cross-entropy over B*(T-1) rows, and with grad_scale 1/count the main loss's gradients.
TEST_P(TrainReference, TrainBatchForwardIsTheMainLoss) {
  const Fixture f(GetParam());
  TrainableDeepSeek m(load_deepseek_config(f.dir.string()));
  m.load(f.dir.string());
  std::vector<int32_t> targets(f.tokens.size());
  for (int64_t r = 0; r < f.B * f.T; r++) targets[size_t(r)] = r % f.T + 1 < f.T ? f.tokens[size_t(r + 1)] : -1;
  const double n = double(f.B * (f.T - 1));
  const TrainLoss L = m.forward(TrainBatch{f.tokens.data(), targets.data(), nullptr, f.B, f.T}, Precision::F32,
                                1.0 / n, true);
  m.backward();
  EXPECT_EQ(L.count, f.B * (f.T - 1));
  EXPECT_LT(rel(L.mean(), f.ex["loss_main"].get<double>()), 1e-5);
  expect_grads(m, SafetensorsFile::open((f.dir / "grads_main.safetensors").string()), 1e-4);
}

// Ten steps on the same batch: forward + backward, clip, AdamW at the scheduled lr, then the bias update.
TEST_P(TrainReference, TenAdamWSteps) {
  const Fixture f(GetParam());
  TrainableDeepSeek m(load_deepseek_config(f.dir.string()));
  m.load(f.dir.string());
  const json& hp = f.ex["hyperparameters"];
  AdamWConfig ac;
  ac.beta1 = hp["betas"][0].get<double>();
  ac.beta2 = hp["betas"][1].get<double>();
  ac.eps = hp["eps"].get<double>();
  ac.weight_decay = hp["weight_decay"].get<double>();
  std::vector<OptimizerParam> ops;
  for (auto& p : m.params().all())
    if (p.trainable)
      ops.push_back({p.name, p.value.data(), p.grad.data(), p.numel(), default_decay(p.name, int(p.shape.size()))});
  AdamW opt(ac, ops);
  const LrSchedule sched = parse_lr_schedule(hp["lr_schedule"], "fixture lr_schedule");
  const double gamma = f.ex["gamma"].get<double>();
  const int64_t steps = hp["steps"].get<int64_t>();
  for (int64_t s = 0; s < steps; s++) {
    m.params().zero_grad();
    m.reset_load();
    const Losses L = m.step(f.tokens.data(), f.B, f.T, f.options());
    const json& want = f.ex["losses_per_step"][size_t(s)];
    EXPECT_LT(rel(L.total, want["total"].get<double>()), 2e-5) << "step " << s;
    EXPECT_LT(rel(L.main, want["main"].get<double>()), 2e-5) << "step " << s;
    const double norm = clip_grad_norm(ops, hp["max_grad_norm"].get<double>());
    EXPECT_LT(rel(norm, f.ex["grad_norm_per_step"][size_t(s)].get<double>()), 1e-4) << "step " << s;
    EXPECT_NEAR(sched.lr(s), f.ex["lr_per_step"][size_t(s)].get<double>(), 1e-12);
    opt.step(sched.lr(s));
    m.update_selection_bias(gamma);
  }
  const SafetensorsFile after = SafetensorsFile::open((f.dir / "params_after.safetensors").string());
  for (const auto& p : m.params().all()) {
    const Tensor w = after.tensor(p.name).to_f32();
    double err = 0;
    for (int64_t i = 0; i < p.numel(); i++) err = std::max(err, double(std::fabs(w.f32()[i] - p.value[size_t(i)])));
    EXPECT_LE(err, 5e-5) << p.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TrainReference, ::testing::Values("train-v3", "train-v2", "train-mtp2"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
