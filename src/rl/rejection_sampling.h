// Rejection sampling (spec §6, R1 pipeline step 3): k completions per problem of a task, drawn exactly as
// `seek eval` draws them (rl/eval.h: plan_eval, draw_samples, grade_completion: the same prompts, stop strings,
// per-problem seeds and checker), screened by R1's filters (rl/rejection.h), the kept ones written as SFT samples
// that `seek sft` reads (rl/sft_data.h: "messages"; "meta" is ignored there).
//
// One JSON object per line, in problem order, then sample order:
//   {"messages": [{"role": "user", "content": U}, {"role": "assistant", "content": A}], "meta": {...}}
// U: the user message the chat template was given (question + instruction); for r1-zero prompts the question.
// A: assistant_content (rl/rejection.h): the completion as the model wrote it, with the "<think>" opening the
// prompt supplied when the template opened it. meta: task, id, sample (index within the problem), reward,
// accuracy, format, tokens, answer (the reference), extracted (the answer read, or null), finish, kept, rejected
// (the failed filters' names). Only kept samples are written unless keep_all.
//
// The summary (returned): task, split, model, prompt_style, problems, k, samples (problems x k), kept,
// kept_fraction, correct, rejected {incorrect, format, truncated, runaway, mixed_language} (a sample counts under
// every filter it fails), problems_with_kept, max_chars, max_foreign, keep, temperature, top_p, max_tokens, seed,
// seconds, tokens_per_s.
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>

#include "rl/eval.h"
#include "rl/rejection.h"

namespace seek {

struct RejectionConfig {
  EvalConfig draw;  // problems, samples, sampling, prompt and reward as for seek eval; split: train
  RejectionRules rules;
  bool keep_all = false;  // write rejected samples too (meta.kept false)
  RejectionConfig() { draw.split = TaskSplit::train; }
};

nlohmann::json run_rejection_sampling(const Assistant& as, const Task& task, const RejectionConfig& cfg,
                                      std::ostream& out);

}  // namespace seek
