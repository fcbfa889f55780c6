// AdamW and gradient clipping against PyTorch (torch.optim.AdamW + clip_grad_norm_ + LambdaLR, fixture written by
// tools/reference/make_optimizer_fixture.py), the first step against its closed form, and the threaded update
// against the single-threaded one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/error.h"
#include "core/parallel.h"
#include "formats/safetensors.h"
#include "train/adamw.h"
#include "train/lr_schedule.h"
#include "train/trainer_state.h"

using namespace seek;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kFixture = fs::path(SEEK_SOURCE_DIR) / "tests/fixtures/optimizer";

// "<what>.<k>.<name>" (built with +=: GCC 12 misreports `"literal" + std::string&&` under -Werror=restrict)
std::string key(const char* what, int k, const std::string& name) {
  std::string s = what;
  s += '.';
  s += std::to_string(k);
  s += '.';
  s += name;
  return s;
}

struct Fixture {
  json meta;
  SafetensorsFile st;
  std::vector<std::string> names;
  std::vector<std::vector<float>> data, grad;  // our buffers, per param
  std::vector<OptimizerParam> params;

  Fixture()
      : meta(json::parse(std::ifstream(kFixture / "adamw.json"))),
        st(SafetensorsFile::open((kFixture / "adamw.safetensors").string())) {
    for (auto& p : meta["params"]) {
      std::string n = p["name"];
      Tensor init = st.tensor("init." + n);
      names.push_back(n);
      data.emplace_back(init.f32(), init.f32() + init.numel());
      grad.emplace_back(size_t(init.numel()), 0.0f);
    }
    for (size_t i = 0; i < names.size(); i++) {
      bool decay = meta["params"][i]["decay"];
      int ndim = int(meta["params"][i]["shape"].size());
      EXPECT_EQ(default_decay(names[i], ndim), decay) << names[i];  // the fixture follows the default rule
      params.push_back({names[i], data[i].data(), grad[i].data(), int64_t(data[i].size()), decay});
    }
  }
  AdamWConfig config() const {
    return {meta["beta1"].get<double>(), meta["beta2"].get<double>(), meta["eps"].get<double>(),
            meta["weight_decay"].get<double>()};
  }
  void load_grads(int k) {
    for (size_t i = 0; i < names.size(); i++) {
      Tensor g = st.tensor(key("grad", k, names[i]));
      std::memcpy(grad[i].data(), g.f32(), g.nbytes());
    }
  }
  // Clips, checks the norm and lr against PyTorch's, and steps.
  void step(AdamW& opt, const LrSchedule& sched, int k) {
    load_grads(k);
    double norm = clip_grad_norm(params, meta["max_norm"].get<double>());
    double ref_norm = meta["grad_norm"][k];
    EXPECT_NEAR(norm, ref_norm, 1e-6 * ref_norm) << "step " << k;
    double lr = sched.lr(k), ref_lr = meta["lr"][k];
    EXPECT_NEAR(lr, ref_lr, 1e-14) << "step " << k;
    opt.step(lr);
  }
};

// max over elements of |a - b| / max(|b|, 0.1): relative, except near zero where the f32 rounding of the O(1)
// terms that cancelled to give b sets the scale. Also counts the elements that differ at all.
double max_rel_err(const float* a, const Tensor& b, int64_t* differ = nullptr) {
  double worst = 0;
  for (int64_t i = 0; i < b.numel(); i++) {
    double ref = b.f32()[i];
    worst = std::max(worst, std::abs(double(a[i]) - ref) / std::max(std::abs(ref), 0.1));
    if (differ) *differ += a[i] != b.f32()[i];
  }
  return worst;
}

}  // namespace

