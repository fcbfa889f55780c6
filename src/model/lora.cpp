#include "model/lora.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <regex>

#include "core/error.h"
#include "core/uninit_vector.h"
#include "formats/checkpoint.h"
#include "formats/safetensors.h"
#include "kernels/cpu/train_gemm.h"

namespace seek {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
const std::string kPrefix = "base_model.model.";
constexpr const char* kConfigFile = "adapter_config.json";
constexpr const char* kWeightsFile = "adapter_model.safetensors";

std::string module_of(const std::string& weight_name) {
  const std::string suffix = ".weight";
  return weight_name.size() > suffix.size() && weight_name.ends_with(suffix)
             ? weight_name.substr(0, weight_name.size() - suffix.size())
             : weight_name;
}
}  // namespace

double LoraConfig::scaling() const { return rslora ? alpha / std::sqrt(double(rank)) : alpha / double(rank); }

std::string lora_a_name(const std::string& weight_name) { return kPrefix + module_of(weight_name) + ".lora_A.weight"; }
std::string lora_b_name(const std::string& weight_name) { return kPrefix + module_of(weight_name) + ".lora_B.weight"; }

bool lora_target_matches(const std::string& module, const std::string& target) {
  return module == target || module.ends_with("." + target);
}

// ---- the math ----

void lora_forward(const LoraLayer& l, const float* x, int64_t M, float* y) {
  if (M == 0) return;
  uninit_vector<float> u(size_t(M * l.rank));
  cpu::gemm_nt(u.data(), x, l.a, M, l.rank, l.in, false, Precision::F32);  // u[M, r] = x A^T
  for (float& v : u) v *= l.scaling;
  cpu::gemm_nt(y, u.data(), l.b, M, l.out, l.rank, true, Precision::F32);  // y[M, out] += s u B^T
}

void lora_backward(const LoraLayer& l, const float* x, const float* dy, int64_t M, float* dx) {
  if (M == 0) return;
  const int64_t r = l.rank;
  uninit_vector<float> u(size_t(M * r)), du(size_t(M * r));
  if (l.gb) {
    cpu::gemm_nt(u.data(), x, l.a, M, r, l.in, false, Precision::F32);  // u = x A^T (recomputed)
    for (float& v : u) v *= l.scaling;
    cpu::gemm_tn(l.gb, dy, u.data(), l.out, r, M, true, Precision::F32);  // dB[out, r] += dy^T (s u)
  }
  if (!l.ga && !dx) return;
  cpu::gemm_nn(du.data(), dy, l.b, M, r, l.out, false, Precision::F32);  // du[M, r] = s dy B
  for (float& v : du) v *= l.scaling;
  if (l.ga) cpu::gemm_tn(l.ga, du.data(), x, r, l.in, M, true, Precision::F32);  // dA[r, in] += du^T x
  if (dx) cpu::gemm_nn(dx, du.data(), l.a, M, l.in, r, true, Precision::F32);    // dx[M, in] += du A
}

// ---- the adapter ----

LoraLayer& LoraAdapter::add_layer(const TensorSpec& w) {
  TensorSpec a, b;
  a.name = lora_a_name(w.name);
  a.shape = {cfg_.rank, w.shape[1]};
  b.name = lora_b_name(w.name);
  b.shape = {w.shape[0], cfg_.rank};
  ps_.add(a);
  ps_.add(b);
  LoraLayer& l = layers_[w.name];
  l.rank = cfg_.rank;
  l.in = w.shape[1];
  l.out = w.shape[0];
  l.scaling = float(cfg_.scaling());
  return l;
}

void LoraAdapter::bind_layers() {
  for (auto& [name, l] : layers_) {
    Param& a = ps_.at(lora_a_name(name));
    Param& b = ps_.at(lora_b_name(name));
    l.a = a.value.data();
    l.b = b.value.data();
    l.ga = a.grad.data();
    l.gb = b.grad.data();
  }
}

void LoraAdapter::set_trainable(bool on) {
  bind_layers();
  if (!on)
    for (auto& [name, l] : layers_) l.ga = l.gb = nullptr;
}

LoraAdapter::LoraAdapter(const LoraConfig& c, const std::vector<const TensorSpec*>& schema, uint64_t seed) : cfg_(c) {
  check(c.rank >= 1, "--lora-rank must be >= 1, got " + std::to_string(c.rank));
  check(c.alpha > 0, "--lora-alpha must be > 0");
  check(!c.targets.empty(), "--lora-targets: no target modules given");
  for (const std::string& t : c.targets) {
    bool any = false;
    for (const TensorSpec* s : schema)
      if (s->role == Role::Matrix && lora_target_matches(module_of(s->name), t)) any = true;
    if (!any) {
      std::string have;
      for (const TensorSpec* s : schema)
        if (s->role == Role::Matrix && s->name.starts_with("model.layers.0.")) {
          const std::string m = module_of(s->name);
          have += (have.empty() ? "" : ", ") + m.substr(m.rfind('.') + 1);
        }
      throw Error("--lora-targets: '" + t + "' matches no projection of this model (its layers have " + have + ")");
    }
  }
  std::mt19937_64 rng(seed);
  for (const TensorSpec* s : schema) {
    if (s->role != Role::Matrix) continue;
    const std::string m = module_of(s->name);
    if (std::none_of(c.targets.begin(), c.targets.end(),
                     [&](const std::string& t) { return lora_target_matches(m, t); }))
      continue;
    add_layer(*s);
    std::uniform_real_distribution<double> u(-1.0 / std::sqrt(double(s->shape[1])),
                                             1.0 / std::sqrt(double(s->shape[1])));
    for (float& v : ps_.at(lora_a_name(s->name)).value) v = float(u(rng));
  }
  bind_layers();
}

const LoraLayer* LoraAdapter::find(const std::string& weight_name) const {
  auto it = layers_.find(weight_name);
  return it == layers_.end() ? nullptr : &it->second;
}

std::vector<std::string> LoraAdapter::adapted_weights() const {
  std::vector<std::string> v;
  for (const auto& [name, l] : layers_) v.push_back(name);
  return v;
}

Linear LoraSource::matrix(const TensorSpec& s) {
  Linear l = base_.matrix(s);
  l.lora = adapter_.find(s.name);
  return l;
}

std::string resolve_adapter_dir(const std::string& dir) {
  if (fs::exists(fs::path(dir) / kConfigFile)) return dir;
  const std::string r = resolve_model_dir(dir);
  if (!fs::is_directory(dir)) throw Error(dir + ": not an adapter folder (no such directory)");
  if (!fs::exists(fs::path(r) / kConfigFile))
    throw Error(dir + ": not a LoRA adapter folder (no " + std::string(kConfigFile) + ")");
  return r;
}

}  // namespace seek
