// `seek rl`: GRPO with rule-based rewards (R1-Zero, spec §6) on a DeepSeek-architecture policy. One step:
//   1. draw P training problems of the task (seeded by the run's seed and the step: a resumed run draws the same);
//   2. sample G completions per prompt on the live policy (the trainer's f32 masters, or their bf16 copy), through
//      rl/sample.h: the same sampler and stop rules as `seek eval`;
//   3. grade them with the task's exact checker (reward and each component), group-normalized advantages;
//   4. `epochs` optimizer steps over the batch: each a forward over every sequence (in microbatches) of the GRPO
//      objective (rl/grpo.h: clipped ratio to the sampling policy's log-probs, k3 KL to the reference when beta >
//      0), backward, gradient clipping, AdamW.
// The run folder OUT holds what `seek train` writes: OUT/step-N checkpoints (a model folder plus trainer_state.*,
// which records the whole config: `seek rl --out OUT --resume` alone continues it exactly), OUT/latest,
// OUT/metrics.jsonl (one line per step: reward and each component, accuracy, frac_reward_zero_std, truncated ratio,
// mean terminated length, KL, entropy, clip fractions, loss, grad norm, rollout and training tokens/s, cost),
// OUT/report.html, OUT/summary.json. Held-out pass@1 (rl/eval.h, test split) every eval_every steps and at the end.
// The MoE selection biases are left as the starting model has them (no balance loss or bias update in RL).
#pragma once
#include <nlohmann/json.hpp>

#include "rl/rl_config.h"
#include "train/trainer.h"

namespace seek::rl {

struct RlRequest {
  // The config keys the user set (a --config file or --preset, flags merged over it). "out" names the run folder.
  nlohmann::json settings = nlohmann::json::object();
  bool resume = false;
  train::TrainHooks* hooks = nullptr;  // stop_after_step: a clean stop with a checkpoint (Ctrl-C)
  bool progress = true;                // the progress line on stderr
};

// Runs or continues the run; returns the summary (also OUT/summary.json). Errors are one line naming the input:
// a model that is not DeepSeek-architecture, a folder without tokenizer.json, a prompt longer than the context, a
// bad config key. A step whose loss or gradient norm is not finite ends the run with an Error naming the step
// (its update is not applied, OUT/latest stays the last good checkpoint).
nlohmann::json run_rl(const RlRequest& request);

}  // namespace seek::rl