TEST(AdamW, MatchesPyTorchOverTenStepsWithClippingAndSchedule) {
  Fixture f;
  LrSchedule sched = parse_lr_schedule(f.meta["schedule"], "adamw.json: schedule");
  AdamW opt(f.config(), f.params);
  const int steps = f.meta["steps"];
  int clipped = 0;
  int64_t differ = 0, total = 0;
  for (int k = 0; k < steps; k++) {
    f.step(opt, sched, k);
    clipped += f.meta["clipped"][k].get<bool>();
    for (size_t i = 0; i < f.names.size(); i++) {
      Tensor ref = f.st.tensor(key("param", k, f.names[i]));
      EXPECT_LT(max_rel_err(f.data[i].data(), ref, &differ), 1e-6) << "step " << k << " " << f.names[i];
      total += ref.numel();
    }
  }
  // Operation by operation as PyTorch, most values come out bit-identical; the rest differ by an ulp.
  printf("AdamW vs PyTorch: %lld of %lld parameter values differ\n", (long long)differ, (long long)total);
  EXPECT_LT(differ, total / 10);
  EXPECT_EQ(opt.steps(), steps);
  EXPECT_GT(clipped, 0);
  for (auto& n : f.names) {
    Tensor m = opt.exp_avg(n), v = opt.exp_avg_sq(n);
    Tensor rm = f.st.tensor("m." + n), rv = f.st.tensor("v." + n);
    double m_err = 0, v_err = 0, m_scale = 0, v_scale = 0;
    for (int64_t i = 0; i < rm.numel(); i++) {
      m_err = std::max(m_err, double(std::abs(m.f32()[i] - rm.f32()[i])));
      v_err = std::max(v_err, double(std::abs(v.f32()[i] - rv.f32()[i])));
      m_scale = std::max(m_scale, double(std::abs(rm.f32()[i])));
      v_scale = std::max(v_scale, double(std::abs(rv.f32()[i])));
    }
    EXPECT_LT(m_err, 1e-6 * m_scale) << n;
    EXPECT_LT(v_err, 1e-6 * v_scale) << n;
  }
}

TEST(AdamW, ResumeThroughTrainerStateMatchesPyTorch) {
  // Five steps, save the state, restore it into a fresh optimizer over a copy of the weights, five more steps:
  // the result must still be PyTorch's uninterrupted ten-step run.
  Fixture f;
  LrSchedule sched = parse_lr_schedule(f.meta["schedule"], "schedule");
  TrainerState state;
  {
    AdamW opt(f.config(), f.params);
    for (int k = 0; k < 5; k++) f.step(opt, sched, k);
    capture_optimizer_state(opt, state);
    state.step = 5;
    fs::path d = fs::temp_directory_path() / ("seek-adamw-resume-" + std::to_string(::getpid()));
    fs::create_directories(d);
    write_trainer_state(d.string(), state);
    state = read_trainer_state(d.string());
    fs::remove_all(d);  // the moments stay readable: the map outlives the name
  }
  Fixture g;
  for (size_t i = 0; i < f.names.size(); i++) g.data[i] = f.data[i];
  AdamW opt(g.config(), g.params);
  restore_optimizer_state(state, opt);
  EXPECT_EQ(opt.steps(), 5);
  for (int k = 5; k < 10; k++) g.step(opt, sched, k);
  for (size_t i = 0; i < g.names.size(); i++)
    EXPECT_LT(max_rel_err(g.data[i].data(), g.st.tensor("param.9." + g.names[i])), 1e-6) << g.names[i];
}

TEST(AdamW, FirstStepIsTheClosedForm) {
  // With zero moments, the bias-corrected first step is p*(1 - lr*wd) - lr * g / (|g| + eps).
  std::vector<float> p = {1.0f, -2.0f, 0.5f, 3.0f}, g = {0.1f, -0.02f, 1e-9f, 0.0f};
  std::vector<float> p0 = p;
  AdamWConfig c;
  c.weight_decay = 0.1;
  AdamW opt(c, {{"w", p.data(), g.data(), 4, true}});
  const double lr = 0.01;
  opt.step(lr);
  for (int i = 0; i < 4; i++) {
    double want = p0[i] * (1 - lr * c.weight_decay) - lr * g[i] / (std::abs(double(g[i])) + c.eps);
    EXPECT_NEAR(p[i], want, 1e-6 * std::abs(want)) << i;
  }
}

