// seek rl: GRPO with rule-based rewards (R1-Zero) on a DeepSeek-architecture model (rl/grpo_trainer.h).
// Ctrl-C or SIGTERM stops at the end of the current step with a checkpoint; `seek rl --out RUN --resume` continues.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/run_hooks.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "rl/grpo_trainer.h"
#include "rl/rl_config.h"

namespace seek::cli {

namespace {
using json = nlohmann::json;

struct RlArgs {
  std::string config, preset, model, task, out, loss_type, precision, rollout_precision;
  int64_t steps = 0, prompts = 0, group_size = 0, max_tokens = 0, epochs = 0, eval_every = 0;
  double temperature = 0, lr = 0, beta = 0, price = 0;
  uint64_t seed = 0;
  bool resume = false, quiet = false;
  int threads = 0;
  std::vector<std::pair<CLI::Option*, const char*>> flags;  // option -> the config key it sets
};

// The preset's keys, then the --config file's, then each flag that was given.
json settings_of(const RlArgs& a) {
  json s = json::object();
  if (!a.preset.empty()) s = rl::rl_preset(a.preset);
  if (!a.config.empty()) {
    json file;
    try {
      file = json::parse(read_text_file(a.config));
    } catch (const json::exception& e) {
      throw Error(a.config + ": not valid JSON: " + e.what());
    }
    rl::parse_rl_config(file, a.config);  // unknown keys and wrong types, named in this file
    s.update(file);
  }
  const json values = {{"model", a.model},
                       {"task", a.task},
                       {"out", a.out},
                       {"steps", a.steps},
                       {"prompts", a.prompts},
                       {"group_size", a.group_size},
                       {"max_tokens", a.max_tokens},
                       {"epochs", a.epochs},
                       {"eval_every", a.eval_every},
                       {"temperature", a.temperature},
                       {"lr", a.lr},
                       {"beta", a.beta},
                       {"loss_type", a.loss_type},
                       {"precision", a.precision},
                       {"rollout_precision", a.rollout_precision},
                       {"price_per_hour", a.price},
                       {"seed", a.seed},
                       {"threads", a.threads}};
  for (const auto& [opt, key] : a.flags)
    if (opt->count()) s[key] = values[key];
  return s;
}

void run(const RlArgs& a) {
  rl::RlRequest req;
  req.settings = settings_of(a);
  req.resume = a.resume;
  req.progress = !a.quiet;
  CliHooks hooks;
  req.hooks = &hooks;
  StopRequest stop("\nseek rl: stopping after this step and writing a checkpoint (press Ctrl-C again to quit at once)\n");
  const json summary = rl::run_rl(req);
  std::printf("%s\n", summary.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  std::fflush(stdout);
  if (summary.value("stopped_early", false)) {
    const std::string out = req.settings.value("out", std::string());
    std::fprintf(stderr, "seek rl: stopped after step %lld. Continue with: seek rl --out %s --resume\n",
                 (long long)summary.value("steps", int64_t(0)), out.c_str());
    throw ExitStatus{128 + StopRequest::signal_number()};
  }
}

}  // namespace

void register_rl(CLI::App& app) {
  auto a = std::make_shared<RlArgs>();
  auto* cmd = app.add_subcommand("rl", "reinforcement learning with rule-based rewards (GRPO, R1-Zero style)");
  auto flag = [&](CLI::Option* o, const char* key) {
    a->flags.emplace_back(o, key);
    return o;
  };
  cmd->add_option("--config", a->config, "GRPO config JSON (keys in src/rl/rl_config.h; see README)");
  cmd->add_option("--preset", a->preset, "built-in config: arithmetic, countdown or gsm8k (flags and --config override it)");
  flag(cmd->add_option("--model", a->model, "the policy to start from: a model folder or a `seek train` run folder"),
       "model");
  flag(cmd->add_option("--task", a->task, "task spec: arithmetic[:...], countdown[:...], gsm8k[:PATH], jsonl:FILE"),
       "task");
  flag(cmd->add_option("--out", a->out, "run folder: checkpoints, metrics.jsonl, report.html, summary.json"), "out");
  flag(cmd->add_option("--steps", a->steps, "GRPO steps (default 100)"), "steps");
  flag(cmd->add_option("--prompts", a->prompts, "prompts per step (default 8)"), "prompts");
  flag(cmd->add_option("--group-size", a->group_size, "samples per prompt, G >= 2 (default 8)"), "group_size");
  flag(cmd->add_option("--max-tokens", a->max_tokens, "longest completion in tokens (default 64)"), "max_tokens");
  flag(cmd->add_option("--epochs", a->epochs, "optimizer steps per batch of rollouts, mu (default 1)"), "epochs");
  flag(cmd->add_option("--eval-every", a->eval_every, "held-out pass@1 every N steps (default: at the end)"),
       "eval_every");
  flag(cmd->add_option("--temperature", a->temperature, "rollout temperature (default 1)"), "temperature");
  flag(cmd->add_option("--lr", a->lr, "AdamW learning rate (default 1e-4)"), "lr");
  flag(cmd->add_option("--beta", a->beta, "KL weight to the reference policy (default 0)"), "beta");
  flag(cmd->add_option("--loss-type", a->loss_type, "token, sequence or dr_grpo (default token)"), "loss_type");
  flag(cmd->add_option("--precision", a->precision, "training GEMMs: f32 or bf16 (default f32)"), "precision");
  flag(cmd->add_option("--rollout-precision", a->rollout_precision,
                       "rollouts on the f32 masters or a bf16 copy refreshed each step (default f32)"),
       "rollout_precision");
  flag(cmd->add_option("--price-per-hour", a->price, "money per device-hour, for the cost summary"), "price_per_hour");
  flag(cmd->add_option("--seed", a->seed, "seed for problems and samples (default 1)"), "seed");
  add_threads_option(cmd, a->threads);
  a->flags.emplace_back(cmd->get_option("--threads"), "threads");
  cmd->add_flag("--resume", a->resume, "continue the run in --out from its latest checkpoint, as it was recorded");
  cmd->add_flag("--quiet", a->quiet, "no progress line");
  cmd->callback([a] { run(*a); });
}

}  // namespace seek::cli
