// Rollout speed: P prompts x G samples of N tokens each, generated (a) by sample_completions (one batched decode:
// shared prefill per prompt, one forward over all running sequences per step) and (b) one sample at a time
// through a Session per prompt (its prompt cache reused by its G samples: what sample_completions did before),
// on the same model in the same run, interleaved round by round (the order alternates), in f32 and bf16.
// Prints min/median/max generated tokens/s of each, the ratio of the medians, and how many samples came out with
// the same tokens both ways. No stop ids: every sample runs exactly N tokens, so both do the same work.
//   bench_rollouts [MODEL=small] [P=4] [G=8] [N=64] [ROUNDS=3] [DTYPES=f32,bf16]
// MODEL: a model folder (config.json + safetensors), or a training preset name (tiny, small, ...), synthesized
// with vocabulary 8192 in bf16 by the code `seek synth` uses into a temporary folder.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "infer/session.h"
#include "model/language_model.h"
#include "model/synthetic.h"
#include "rl/sample.h"
#include "train/bpe_trainer.h"
#include "train/presets.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {
double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Stats {
  double min, median, max;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v.front(), v[v.size() / 2], v.back()};
}

// A byte-level tokenizer: the bench needs ids only (no stop strings); ids past its 263 decode to no text.
Tokenizer byte_tokenizer() {
  BpeTrainOptions o;
  o.vocab_size = 263;
  BpeTrainer t(o);
  t.add_text("abc");
  return Tokenizer::from_json_string(bpe_tokenizer_json(t.train()), "byte tokenizer");
}

int64_t count_tokens(const std::vector<std::vector<Completion>>& out) {
  int64_t n = 0;
  for (const auto& p : out)
    for (const Completion& c : p) n += int64_t(c.tokens.size());
  return n;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string model_arg = argc > 1 ? argv[1] : "small";
  const int64_t P = argc > 2 ? std::atoll(argv[2]) : 4, G = argc > 3 ? std::atoll(argv[3]) : 8,
                N = argc > 4 ? std::atoll(argv[4]) : 64, rounds = argc > 5 ? std::atoll(argv[5]) : 3;
  const std::string dtypes = argc > 6 ? argv[6] : "f32,bf16";
  if (P < 1 || G < 1 || N < 1 || rounds < 1) {
    std::fprintf(stderr, "usage: bench_rollouts [MODEL=small] [P=4] [G=8] [N=64] [ROUNDS=3] [DTYPES=f32,bf16]\n");
    return 2;
  }
  try {
    std::string dir = model_arg;
    if (!fs::exists(fs::path(model_arg) / "config.json")) {
      dir = (fs::temp_directory_path() / ("seek-bench-rollouts-" + model_arg)).string();
      fs::remove_all(dir);
      write_synthetic_checkpoint(dir, train::preset_model_config(model_arg, 8192, 0, 1), SyntheticOptions{});
    }
    auto model = load_model(dir);
    const Tokenizer tok = byte_tokenizer();
    const int64_t V = model->vocab_size();
    std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(P));
    std::vector<uint64_t> seeds;
    for (int64_t i = 0; i < P; i++) {
      prompts[size_t(i)].push_back(int32_t(model->bos_token_id()));
      for (int64_t t = 0; t < 31; t++) prompts[size_t(i)].push_back(int32_t((i * 7919 + t * 131 + 7) % V));
      seeds.push_back(uint64_t(1000 + i));
    }
    std::printf(
        "model %s (%s, vocab %lld), %lld prompts x %lld samples x %lld tokens, prompt 32 tokens, "
        "%d threads, %lld rounds\n",
        model_arg.c_str(), model->architecture().c_str(), (long long)V, (long long)P, (long long)G, (long long)N,
        num_threads(), (long long)rounds);
    for (const std::string& dt : {std::string("f32"), std::string("bf16")}) {
      if (dtypes.find(dt) == std::string::npos) continue;
      RolloutParams rp;
      rp.sampling.temperature = 1.0f;
      rp.max_tokens = N;
      rp.forward.precision = dt == "bf16" ? Precision::BF16 : Precision::F32;
      std::vector<double> batched_tps, single_tps;
      int64_t same = 0;
      std::vector<double> first_diff;  // token index where a sample's two versions first differ
      for (int64_t r = 0; r < rounds; r++) {
        std::vector<std::vector<Completion>> a;
        std::vector<std::vector<GenerationResult>> b(static_cast<size_t>(P));
        auto run_batched = [&] {
          const double t0 = now_s();
          a = sample_completions(*model, tok, prompts, G, rp, seeds);
          batched_tps.push_back(double(count_tokens(a)) / (now_s() - t0));
        };
        auto run_single = [&] {
          const double t0 = now_s();
          int64_t n = 0;
          for (int64_t i = 0; i < P; i++) {
            b[size_t(i)].clear();
            Session s(*model, &tok, rp.forward, rp.form);
            for (int64_t j = 0; j < G; j++) {
              GenerationRequest q;
              q.prompt = prompts[size_t(i)];
              q.max_tokens = N;
              q.sampling = rp.sampling;
              q.sampling.seed = sample_seed(seeds[size_t(i)], j);
              b[size_t(i)].push_back(s.generate(q, [](const std::string&) {}));
              n += int64_t(b[size_t(i)].back().tokens.size());
            }
          }
          single_tps.push_back(double(n) / (now_s() - t0));
        };
        if (r % 2 == 0) {
          run_batched();
          run_single();
        } else {
          run_single();
          run_batched();
        }
        if (r == 0)
          for (int64_t i = 0; i < P; i++)
            for (int64_t j = 0; j < G; j++) {
              const auto &x = a[size_t(i)][size_t(j)].tokens, &y = b[size_t(i)][size_t(j)].tokens;
              size_t n = 0;
              while (n < x.size() && n < y.size() && x[n] == y[n]) n++;
              if (x == y)
                same++;
              else
                first_diff.push_back(double(n));
            }
      }
      const Stats sa = stats(batched_tps), sb = stats(single_tps);
      std::printf("  %-4s batched (sample_completions)  %9.1f %9.1f %9.1f tok/s (min/median/max)\n", dt.c_str(), sa.min,
                  sa.median, sa.max);
      std::printf("  %-4s one by one (Session)         %9.1f %9.1f %9.1f tok/s\n", dt.c_str(), sb.min, sb.median,
                  sb.max);
      std::printf("  %-4s ratio of medians %.2fx; same tokens both ways: %lld/%lld samples", dt.c_str(),
                  sa.median / sb.median, (long long)same, (long long)(P * G));
      if (!first_diff.empty()) {
        const Stats d = stats(first_diff);
        std::printf(" (the others first differ at token %.0f/%.0f/%.0f min/median/max)", d.min, d.median, d.max);
      }
      std::printf("\n");
      nlohmann::json line = {{"bench", "rollouts"},
                             {"model", model_arg},
                             {"dtype", dt},
                             {"prompts", P},
                             {"samples", G},
                             {"max_tokens", N},
                             {"threads", num_threads()},
                             {"batched_tok_s", {sa.min, sa.median, sa.max}},
                             {"single_tok_s", {sb.min, sb.median, sb.max}},
                             {"ratio", sa.median / sb.median},
                             {"same_tokens", same}};
      std::printf("%s\n", line.dump().c_str());
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_rollouts: %s\n", e.what());
    return 1;
  }
  return 0;
}
