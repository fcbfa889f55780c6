// GRPO step time: one policy update of a DeepSeek-V3-architecture model on a batch of rollouts, the step that
// tools/reference/grpo_peer.py times in PyTorch (same shapes, same batch values, same objective):
//   reference-model forward (beta > 0: a frozen copy of the initial weights, log-probs only)
//   policy forward_objective(backward_follows) with grpo_token_loss (token-level, group-std advantages, clip
//   eps_low 0.2 / eps_high 0.28, k3 KL), old_logp = the current log-probs (mu = 1), then backward(),
//   clip_grad_norm(1.0), AdamW (betas 0.9/0.95, eps 1e-8, weight decay 0.1 on matrices).
// Prints one JSON line {"step_ms", "tokens_per_s", "threads", "dtype", "phases_ms", ...}; bench/grpo_vs_pytorch.sh
// runs it beside the peer.
//
//   bench_grpo_step CONFIG [--seq-len 256] [--groups 2] [--group-size 4] [--completion 192] [--steps 5]
//                   [--warmup 2] [--threads N] [--dtype f32|bf16] [--beta 0.04] [--seed 1] [--lr 1e-6]
//   bench_grpo_step --preset tiny [--vocab 8192] --write-config PATH     (the config seek train --preset uses)
//
// CONFIG is a Hugging Face config.json or a folder holding one. Weights are random (init_random, std 0.02).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "model/config.h"
#include "model/deepseek_train.h"
#include "rl/grpo.h"
#include "train/adamw.h"
#include "train/flops.h"
#include "train/machine_peak.h"
#include "train/presets.h"

using namespace seek;
using nlohmann::json;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

struct Args {
  std::string config, preset, write_config, dtype = "f32";
  int64_t T = 256, P = 2, G = 4, C = 192, steps = 5, warmup = 2, threads = 0, vocab = 8192;
  uint64_t seed = 1;
  double beta = 0.04, lr = 1e-6;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "bench_grpo_step: %s\n"
               "usage: bench_grpo_step CONFIG [--seq-len T] [--groups P] [--group-size G] [--completion C]\n"
               "         [--steps N] [--warmup W] [--threads K] [--dtype f32|bf16] [--beta B] [--seed S] [--lr LR]\n"
               "       bench_grpo_step --preset NAME [--vocab V] --write-config PATH\n",
               why.c_str());
  std::exit(2);
}

int64_t int_arg(const std::string& name, const char* v) {
  char* end = nullptr;
  const long long x = std::strtoll(v, &end, 10);
  if (end == v || *end != 0) usage(name + ": '" + v + "' is not an integer");
  return x;
}

double num_arg(const std::string& name, const char* v) {
  char* end = nullptr;
  const double x = std::strtod(v, &end);
  if (end == v || *end != 0) usage(name + ": '" + v + "' is not a number");
  return x;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    const std::string k = argv[i];
    if (k == "-h" || k == "--help") usage("GRPO step time (see the header of bench/bench_grpo_step.cpp)");
    if (k.rfind("--", 0) != 0) {
      if (!a.config.empty()) usage("more than one CONFIG");
      a.config = k;
      continue;
    }
    if (i + 1 >= argc) usage(k + " needs a value");
    const char* v = argv[++i];
    if (k == "--seq-len")
      a.T = int_arg(k, v);
    else if (k == "--groups")
      a.P = int_arg(k, v);
    else if (k == "--group-size")
      a.G = int_arg(k, v);
    else if (k == "--completion")
      a.C = int_arg(k, v);
    else if (k == "--steps")
      a.steps = int_arg(k, v);
    else if (k == "--warmup")
      a.warmup = int_arg(k, v);
    else if (k == "--threads")
      a.threads = int_arg(k, v);
    else if (k == "--vocab")
      a.vocab = int_arg(k, v);
    else if (k == "--seed")
      a.seed = uint64_t(int_arg(k, v));
    else if (k == "--beta")
      a.beta = num_arg(k, v);
    else if (k == "--lr")
      a.lr = num_arg(k, v);
    else if (k == "--dtype")
      a.dtype = v;
    else if (k == "--preset")
      a.preset = v;
    else if (k == "--write-config")
      a.write_config = v;
    else
      usage("unknown option " + k);
  }
  if (!a.write_config.empty()) {
    if (a.preset.empty()) usage("--write-config needs --preset");
    return a;
  }
  if (a.config.empty()) usage("CONFIG is required");
  if (a.dtype != "f32" && a.dtype != "bf16") usage("--dtype: '" + a.dtype + "' (expected f32 or bf16)");
  if (a.G < 2 || a.P < 1 || a.C < 1 || a.C > a.T - 1 || a.steps < 1 || a.warmup < 0 || a.beta < 0)
    usage("need --group-size >= 2, --groups >= 1, 1 <= --completion <= seq-len - 1, --steps >= 1, --beta >= 0");
  return a;
}

DeepSeekConfig read_config(const std::string& where) {
  const std::filesystem::path p = std::filesystem::is_directory(where) ? std::filesystem::path(where) / "config.json"
                                                                       : std::filesystem::path(where);
  std::ifstream in(p);
  if (!in) throw Error(p.string() + ": cannot open");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(p.string() + ": not valid JSON: " + e.what());
  }
  return parse_deepseek_config(j, p.string());  // the parser seek train and load_deepseek_config use
}

