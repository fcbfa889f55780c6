// seek train: pretrain a DeepSeek-V3-architecture model from scratch on token shards made by `seek data`.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "train/presets.h"
#include "train/trainer.h"

namespace seek::cli {

namespace {
struct TrainArgs {
  std::string config, preset, data, out, precision;
  int64_t max_steps = 0, seq_len = 0, batch = 0;
  double price = -1;
  uint64_t seed = 0;
  bool resume = false, seed_set = false;
  int threads = 0;
};

void run_train(const TrainArgs& a) {
  train::TrainConfig c;
  if (!a.config.empty()) {
    std::ifstream f(a.config);
    check(bool(f), a.config + ": cannot open");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(f);
    } catch (const nlohmann::json::exception& e) {
      throw Error(a.config + ": not valid JSON: " + e.what());
    }
    c = train::parse_train_config(j, a.config);
  }
  if (!a.preset.empty()) {
    train::preset_model_config(a.preset, 1, 0, 1);  // validates the name
    c.preset = a.preset;
    c.model = nullptr;
  }
  if (!a.data.empty()) c.data = a.data;
  if (!a.out.empty()) c.out = a.out;
  if (a.max_steps > 0) c.max_steps = a.max_steps;
  if (a.seq_len > 0) c.seq_len = a.seq_len;
  if (a.batch > 0) c.batch_size = a.batch;
  if (a.price >= 0) c.price_per_hour = a.price;
  if (!a.precision.empty()) c.precision = a.precision;
  if (a.seed_set) c.seed = a.seed;
  if (a.threads > 0) c.threads = a.threads;
  const nlohmann::json summary = train::run_training(c, a.resume);
  std::printf("%s\n", summary.dump().c_str());
}
}  // namespace

void register_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "pretrain a DeepSeek-V3-architecture model (MLA + MoE + MTP) from scratch");
  cmd->add_option("--config", a->config, "training config JSON (model shape and hyper-parameters)");
  cmd->add_option("--preset", a->preset,
                  "built-in model shape: tiny (~5M) or small (~25M), sized to the data's vocabulary");
  cmd->add_option("--data", a->data, "token shards folder made by `seek data`");
  cmd->add_option("--out", a->out, "output folder: checkpoints, metrics.jsonl, report.html, summary.json");
  cmd->add_option("--max-steps", a->max_steps, "optimizer steps to train to");
  cmd->add_option("--seq-len", a->seq_len, "tokens per sequence");
  cmd->add_option("--batch", a->batch, "sequences per micro-batch");
  cmd->add_option("--precision", a->precision, "GEMM operands: f32 or bf16");
  cmd->add_option("--price-per-hour", a->price, "money per device-hour, for the cost summary");
  cmd->add_option("--seed", a->seed, "random seed (weights, data order, samples)")->each([a](const std::string&) {
    a->seed_set = true;
  });
  cmd->add_option("--threads", a->threads, "worker threads (default: all cores)");
  cmd->add_flag("--resume", a->resume, "continue the run in --out from its latest checkpoint");
  cmd->callback([a] { run_train(*a); });
}

}  // namespace seek::cli
