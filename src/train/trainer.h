// `seek train`: pretrain a DeepSeek-V3-architecture model on token shards. One run = a TrainConfig, an output
// folder with checkpoints (OUT/step-N, OUT/latest), OUT/metrics.jsonl, OUT/report.html and OUT/summary.json.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "train/adamw.h"
#include "train/lr_schedule.h"

namespace seek::train {

struct TrainConfig {
  nlohmann::json model;  // a Hugging Face config.json object (model_type deepseek_v3 / deepseek_v2) ...
  std::string preset;    // ... or a preset name (the vocabulary then comes from the data)
  std::string data;      // token shards folder (seek data)
  std::string out;
  int64_t seq_len = 128, batch_size = 16, grad_accum = 1, max_steps = 1000;
  AdamWConfig optimizer;
  nlohmann::json lr_schedule;  // parse_lr_schedule; default: cosine, peak 3e-3, warmup 5% of max_steps
  double grad_clip = 1.0;
  double mtp_lambda = 0.3, balance_alpha = 1e-4;
  // Expert-bias update speed gamma. V3 used 1e-3 over ~15K steps of 15M-token batches; runs of a few hundred
  // small steps need the bias to move faster to balance within the run.
  double bias_update_speed = 1e-2;
  double init_std = 0.02;
  uint64_t seed = 1;
  std::string precision = "f32";  // GEMM operands: f32 or bf16
  int64_t eval_every = 100, eval_windows = 32, sample_every = 200, sample_tokens = 120;
  int64_t checkpoint_every = 250, keep_checkpoints = 2, log_every = 1;
  double price_per_hour = 0;  // money per device-hour for the cost summary
  int threads = 0;
};

// Reads the JSON file (unknown keys are errors naming the key). Fields missing from the file keep their defaults.
TrainConfig parse_train_config(const nlohmann::json& j, const std::string& where);
nlohmann::json train_config_json(const TrainConfig& c);

// Runs (or with resume, continues from OUT/latest) and returns the run summary (also in OUT/summary.json).
// A resumed run must be given the same configuration; it produces the same losses as an uninterrupted one.
nlohmann::json run_training(TrainConfig cfg, bool resume);

}  // namespace seek::train
