// seek bench: prefill and decode speed of a model, beside the machine's limits (measured memory bandwidth for
// decode, which must stream every active weight once per token).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/membw.h"
#include "core/parallel.h"
#include "model/language_model.h"

namespace seek::cli {

namespace {
struct BenchArgs {
  std::string model, attn = "absorb", dtype = "bf16";
  int64_t prompt = 128, gen = 32, reps = 3;
  int threads = 0;
};

void run_bench(const BenchArgs& a) {
  set_num_threads(a.threads);
  if (a.prompt < 1 || a.gen < 1 || a.reps < 1) throw Error("--prompt, --gen and --reps must be >= 1");
  parse_precision(a.dtype);
  parse_attn(a.attn);
  auto model = load_model(a.model);  // a model folder, a training run or a GGUF file
  const int64_t vocab = model->vocab_size();
  if (a.prompt + a.gen > model->context_length()) throw Error("--prompt + --gen exceeds the model's context");
  ForwardOptions opt;
  opt.precision = parse_precision(a.dtype);
  opt.all_logits = false;
  std::vector<int32_t> prompt(static_cast<size_t>(a.prompt));
  for (int64_t i = 0; i < a.prompt; i++) prompt[size_t(i)] = int32_t((i * 7919 + 13) % vocab);
  std::vector<float> logits(static_cast<size_t>(vocab));

  // Warm-up: pages the weights in, so the first timed run does not measure the disk.
  {
    auto cache = model->new_sequence(parse_attn(a.attn));
    model->forward(prompt.data(), std::min<int64_t>(a.prompt, 8), *cache, opt, logits.data());
    int32_t t = 1;
    model->forward(&t, 1, *cache, opt, logits.data());
  }
  double best_prefill = 1e30, best_decode = 1e30;
  for (int64_t r = 0; r < a.reps; r++) {
    auto cache = model->new_sequence(parse_attn(a.attn));
    double t0 = now_seconds();
    model->forward(prompt.data(), a.prompt, *cache, opt, logits.data());
    double t1 = now_seconds();
    for (int64_t g = 0; g < a.gen; g++) {
      int32_t next = int32_t(g % vocab);
      model->forward(&next, 1, *cache, opt, logits.data());
    }
    double t2 = now_seconds();
    best_prefill = std::min(best_prefill, t1 - t0);
    best_decode = std::min(best_decode, t2 - t1);
  }
  const double active = double(model->active_params());
  double bytes = model->active_weight_bytes();
  double bw = measure_read_bandwidth();
  double decode_tps = double(a.gen) / best_decode, prefill_tps = double(a.prompt) / best_prefill;
  double roofline_tps = bw / bytes;
  nlohmann::json j = {{"model", a.model},
                      {"threads", num_threads()},
                      {"dtype", a.dtype},
                      {"attn", a.attn},
                      {"architecture", model->architecture()},
                      {"params_active", active},
                      {"active_weight_bytes_per_token", bytes},
                      {"measured_bandwidth_gbs", bw / 1e9},
                      {"prefill_tokens", a.prompt},
                      {"prefill_tok_s", prefill_tps},
                      {"prefill_gflops", prefill_tps * 2.0 * active / 1e9},
                      {"decode_tokens", a.gen},
                      {"decode_tok_s", decode_tps},
                      {"decode_roofline_tok_s", roofline_tps},
                      {"decode_fraction_of_roofline", decode_tps / roofline_tps}};
  std::printf("%s\n", j.dump().c_str());
  std::fprintf(stderr,
               "prefill %lld tokens: %.1f tok/s (%.1f GFLOP/s on active weights)\n"
               "decode  %lld tokens: %.2f tok/s; roofline %.2f tok/s (%.2f GB active weights/token at %.1f GB/s "
               "measured) -> %.0f%% of roofline\n",
               (long long)a.prompt, prefill_tps, prefill_tps * 2.0 * active / 1e9, (long long)a.gen, decode_tps,
               roofline_tps, bytes / 1e9, bw / 1e9, 100.0 * decode_tps / roofline_tps);
}
}  // namespace

void register_bench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "measure prefill and decode tokens/s against the memory-bandwidth roofline");
  cmd->add_option("--model", a->model, "model folder or .gguf file")->required();
  cmd->add_option("--prompt", a->prompt, "prefill length")->capture_default_str();
  cmd->add_option("--gen", a->gen, "decode steps")->capture_default_str();
  cmd->add_option("--reps", a->reps, "repetitions (best is reported)")->capture_default_str();
  cmd->add_option("--attn", a->attn, "naive or absorb")->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "f32 or bf16 compute")->capture_default_str();
  add_threads_option(cmd, a->threads);
  cmd->callback([a] { run_bench(*a); });
}

}  // namespace seek::cli
