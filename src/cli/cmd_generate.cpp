// seek generate: continue a token sequence.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/parallel.h"
#include "infer/sampler.h"
#include "model/language_model.h"

namespace seek::cli {

namespace {
struct GenerateArgs {
  std::string model, tokens, attn = "absorb", dtype = "f32";
  int64_t max_new = 32;
  SamplingParams sampling;
  bool ignore_eos = false;
  int threads = 0;
};

void run_generate(GenerateArgs a) {
  set_num_threads(a.threads);
  std::vector<int32_t> prompt = parse_token_list(a.tokens, "--tokens");
  if (a.max_new < 0) throw Error("--max-new must be >= 0");
  auto model = load_model(a.model);
  auto cache = model->new_sequence(parse_attn(a.attn));
  const int64_t V = model->vocab_size();
  ForwardOptions opt;
  opt.precision = parse_precision(a.dtype);
  opt.all_logits = false;
  Sampler sampler(a.sampling);
  std::vector<float> logits(static_cast<size_t>(V));
  std::vector<int32_t> out;
  double t0 = now_seconds();
  model->forward(prompt.data(), int64_t(prompt.size()), *cache, opt, logits.data());
  double t1 = now_seconds();
  while (int64_t(out.size()) < a.max_new) {
    int32_t next = sampler.sample(logits.data(), V, prompt, out);
    out.push_back(next);
    if (!a.ignore_eos && next == model->eos_token_id()) break;
    if (int64_t(out.size()) == a.max_new || cache->len() >= model->context_length()) break;
    model->forward(&next, 1, *cache, opt, logits.data());
  }
  double t2 = now_seconds();
  std::printf("%s\n", nlohmann::json(out).dump().c_str());
  std::fprintf(stderr, "prompt %zu tokens in %.3fs (%.1f tok/s), generated %zu tokens in %.3fs (%.1f tok/s)\n",
               prompt.size(), t1 - t0, double(prompt.size()) / (t1 - t0), out.size(), t2 - t1,
               out.size() > 1 ? double(out.size() - 1) / (t2 - t1) : 0.0);
}
}  // namespace

void register_generate(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "continue a token sequence (greedy or sampled) and print the new ids");
  cmd->add_option("--model", a->model, "model folder")->required();
  cmd->add_option("--tokens", a->tokens, "prompt token ids, comma-separated")->required();
  cmd->add_option("--max-new", a->max_new, "maximum number of tokens to generate")->capture_default_str();
  cmd->add_option("--temperature", a->sampling.temperature, "0 = greedy")->capture_default_str();
  cmd->add_option("--top-k", a->sampling.top_k, "keep the k most likely tokens (0 = off)");
  cmd->add_option("--top-p", a->sampling.top_p, "nucleus sampling mass (1 = off)");
  cmd->add_option("--min-p", a->sampling.min_p, "drop tokens below min_p x the top probability (0 = off)");
  cmd->add_option("--repetition-penalty", a->sampling.repetition_penalty, "1 = off");
  cmd->add_option("--presence-penalty", a->sampling.presence_penalty, "0 = off");
  cmd->add_option("--frequency-penalty", a->sampling.frequency_penalty, "0 = off");
  cmd->add_option("--seed", a->sampling.seed, "random seed (same seed, same output)")->capture_default_str();
  cmd->add_flag("--ignore-eos", a->ignore_eos, "keep generating after the end-of-sequence token");
  cmd->add_option("--attn", a->attn, "naive or absorb")->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "f32 or bf16")->capture_default_str();
  cmd->add_option("--threads", a->threads, "worker threads (default: all cores)");
  cmd->callback([a] { run_generate(*a); });
}

}  // namespace seek::cli