TEST(AdamW, ThreadedUpdateEqualsSerial) {
  // Sizes straddling the per-thread split and the vector width; the update is elementwise, so the split must not
  // change a single bit.
  const std::vector<int64_t> sizes = {70001, 1, 17, 33333, 5};
  std::mt19937 rng(3);
  std::normal_distribution<float> nd;
  std::vector<std::vector<float>> init, grads;
  for (int64_t n : sizes) {
    init.emplace_back(size_t(n));
    grads.emplace_back(size_t(n));
    for (auto& x : init.back()) x = nd(rng);
    for (auto& x : grads.back()) x = nd(rng) * 0.01f;
  }
  auto run = [&](int threads, double* norm) {
    set_num_threads(threads);
    std::vector<std::vector<float>> d = init, g = grads;
    std::vector<OptimizerParam> ps;
    for (size_t i = 0; i < sizes.size(); i++)
      ps.push_back({key("p", int(i), ""), d[i].data(), g[i].data(), sizes[i], i % 2 == 0});
    AdamW opt(AdamWConfig{}, ps);
    *norm = global_grad_norm(ps);
    for (int k = 0; k < 3; k++) opt.step(1e-3);
    return d;
  };
  double n1 = 0, n4 = 0;
  auto serial = run(1, &n1);
  auto threaded = run(4, &n4);
  set_num_threads(0);
  for (size_t i = 0; i < sizes.size(); i++)
    EXPECT_EQ(std::memcmp(serial[i].data(), threaded[i].data(), serial[i].size() * 4), 0) << "param " << i;
  double ss = 0;
  for (auto& g : grads)
    for (float x : g) ss += double(x) * x;
  EXPECT_NEAR(n1, std::sqrt(ss), 1e-12 * std::sqrt(ss));
  EXPECT_NEAR(n4, std::sqrt(ss), 1e-12 * std::sqrt(ss));
}

TEST(AdamW, ClipLeavesSmallGradientsAlone) {
  std::vector<float> d(3, 0.f), g = {3.f, 0.f, 4.f};
  std::vector<OptimizerParam> ps = {{"w", d.data(), g.data(), 3, true}};
  EXPECT_DOUBLE_EQ(clip_grad_norm(ps, 10.0), 5.0);
  EXPECT_EQ(g[0], 3.f);
  EXPECT_DOUBLE_EQ(clip_grad_norm(ps, 1.0), 5.0);
  EXPECT_FLOAT_EQ(g[0], float(3.0 / (5.0 + 1e-6)));
  EXPECT_FLOAT_EQ(g[2], float(4.0 / (5.0 + 1e-6)));
}

TEST(AdamW, DefaultDecayRule) {
  EXPECT_TRUE(default_decay("model.layers.0.mlp.gate_proj.weight", 2));
  EXPECT_TRUE(default_decay("model.embed_tokens.weight", 2));
  EXPECT_FALSE(default_decay("model.layers.0.input_layernorm.weight", 1));
  EXPECT_FALSE(default_decay("model.layers.0.self_attn.kv_a_layernorm.weight", 2));  // by name alone
  EXPECT_FALSE(default_decay("model.layers.0.self_attn.q_proj.bias", 2));
  EXPECT_FALSE(default_decay("model.layers.3.mlp.gate.e_score_correction_bias", 1));
  EXPECT_FALSE(default_decay("scalar", 0));
}

TEST(AdamW, BadConfigurationIsAClearError) {
  std::vector<float> a(2), b(2);
  EXPECT_THROW(AdamW({}, {{"w", a.data(), b.data(), 2, true}, {"w", a.data(), b.data(), 2, true}}), Error);
  EXPECT_THROW(AdamW({}, {{"w", nullptr, b.data(), 2, true}}), Error);
  AdamWConfig bad;
  bad.beta2 = 1.0;
  EXPECT_THROW(AdamW(bad, {}), Error);
  AdamW ok({}, {{"w", a.data(), b.data(), 2, true}});
  EXPECT_THROW(ok.step(std::nan("")), Error);
  EXPECT_THROW(ok.exp_avg("nope"), Error);
  TrainerState s;
  s.exp_avg["w"] = Tensor::zeros(DType::F32, {3});
  s.exp_avg_sq["w"] = Tensor::zeros(DType::F32, {2});
  try {
    restore_optimizer_state(s, ok);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("first moment (m) of parameter 'w'"), std::string::npos) << e.what();
  }
}