// The batch grpo_peer.py's make_batch draws, value for value: rows of a group share their prompt tokens, the last C
// positions are each row's completion; rewards in [0, 1).
void make_batch(const Args& a, int64_t vocab, std::vector<int32_t>& tokens, GrpoBatch& b, std::vector<double>& r) {
  const int64_t S = a.P * a.G, T = a.T, C = a.C;
  const uint64_t base = a.seed << 32;
  tokens.resize(size_t(S * T));
  for (int64_t s = 0; s < S; s++)
    for (int64_t t = 0; t < T; t++) {
      const uint64_t key = t < T - C ? uint64_t((s / a.G) * T + t) : uint64_t((1 << 24) + s * T + t);
      tokens[size_t(s * T + t)] = int32_t(splitmix64(base + key) % uint64_t(vocab));
    }
  r.resize(size_t(S));
  for (int64_t s = 0; s < S; s++) r[size_t(s)] = double(splitmix64(base + (1ull << 28) + uint64_t(s)) >> 11) / 0x1p53;
  b.S = S, b.T = T;
  b.mask.assign(size_t(S * T), 0.0f);
  for (int64_t s = 0; s < S; s++)
    for (int64_t t = T - C - 1; t < T - 1; t++) b.mask[size_t(s * T + t)] = 1.0f;
  b.old_logp.assign(size_t(S * T), 0.0f);
  b.ref_logp.assign(size_t(S * T), 0.0f);
}

int run(const Args& a) {
  if (!a.write_config.empty()) {
    std::ofstream out(a.write_config);
    out << train::preset_model_config(a.preset, a.vocab, 0, 1).dump(2) << "\n";
    if (!out) throw Error(a.write_config + ": cannot write");
    return 0;
  }
  if (a.threads > 0) set_num_threads(int(a.threads));
  const DeepSeekConfig c = read_config(a.config);
  const Precision prec = a.dtype == "bf16" ? Precision::BF16 : Precision::F32;
  const int64_t S = a.P * a.G, T = a.T;

  TrainableDeepSeek model(c);
  model.init_random(a.seed, 0.02);
  std::unique_ptr<TrainableDeepSeek> ref;
  if (a.beta > 0) {  // the reference policy: the initial weights, frozen
    ref = std::make_unique<TrainableDeepSeek>(c);
    ref->init_random(a.seed, 0.02);
  }
  std::vector<OptimizerParam> ops;
  for (auto& p : model.params().all())
    if (p.trainable)
      ops.push_back({p.name, p.value.data(), p.grad.data(), p.numel(), default_decay(p.name, int(p.shape.size()))});
  AdamW opt(AdamWConfig{}, ops);

  std::vector<int32_t> tokens;
  GrpoBatch b;
  std::vector<double> rewards;
  make_batch(a, c.vocab_size, tokens, b, rewards);
  GrpoObjective o;  // eps 0.2 / 0.28, token-level, group scaling
  o.beta = a.beta;
  b.adv = group_advantages(rewards, a.G, o.scaling);
  std::vector<int32_t> targets(size_t(S * T), -1);
  for (int64_t i = 0; i < S * T; i++)
    if (b.mask[size_t(i)] != 0) targets[size_t(i)] = tokens[size_t(i + 1)];

  const char* names[] = {"ref_forward", "forward_loss", "backward", "clip", "adamw"};
  std::map<std::string, double> phase_sum;
  std::vector<double> times, losses;
  for (int64_t step = 0; step < a.warmup + a.steps; step++) {
    double t[6];
    t[0] = now_s();
    model.params().zero_grad();
    if (ref)
      ref->forward_objective(
          tokens.data(), S, T, targets.data(),
          [&](int64_t r0, int64_t n, const double* lp, const double*, double*) {
            for (int64_t i = 0; i < n; i++) b.ref_logp[size_t(r0 + i)] = float(lp[i]);
            return 0.0;
          },
          prec, /*backward_follows=*/false);
    t[1] = now_s();
    GrpoStats st;
    const double loss = model.forward_objective(
        tokens.data(), S, T, targets.data(),
        [&](int64_t r0, int64_t n, const double* lp, const double* ent, double* d) {
          for (int64_t i = 0; i < n; i++) b.old_logp[size_t(r0 + i)] = float(lp[i]);  // mu = 1
          return grpo_token_loss(o, b, r0, n, lp, ent, d, st);
        },
        prec, /*backward_follows=*/true);
    t[2] = now_s();
    model.backward();
    t[3] = now_s();
    clip_grad_norm(ops, 1.0);
    t[4] = now_s();
    opt.step(a.lr);
    t[5] = now_s();
    losses.push_back(loss);
    if (step < a.warmup) continue;
    times.push_back(t[5] - t[0]);
    for (int k = 0; k < 5; k++) phase_sum[names[k]] += t[k + 1] - t[k];
  }
  double sum = 0;
  for (double x : times) sum += x;
  const double step_s = sum / double(times.size());
  const FlopsPerToken f = flops_per_token(c, T, 0);
  const double step_flops = double(S * T) * (f.training + (ref ? f.forward : 0.0));
  const double peak = measured_matmul_peak_flops(prec);
  json phases = json::object();
  for (const char* k : names) phases[k] = std::round(1e6 * phase_sum[k] / double(times.size())) / 1e3;
  const json out = {{"step_ms", std::round(step_s * 1e6) / 1e3},
                    {"tokens_per_s", std::round(double(S * T) / step_s * 100) / 100},
                    {"threads", num_threads()},
                    {"dtype", a.dtype},
                    {"beta", a.beta},
                    {"S", S},
                    {"T", T},
                    {"G", a.G},
                    {"completion", a.C},
                    {"steps", a.steps},
                    {"step_ms_min", std::round(*std::min_element(times.begin(), times.end()) * 1e6) / 1e3},
                    {"phases_ms", phases},
                    {"params", model.params().numel(true)},
                    {"loss_first", losses.front()},
                    {"loss_last", losses.back()},
                    {"flops_per_step", step_flops},
                    {"peak_flops_per_s", peak},
                    {"utilization", step_flops / step_s / peak}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_grpo_step: %s\n", e.what());
    return 1;
  }
}
