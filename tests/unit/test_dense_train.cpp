// The dense models' trainable form against the float64 PyTorch autograd reference (tests/fixtures/train-qwen2,
// train-qwen2-tied, train-llama, lora-qwen2; written by tools/reference/make_dense_train_fixtures.py from
// dense_ref.DenseTrainRef): the loss and every parameter's gradient at the initial weights, and a few AdamW steps
// (clipping, cosine schedule) through the losses, gradient norms and final weights. LoRA on the BF16 base
// qwen2-tiny: the adapted logits of both forms, the adapter's gradients and steps, the adapter read and written in
// PEFT's layout.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/safetensors.h"
#include "model/dense_train.h"
#include "model/lora.h"
#include "train/adamw.h"
#include "train/lr_schedule.h"

using namespace seek;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path fixture(const std::string& name) { return fs::path(SEEK_SOURCE_DIR) / "tests/fixtures" / name; }

struct Batch {
  std::vector<int32_t> tokens;
  int64_t B = 0, T = 0;
  json ex;
  explicit Batch(const fs::path& dir) : ex(json::parse(std::ifstream(dir / "expected.json"))) {
    for (const auto& row : ex["tokens"])
      for (const auto& t : row) tokens.push_back(t.get<int32_t>());
    B = ex["batch"].get<int64_t>();
    T = ex["seq_len"].get<int64_t>();
  }
  TrainBatch batch() const {
    TrainBatch b;
    b.tokens = tokens.data();
    b.B = B;
    b.T = T;
    return b;
  }
};

double rel(double a, double b) { return std::fabs(a - b) / std::max(1e-12, std::fabs(b)); }

// Every parameter's gradient against `file`: max |ours - ref| <= tol * max |ref| per tensor.
void expect_grads(ParamStore& ps, const SafetensorsFile& ref, double tol) {
  int checked = 0;
  for (const auto& p : ps.all()) {
    ASSERT_TRUE(ref.has(p.name)) << p.name;
    const Tensor g = ref.tensor(p.name).to_f32();
    ASSERT_EQ(g.shape, p.shape) << p.name;
    double mx = 0, err = 0;
    for (int64_t i = 0; i < p.numel(); i++) {
      mx = std::max(mx, double(std::fabs(g.f32()[i])));
      err = std::max(err, double(std::fabs(g.f32()[i] - p.grad[size_t(i)])));
    }
    EXPECT_GT(mx, 0.0) << p.name << ": the reference gradient is zero, the check would prove nothing";
    EXPECT_LE(err, tol * std::max(mx, 1e-6)) << p.name << " max |ref| " << mx;
    checked++;
  }
  EXPECT_EQ(size_t(checked), ref.names().size());
}

// The fixture's AdamW run on the same batch every step: losses, pre-clip norms, and the final weights.
void expect_adamw_run(TrainableDense& m, const Batch& f, const fs::path& dir) {
  const json& hp = f.ex["hyperparameters"];
  AdamWConfig ac;
  ac.beta1 = hp["betas"][0].get<double>();
  ac.beta2 = hp["betas"][1].get<double>();
  ac.eps = hp["eps"].get<double>();
  ac.weight_decay = hp["weight_decay"].get<double>();
  std::vector<OptimizerParam> ops;
  for (auto& p : m.params().all())
    ops.push_back({p.name, p.value.data(), p.grad.data(), p.numel(), default_decay(p.name, int(p.shape.size()))});
  AdamW opt(ac, ops);
  const LrSchedule sched = parse_lr_schedule(hp["lr_schedule"], "fixture lr_schedule");
  const int64_t steps = hp["steps"].get<int64_t>(), count = f.B * (f.T - 1);
  for (int64_t s = 0; s < steps; s++) {
    m.params().zero_grad();
    const TrainLoss L = m.forward(f.batch(), Precision::F32, 1.0 / double(count), true);
    m.backward();
    EXPECT_LT(rel(L.mean(), f.ex["losses_per_step"][size_t(s)].get<double>()), 2e-5) << "step " << s;
    const double norm = clip_grad_norm(ops, hp["max_grad_norm"].get<double>());
    EXPECT_LT(rel(norm, f.ex["grad_norm_per_step"][size_t(s)].get<double>()), 1e-4) << "step " << s;
    opt.step(sched.lr(s));
  }
  const SafetensorsFile after = SafetensorsFile::open((dir / "params_after.safetensors").string());
  for (const auto& p : m.params().all()) {
    const Tensor w = after.tensor(p.name).to_f32();
    double err = 0;
    for (int64_t i = 0; i < p.numel(); i++) err = std::max(err, double(std::fabs(w.f32()[i] - p.value[size_t(i)])));
    EXPECT_LE(err, 5e-5) << p.name;
  }
}

class DenseTrainReference : public ::testing::TestWithParam<std::string> {};

TEST_P(DenseTrainReference, LossAndEveryGradient) {
  const fs::path dir = fixture(GetParam());
  const Batch f(dir);
  TrainableDense m(load_dense_config(dir.string()));
  m.load(dir.string());
  const int64_t count = f.B * (f.T - 1);
  const TrainLoss L = m.forward(f.batch(), Precision::F32, 1.0 / double(count), true);
  m.backward();
  EXPECT_EQ(L.count, count);
  EXPECT_LT(rel(L.mean(), f.ex["loss"].get<double>()), 1e-5);
  expect_grads(m.params(), SafetensorsFile::open((dir / "grads.safetensors").string()), 1e-4);
}

