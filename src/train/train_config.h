// A training run's configuration: what `seek train --config FILE.json` and its flags set, what a run folder records
// (in every checkpoint's trainer_state.json, as "config"), and how a resumed run reconciles the two.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/adamw.h"

namespace seek::train {

struct TrainConfig {
  nlohmann::json model;  // a Hugging Face config.json object (model_type deepseek_v3 / deepseek_v2) ...
  std::string preset;    // ... or a preset name (the vocabulary then comes from the data); neither: "tiny"
  std::string data;      // token shards folder (seek data)
  std::string out;       // the run folder; not recorded (a run folder may be moved)
  int64_t seq_len = 128, batch_size = 16, grad_accum = 1, max_steps = 1000;
  AdamWConfig optimizer;
  nlohmann::json lr_schedule;  // parse_lr_schedule; default: cosine, peak 3e-3, min 3e-4, warmup 5% of max_steps
  double grad_clip = 1.0;
  double mtp_lambda = 0.3, balance_alpha = 1e-4;
  // Expert-bias update speed gamma. V3 used 1e-3 over ~15K steps of 15M-token batches; runs of a few hundred
  // small steps need the bias to move faster to balance within the run.
  double bias_update_speed = 1e-2;
  double init_std = 0.02;
  uint64_t seed = 1;
  std::string precision = "f32";  // GEMM operands: f32, bf16, or fp8 (bf16 with the Linear layers' GEMMs in FP8)
  bool recompute = false;         // activation checkpointing: the same steps in less memory (LossOptions::recompute)
  int64_t eval_every = 100, eval_windows = 32, sample_every = 200, sample_tokens = 120;
  int64_t checkpoint_every = 250, keep_checkpoints = 2, log_every = 1;
  double price_per_hour = 0;  // money per device-hour for the cost summary
  int threads = 0;            // 0: all cores
};

// From a JSON object with the keys above (unknown keys and wrong types are errors naming `where` and the key).
// Keys that are missing keep their defaults.
TrainConfig parse_train_config(const nlohmann::json& j, const std::string& where);
// Every key but "out" ("model" only when set), so that parse_train_config(train_config_json(c)) gives back c.
nlohmann::json train_config_json(const TrainConfig& c);
// Ranges of every field (after defaults are filled in); errors name the field and its value.
void validate_train_config(const TrainConfig& c);
// The defaults a fresh run fills in and records: the preset when no model is given, the learning-rate schedule
// (cosine from max_steps), the data folder as an absolute path.
void complete_train_config(TrainConfig& c);

// Keys whose new value a resumed run may take (printed as an override): they change what is logged, kept or
// when the run ends, never the losses of the steps both runs take.
bool resume_may_override(const std::string& key);

struct ResumedConfig {
  TrainConfig config;
  std::vector<std::string> overrides;  // "max_steps = 40 (recorded: 30)", for the caller to print
};
// The configuration a resumed run continues with: `recorded` (what the checkpoint holds) with `given` (the keys the
// user set this time) checked against it. A key absent from `given`, or equal to the recorded value, keeps it; a
// different value of a key resume_may_override() allows is taken and listed; any other difference is an Error
// naming `checkpoint`, the key and both values. "data" may name another folder (checked to hold the same tokens
// by the trainer). "out" is taken from `given`.
ResumedConfig resume_train_config(const nlohmann::json& recorded, const nlohmann::json& given,
                                  const std::string& checkpoint);

}  // namespace seek::train
