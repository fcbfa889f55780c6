// seek train: pretrain a DeepSeek-V3-architecture model from scratch on token shards made by `seek data`.
// Ctrl-C or SIGTERM stops at the end of the current step with a checkpoint; `seek train --out RUN --resume` continues.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/run_hooks.h"
#include "cli/terminal.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "train/presets.h"
#include "train/trainer.h"

namespace seek::cli {

namespace {
using json = nlohmann::json;

struct TrainArgs {
  std::string config, preset, data, out, precision;
  int64_t max_steps = 0, seq_len = 0, batch = 0;
  double price = 0;
  uint64_t seed = 0;
  bool resume = false, recompute = false;
  int threads = 0;
  std::vector<std::pair<CLI::Option*, const char*>> flags;  // option -> the config key it sets
};

// What the user set: the --config file's keys, with each flag that was given over them.
json settings_of(const TrainArgs& a) {
  json s = json::object();
  if (!a.config.empty()) {
    try {
      s = json::parse(read_text_file(a.config));
    } catch (const json::exception& e) {
      throw Error(a.config + ": not valid JSON: " + e.what());
    }
    train::parse_train_config(s, a.config);  // unknown keys and wrong types, named in this file
  }
  const json values = {{"preset", a.preset},
                       {"data", a.data},
                       {"out", a.out},
                       {"max_steps", a.max_steps},
                       {"seq_len", a.seq_len},
                       {"batch_size", a.batch},
                       {"precision", a.precision},
                       {"recompute", a.recompute},
                       {"price_per_hour", a.price},
                       {"seed", a.seed},
                       {"threads", a.threads}};
  for (const auto& [opt, key] : a.flags)
    if (opt->count()) s[key] = values[key];
  if (s.contains("preset") && s.contains("model") && a.preset.size()) s.erase("model");  // --preset replaces it
  if (!a.preset.empty()) train::preset_model_config(a.preset, 1, 0, 1);                  // validates the name
  return s;
}

void run_train(const TrainArgs& a) {
  train::TrainRequest req;
  req.settings = settings_of(a);
  req.resume = a.resume;
  CliHooks hooks;
  req.hooks = &hooks;
  StopRequest stop(
      "\nseek train: stopping after this step and writing a checkpoint (press Ctrl-C again to quit "
      "at once)\n");
  const json summary = train::run_training(req);
  std::printf("%s\n", summary.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  std::fflush(stdout);
  if (summary.value("stopped_early", false)) {
    const std::string out = req.settings.value("out", std::string());
    std::fprintf(
        stderr, "seek train: stopped after step %lld; checkpoint %s. Continue with: seek train --out %s --resume\n",
        (long long)summary.value("steps", int64_t(0)), summary.value("checkpoint", std::string()).c_str(), out.c_str());
    throw ExitStatus{128 + StopRequest::signal_number()};
  }
}
}  // namespace

void register_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "pretrain a DeepSeek-V3-architecture model (MLA + MoE + MTP) from scratch");
  auto flag = [&](CLI::Option* o, const char* key) {
    a->flags.emplace_back(o, key);
    return o;
  };
  cmd->add_option("--config", a->config, "training config JSON (model shape and hyper-parameters; see README)");
  flag(cmd->add_option("--preset", a->preset,
                       "built-in model shape sized to the data's vocabulary: tiny (3.5M parameters + 0.4M per 1000 "
                       "tokens of vocabulary) or small (27M + 0.8M per 1000); default tiny"),
       "preset");
  flag(cmd->add_option("--data", a->data, "token shards folder made by `seek data`"), "data");
  flag(cmd->add_option("--out", a->out, "run folder: checkpoints, metrics.jsonl, report.html, summary.json"), "out");
  flag(cmd->add_option("--max-steps", a->max_steps, "optimizer steps to train to (default 1000)"), "max_steps");
  flag(cmd->add_option("--seq-len", a->seq_len, "tokens per sequence (default 128)"), "seq_len");
  flag(cmd->add_option("--batch", a->batch, "sequences per micro-batch (default 16)"), "batch_size");
  flag(cmd->add_option("--precision", a->precision,
                       "GEMM operands: f32, bf16, or fp8 (bf16 with DeepSeek-V3's FP8 GEMMs in the Linear layers; "
                       "default f32)"),
       "precision");
  flag(cmd->add_flag("--recompute", a->recompute,
                     "activation checkpointing: recompute the RMSNorm outputs and MLA up-projections in backward "
                     "(the same steps in less memory)"),
       "recompute");
  flag(cmd->add_option("--price-per-hour", a->price, "money per device-hour, for the cost summary (default 0)"),
       "price_per_hour");
  flag(cmd->add_option("--seed", a->seed, "random seed: weights, data order, samples (default 1)"), "seed");
  add_threads_option(cmd, a->threads);
  a->flags.emplace_back(cmd->get_option("--threads"), "threads");
  cmd->add_flag("--resume", a->resume,
                "continue the run in --out from its latest checkpoint, as it was recorded (other flags may only "
                "repeat it, or change max_steps, cadences, threads and price)");
  cmd->callback([a] { run_train(*a); });
}

}  // namespace seek::cli
