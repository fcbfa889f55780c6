#include "cli/draw_options.h"

#include "cli/args.h"

namespace seek::cli {

DrawFlags::DrawFlags(std::string default_split, std::string split_help)
    : split(std::move(default_split)), split_help_(std::move(split_help)) {}

void DrawFlags::add_to(CLI::App* cmd) {
  cmd->add_option("--model", model, "model folder (or a training run's output folder)")->required();
  cmd->add_option("--task", task, "task spec: arithmetic[:...], countdown[:...], gsm8k[:PATH], jsonl:FILE")->required();
  cmd->add_option("--samples", samples, "samples per problem (k)")->capture_default_str();
  cmd->add_option("--temperature", temperature, "sampling temperature")->capture_default_str();
  cmd->add_option("--top-p", top_p, "nucleus sampling mass")->capture_default_str();
  cmd->add_option("--top-k", top_k, "keep the k most likely tokens (0 = off)")->capture_default_str();
  cmd->add_option("--max-tokens", max_tokens, "longest completion, in tokens")->capture_default_str();
  cmd->add_option("--problems", problems, "problems to draw (0: all of a dataset, 100 of a synthetic task)")
      ->capture_default_str();
  cmd->add_option("--seed", seed, "seed for the problems drawn and every sample")->capture_default_str();
  cmd->add_option("--split", split, split_help_)->capture_default_str();
  cmd->add_option("--prompt-style", prompt_style,
                  "chat (the model's template), r1-zero (R1-Zero's plain template) or auto: r1-zero for folders "
                  "without a chat template and for seek training checkpoints, chat otherwise")
      ->capture_default_str();
  cmd->add_flag("--open-think", open_think, "r1-zero prompts: end with \" <think>\"");
  cmd->add_option("--instruction", instruction, "chat prompts: appended to the question (\"\" for none)")
      ->capture_default_str();
  cmd->add_option("--dtype", dtype, "f32 or bf16")->capture_default_str();
  add_threads_option(cmd, threads);
  cmd->add_flag("--quiet", quiet, "no progress bar");
  reward.add_to(cmd);
}

EvalConfig DrawFlags::config(const Assistant& as) const {
  EvalConfig cfg;
  cfg.split = parse_task_split(split);
  cfg.problems = problems;
  cfg.seed = seed;
  cfg.samples = samples;
  cfg.rollout.max_tokens = max_tokens;
  cfg.rollout.sampling = SamplingParams{};
  cfg.rollout.sampling.temperature = temperature;
  cfg.rollout.sampling.top_p = top_p;
  cfg.rollout.sampling.top_k = top_k;
  cfg.rollout.sampling.validate();
  cfg.rollout.forward.precision = parse_precision(dtype);
  cfg.prompt.style = resolve_prompt_style(prompt_style, as);
  cfg.prompt.open_think = open_think;
  cfg.prompt.instruction = instruction;
  cfg.reward = reward.get();
  cfg.progress = !quiet;
  return cfg;
}

}  // namespace seek::cli