TEST_P(DenseTrainReference, AdamWSteps) {
  const fs::path dir = fixture(GetParam());
  const Batch f(dir);
  TrainableDense m(load_dense_config(dir.string()));
  m.load(dir.string());
  expect_adamw_run(m, f, dir);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DenseTrainReference,
                         ::testing::Values("train-qwen2", "train-qwen2-tied", "train-llama"), [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// ---- LoRA ----

std::vector<float> read_f32(const fs::path& p) {
  const std::string bytes = read_text_file(p.string());
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); i++) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

struct LoraFixture {
  fs::path dir = fixture("lora-qwen2"), base = fixture("qwen2-tiny");
  Batch f{dir};
  std::shared_ptr<void> keep;
  std::unique_ptr<LoraAdapter> adapter;
  LoraFixture() { adapter = LoraAdapter::read(dir.string(), model_tensor_specs(base.string(), keep), base.string()); }
};

TEST(DenseLora, AdaptedLogitsOfBothFormsEqualTheReference) {
  LoraFixture x;
  const std::vector<float> want = read_f32(x.dir / "expected_logits.f32");
  const int64_t V = 256;
  // the fast form, as `seek forward --model BASE --adapter DIR` runs it, one sequence at a time
  auto model = load_model_with_adapter(x.base.string(), x.dir.string());
  std::vector<float> fast(want.size());
  for (int64_t b = 0; b < x.f.B; b++) {
    auto cache = model->new_sequence();
    model->forward(&x.f.tokens[size_t(b * x.f.T)], x.f.T, *cache, ForwardOptions{}, &fast[size_t(b * x.f.T * V)]);
  }
  EXPECT_LT(max_diff(fast, want), 1e-4) << "fast form with the adapter vs the PyTorch reference";
  // the trainable form over the frozen BF16 base
  TrainableDense m(x.base.string(), *x.adapter);
  std::vector<float> trained(want.size());
  m.logits(x.f.tokens.data(), x.f.B, x.f.T, trained.data());
  EXPECT_LT(max_diff(trained, want), 1e-4) << "trainable form with the adapter vs the PyTorch reference";
  // and the adapter matters: the base alone is far from it
  auto plain = load_model(x.base.string());
  std::vector<float> base_logits(size_t(x.f.T * V));
  auto cache = plain->new_sequence();
  plain->forward(x.f.tokens.data(), x.f.T, *cache, ForwardOptions{}, base_logits.data());
  EXPECT_GT(max_diff(base_logits, std::vector<float>(want.begin(), want.begin() + x.f.T * V)), 0.1);
}

TEST(DenseLora, AdapterGradientsAndSteps) {
  LoraFixture x;
  x.adapter->set_trainable(true);
  TrainableDense m(x.base.string(), *x.adapter);
  EXPECT_TRUE(m.lora());
  const int64_t count = x.f.B * (x.f.T - 1);
  const TrainLoss L = m.forward(x.f.batch(), Precision::F32, 1.0 / double(count), true);
  m.backward();
  EXPECT_LT(rel(L.mean(), x.f.ex["loss"].get<double>()), 1e-5);
  expect_grads(m.params(), SafetensorsFile::open((x.dir / "grads.safetensors").string()), 1e-4);
  expect_adamw_run(m, x.f, x.dir);
}

// seek's writer reproduces the PEFT-layout files the reference wrote: the same tensor header (names, dtypes,
// shapes, metadata) and bytes, and the same config fields.
TEST(DenseLora, WrittenAdapterHasPeftsLayout) {
  LoraFixture x;
  const fs::path out = fs::temp_directory_path() / ("seek_lora_write_" + std::to_string(getpid()));
  fs::remove_all(out);
  x.adapter->write(out.string(), "../qwen2-tiny");
  EXPECT_EQ(read_text_file((out / "adapter_model.safetensors").string()),
            read_text_file((x.dir / "adapter_model.safetensors").string()));
  EXPECT_EQ(json::parse(read_text_file((out / "adapter_config.json").string())),
            json::parse(read_text_file((x.dir / "adapter_config.json").string())));
  fs::remove_all(out);
}

TEST(DenseLora, AnAdapterForAnotherBaseIsAnError) {
  LoraFixture x;
  auto error_of = [&](const std::string& other) {
    std::shared_ptr<void> keep;
    const fs::path base = fixture(other);
    try {
      LoraAdapter::read(x.dir.string(), model_tensor_specs(base.string(), keep), base.string());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // shapes that differ (hidden 32, not 64): the error names the tensor
  const std::string shapes = error_of("train-qwen2");
  EXPECT_NE(shapes.find("another base model"), std::string::npos) << shapes;
  EXPECT_NE(shapes.find("model.layers.0.mlp.down_proj.lora_A.weight"), std::string::npos) << shapes;
  // same projection shapes, another base (llama-tiny; qwen2-tiny-tied has a third layer): the base name
  for (const char* other : {"llama-tiny", "qwen2-tiny-tied"}) {
    const std::string e = error_of(other);
    EXPECT_NE(e.find("made for base model '../qwen2-tiny'"), std::string::npos) << other << ": " << e;
  }
  EXPECT_EQ(error_of("qwen2-tiny"), "no error");
}

}  // namespace
