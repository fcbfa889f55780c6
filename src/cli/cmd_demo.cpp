// seek demo: the built-in default job. Until training lands it makes a small random-weight DeepSeek-V3-shaped
// model, describes it, runs it forward over a prompt and generates from it — the whole inference path, end to end,
// with no download. (Random weights produce random tokens; what it shows is the machinery and its speed.)
#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "infer/sampler.h"
#include "model/deepseek.h"
#include "model/synthetic.h"

namespace seek::cli {

namespace {
void run_demo(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::exists(fs::path(dir) / "config.json")) {
    std::printf("demo: writing a 20M-parameter random DeepSeek-V3-shaped model to %s\n", dir.c_str());
    write_synthetic_checkpoint(dir, synthetic_config(20'000'000, 4096), SyntheticOptions{});
  }
  auto model = DeepSeekModel::load(dir);
  const DeepSeekConfig& c = model->config();
  ParamCounts pc = DeepSeekModel::count_params(c);
  std::printf("demo: %s — %lld layers, %lld routed experts (top %lld) + %lld shared, MLA kv_lora_rank %lld; "
              "%.1fM parameters, %.1fM active per token\n",
              c.model_type.c_str(), (long long)c.num_hidden_layers, (long long)c.n_routed_experts,
              (long long)c.num_experts_per_tok, (long long)c.n_shared_experts, (long long)c.kv_lora_rank,
              double(pc.total) / 1e6, double(pc.active) / 1e6);
  std::vector<int32_t> prompt = {0, 17, 200, 42, 7, 99, 1234, 5};
  KVCache cache = model->new_cache(AttnForm::Absorb);
  ForwardOptions opt;
  opt.all_logits = false;
  std::vector<float> logits(static_cast<size_t>(c.vocab_size));
  double t0 = now_seconds();
  model->forward(prompt.data(), int64_t(prompt.size()), cache, opt, logits.data());
  SamplingParams sp;
  sp.temperature = 0;
  Sampler sampler(sp);
  std::vector<int32_t> out;
  double t1 = now_seconds();
  for (int i = 0; i < 32; i++) {
    out.push_back(sampler.sample(logits.data(), c.vocab_size, prompt, out));
    model->forward(&out.back(), 1, cache, opt, logits.data());
  }
  double t2 = now_seconds();
  std::printf("demo: prompt ids");
  for (int32_t t : prompt) std::printf(" %d", t);
  std::printf("\ndemo: greedy continuation");
  for (int32_t t : out) std::printf(" %d", t);
  std::printf("\ndemo: prefill %.0f tok/s, decode %.1f tok/s (absorbed MLA over the latent KV cache)\n",
              double(prompt.size()) / (t1 - t0), double(out.size()) / (t2 - t1));
}
}  // namespace

void register_demo(CLI::App& app) {
  auto dir = std::make_shared<std::string>(".cache/demo-model");
  auto* cmd = app.add_subcommand("demo", "make a small random DeepSeek-V3-shaped model and run it end to end");
  cmd->add_option("--dir", *dir, "where to keep the demo model")->capture_default_str();
  cmd->callback([dir] { run_demo(*dir); });
}

}  // namespace seek::cli
