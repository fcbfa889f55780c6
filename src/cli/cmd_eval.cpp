// seek eval: a model on a task by the R1 protocol (rl/eval.h): k samples per problem, pass@1 ± its standard error,
// cons@k, pass@k; the per-problem results as JSONL (--out) and the summary as JSON on stdout.
#include <cstdio>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/reward_options.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/parallel.h"
#include "rl/eval.h"

namespace seek::cli {

namespace {
struct EvalArgs {
  std::string model, task, out, split = "test", prompt_style = "auto", dtype = "f32";
  std::string instruction = kR1MathInstruction;
  int64_t samples = 4, max_tokens = 1024, problems = 0;
  float temperature = 0.6f, top_p = 0.95f;
  int64_t top_k = 0;
  uint64_t seed = 0;
  bool open_think = false, quiet = false;
  int threads = 0;
  RewardFlags reward;
};

void run_eval_cmd(const EvalArgs& a) {
  set_num_threads(a.threads);
  auto task = make_task(a.task);
  Assistant as = Assistant::load(a.model);
  EvalConfig cfg;
  cfg.split = parse_task_split(a.split);
  cfg.problems = a.problems;
  cfg.seed = a.seed;
  cfg.samples = a.samples;
  cfg.rollout.max_tokens = a.max_tokens;
  cfg.rollout.sampling = SamplingParams{};
  cfg.rollout.sampling.temperature = a.temperature;
  cfg.rollout.sampling.top_p = a.top_p;
  cfg.rollout.sampling.top_k = a.top_k;
  cfg.rollout.sampling.validate();
  cfg.rollout.forward.precision = parse_precision(a.dtype);
  cfg.prompt.style = resolve_prompt_style(a.prompt_style, as);
  cfg.prompt.open_think = a.open_think;
  cfg.prompt.instruction = a.instruction;
  cfg.reward = a.reward.get();
  cfg.progress = !a.quiet;
  std::ostringstream lines;
  nlohmann::json summary = run_eval(as, *task, cfg, a.out.empty() ? nullptr : &lines);
  if (!a.out.empty()) {
    const std::string s = lines.str();
    write_file_atomic(a.out, s.data(), s.size());
    summary["out"] = a.out;
  }
  std::printf("%s\n", summary.dump(2).c_str());
}
}  // namespace

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "evaluate a model on a task: pass@1 ± stderr, cons@k, pass@k (R1 protocol)");
  cmd->add_option("--model", a->model, "model folder (or a training run's output folder)")->required();
  cmd->add_option("--task", a->task, "task spec: arithmetic[:...], countdown[:...], gsm8k[:PATH], jsonl:FILE")
      ->required();
  cmd->add_option("--samples", a->samples, "samples per problem (k)")->capture_default_str();
  cmd->add_option("--temperature", a->temperature, "sampling temperature")->capture_default_str();
  cmd->add_option("--top-p", a->top_p, "nucleus sampling mass")->capture_default_str();
  cmd->add_option("--top-k", a->top_k, "keep the k most likely tokens (0 = off)")->capture_default_str();
  cmd->add_option("--max-tokens", a->max_tokens, "longest completion, in tokens")->capture_default_str();
  cmd->add_option("--problems", a->problems, "problems to draw (0: all of a dataset, 100 of a synthetic task)")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "seed for the problems drawn and every sample")->capture_default_str();
  cmd->add_option("--split", a->split, "test (held out) or train")->capture_default_str();
  cmd->add_option("--out", a->out, "per-problem results, JSONL");
  cmd->add_option("--prompt-style", a->prompt_style,
                  "chat (the model's template), r1-zero (R1-Zero's plain template) or auto: r1-zero for folders "
                  "without a chat template and for seek training checkpoints, chat otherwise")
      ->capture_default_str();
  cmd->add_flag("--open-think", a->open_think, "r1-zero prompts: end with \" <think>\"");
  cmd->add_option("--instruction", a->instruction, "chat prompts: appended to the question (\"\" for none)")
      ->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "f32 or bf16")->capture_default_str();
  cmd->add_option("--threads", a->threads, "worker threads (default: all cores)");
  cmd->add_flag("--quiet", a->quiet, "no progress bar");
  a->reward.add_to(cmd);
  cmd->footer(
      "pass@1: mean over problems of the fraction of correct samples; stderr: the standard error of that mean over "
      "problems. cons@k: majority vote over the extracted answers (ties: the answer voted for first). pass@k: the "
      "unbiased estimator 1 - C(n-c,k)/C(n,k) with k = --samples.");
  cmd->callback([a] { run_eval_cmd(*a); });
}

}  // namespace seek::cli
