// Evaluation by the R1 protocol: k samples per problem at temperature 0.6 / top-p 0.95 (by default), pass@1 with
// its standard error, cons@k (majority vote) and unbiased pass@k (estimators.h), through sample_completions.
//
// Problems: `problems` of the task's split drawn with `seed` (0: the whole file for datasets, 100 for generated
// tasks). Problem i's samples use prompt seed derive_seed(seed, stable_hash(problem id)), so a problem gets the
// same samples whatever else is evaluated with it. Generation stops at the model's end-of-sequence ids, at
// "</answer>" for r1-zero prompts, or after max_tokens.
//
// One JSON object per problem goes to `per_problem` (if given): id, question, answer, prompt, started_in_think,
// completions, extracted, keys, accuracy, format, rewards, components, notes, finish, tokens, pass@1,
// majority, cons. The summary (returned): task, split, model, prompt_style, problems, samples, pass@1, stderr,
// cons@k, pass@k (k = samples), k, pass_at {"1", "2", "4", ...: pass@j for powers of two <= k}, format,
// reward, mean_tokens, truncated (fraction of samples ended by the length limit or the context), temperature,
// top_p, max_tokens, seed, seconds, tokens_per_s.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "infer/assistant.h"
#include "rl/prompt.h"
#include "rl/reward.h"
#include "rl/sample.h"
#include "rl/task.h"

namespace seek {

struct EvalConfig {
  TaskSplit split = TaskSplit::test;
  int64_t problems = 0;  // 0: the default above
  uint64_t seed = 0;
  int64_t samples = 4;
  RolloutParams rollout;  // sampling, max_tokens (stop strings and ids are filled in by run_eval)
  PromptOptions prompt;
  RewardConfig reward;   // format_rule is set from the prompt style: r1-zero, or think for chat prompts
  bool progress = true;  // a progress bar on stderr
};

nlohmann::json run_eval(const Assistant& as, const Task& task, const EvalConfig& cfg, std::ostream* per_problem);

// The pieces of run_eval, for other commands that sample a task exactly as it does (seek sample).
//
// plan_eval: the problems drawn, their prompts and per-problem seeds, the rollout parameters with the stop strings
// and ids filled in, and the reward with the prompt style's format rule. Throws Error for bad settings, no
// problems, or a prompt that fills the model's context.
struct EvalPlan {
  std::vector<Problem> problems;
  std::vector<TaskPrompt> prompts;
  std::vector<uint64_t> seeds;
  RolloutParams rollout;
  RewardConfig reward;
};
EvalPlan plan_eval(const Assistant& as, const Task& task, const EvalConfig& cfg);

// cfg.samples completions of every planned problem, [problem][sample], with a progress bar named `label` on
// stderr when cfg.progress; tokens and truncated count over all samples.
struct EvalDraws {
  std::vector<std::vector<Completion>> completions;
  int64_t tokens = 0, truncated = 0;
  double seconds = 0;
};
EvalDraws draw_samples(const Assistant& as, const EvalPlan& plan, const EvalConfig& cfg, const std::string& label);

// The sampling settings as the summaries report them: temperature, top_p (as the decimals given), max_tokens, seed.
nlohmann::json sampling_summary(const EvalConfig& cfg);

// One completion of problem p graded by the task's checker (its prompt says whether it started inside <think>).
Grade grade_completion(const Task& task, const Problem& p, const TaskPrompt& prompt, const Completion& c,
                       const RewardConfig& reward);

}  // namespace seek
