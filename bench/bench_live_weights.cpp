// What decoding on a trainer's live weights costs: the bf16 copy's refresh (once per optimizer step) beside one
// training step of the same model, and decode tokens/s on the f32 masters vs on the bf16 copy.
//   bench_live_weights [preset=small] [vocab=8192] [seq=128] [batch=8]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "model/deepseek_train.h"
#include "train/presets.h"

using namespace seek;

namespace {
double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double decode_tps(const LanguageModel& m, int64_t tokens) {
  auto cache = m.new_sequence(AttnForm::Absorb);
  std::vector<float> logits(size_t(m.vocab_size()));
  ForwardOptions opt;
  opt.all_logits = false;
  const double t0 = now_s();
  for (int64_t i = 0; i < tokens; i++) {
    const int32_t t = int32_t((i * 7919 + 3) % m.vocab_size());
    m.forward(&t, 1, *cache, opt, logits.data());
  }
  return double(tokens) / (now_s() - t0);
}
}  // namespace

int main(int argc, char** argv) {
  const std::string preset = argc > 1 ? argv[1] : "small";
  const int64_t vocab = argc > 2 ? std::atoll(argv[2]) : 8192, seq = argc > 3 ? std::atoll(argv[3]) : 128,
                batch = argc > 4 ? std::atoll(argv[4]) : 8;
  const DeepSeekConfig c = parse_deepseek_config(train::preset_model_config(preset, vocab, 0, 1), preset);
  TrainableDeepSeek tm(c);
  tm.init_random(1, 0.02);
  std::vector<int32_t> tokens(size_t(batch * (seq + 1)));
  for (size_t i = 0; i < tokens.size(); i++) tokens[i] = int32_t((i * 131 + 7) % size_t(vocab));
  LossOptions lo;
  lo.precision = Precision::BF16;
  std::vector<double> step_s, refresh_s;
  tm.bf16_inference_model();  // first copy
  for (int r = 0; r < 3; r++) {
    double t0 = now_s();
    tm.params().zero_grad();
    tm.step(tokens.data(), batch, seq + 1, lo);
    step_s.push_back(now_s() - t0);
    t0 = now_s();
    tm.refresh_bf16();
    refresh_s.push_back(now_s() - t0);
  }
  const double f32_tps = decode_tps(tm.inference_model(), 32), bf16_tps = decode_tps(tm.bf16_inference_model(), 32);
  std::printf("preset %s: %.1fM parameters, %d threads\n", preset.c_str(), double(tm.params().numel(false)) / 1e6,
              num_threads());
  std::printf("  training step (batch %lld x %lld, bf16)  %8.1f ms median\n", (long long)batch, (long long)seq,
              1e3 * median(step_s));
  std::printf("  bf16 copy refresh                  %8.1f ms median (%.2f%% of a step)\n", 1e3 * median(refresh_s),
              100 * median(refresh_s) / median(step_s));
  std::printf("  decode on the f32 masters          %8.1f tok/s\n", f32_tps);
  std::printf("  decode on the bf16 copy            %8.1f tok/s\n", bf16_tps);
  return 0;
}
