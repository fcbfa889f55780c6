// A GRPO run's configuration (`seek rl --config FILE.json | --preset NAME`, flags over it): what a run folder
// records in every checkpoint (trainer_state.json "extra.config") and how a resumed run reconciles the two.
//
// Keys (JSON object; missing keys keep the defaults below; unknown keys and wrong types are errors naming them):
//   model            the policy to start from: a model folder or a `seek train` run folder (DeepSeek V2/V3)
//   task             a task spec (rl/task.h), e.g. "arithmetic:digits=2,ops=+-"
//   steps            GRPO steps (each: one batch of rollouts, then `epochs` optimizer steps over it)
//   prompts, group_size          P prompts per step, G samples per prompt (G >= 2)
//   max_tokens, temperature, top_p   rollout sampling
//   prompt_style     "auto" | "chat" | "r1-zero" (rl/prompt.h: auto is r1-zero for seek-trained models)
//   open_think       prompts end in " <think>" (r1-zero style only)
//   epochs           mu: optimizer steps per batch of rollouts (1: on-policy, the ratio is exactly 1)
//   microbatch       sequences per forward/backward (memory; does not change the result beyond rounding)
//   eps_low, eps_high, beta, loss_type ("token" | "sequence" | "dr_grpo"), scale_rewards ("group" | "none"),
//   l_max            the objective (rl/grpo.h); l_max 0 with dr_grpo: max_tokens
//   ref_update_every  beta > 0: the reference policy becomes the current one every N steps (0: never)
//   truncated        "mask" (completions cut by max_tokens add nothing to the loss) or "keep"
//   reward           rl/reward.h RewardConfig keys
//   lr, warmup_steps, weight_decay, beta1, beta2, grad_clip    AdamW, constant lr after a linear warmup
//   eval_every, eval_problems, eval_samples, eval_temperature  held-out pass@1 during the run (0: only at the end)
//   checkpoint_every, keep_checkpoints, seed, precision ("f32" | "bf16": training GEMMs),
//   rollout_precision ("f32": rollouts read the f32 masters | "bf16": a bf16 copy refreshed after each step),
//   price_per_hour, threads
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rl/grpo.h"
#include "rl/reward.h"

namespace seek::rl {

struct RlConfig {
  std::string model, task = "arithmetic:digits=2,ops=+-", out;
  int64_t steps = 100, prompts = 8, group_size = 8, max_tokens = 64;
  double temperature = 1.0, top_p = 1.0;
  bool open_think = false;
  std::string prompt_style = "auto";  // "auto" | "chat" | "r1-zero" (rl/prompt.h); recorded resolved
  int64_t epochs = 1, microbatch = 16;
  GrpoObjective objective;
  int64_t ref_update_every = 0;
  std::string truncated = "mask";
  RewardConfig reward;
  double lr = 1e-4, weight_decay = 0.0, beta1 = 0.9, beta2 = 0.99, grad_clip = 1.0;
  int64_t warmup_steps = 0;
  int64_t eval_every = 0, eval_problems = 100, eval_samples = 4;
  double eval_temperature = 0.6;
  int64_t checkpoint_every = 50, keep_checkpoints = 2;
  uint64_t seed = 1;
  std::string precision = "f32", rollout_precision = "f32";
  double price_per_hour = 0;
  int threads = 0;
};

// Keys above (`where` names the source in errors).
RlConfig parse_rl_config(const nlohmann::json& j, const std::string& where);
// Every key but "out", so that parse_rl_config(rl_config_json(c)) gives back c.
nlohmann::json rl_config_json(const RlConfig& c);
// Ranges of every field; errors name the field and its value (e.g. group_size < 2).
void validate_rl_config(const RlConfig& c);

// Built-in configurations (a JSON object of keys above): "arithmetic" (the demo's), "countdown", "gsm8k".
nlohmann::json rl_preset(const std::string& name);
std::vector<std::string> rl_preset_names();

// Keys a resumed run may change (cadences, the end, threads, price); any other difference is an Error.
bool rl_resume_may_override(const std::string& key);

}  // namespace seek::rl
