// `seek train`: pretrain a DeepSeek-V3-architecture model on token shards. One run = a TrainConfig and a run folder
// OUT with checkpoints (OUT/step-N, OUT/latest), OUT/metrics.jsonl, OUT/report.html and OUT/summary.json. Every
// checkpoint records the run's whole configuration, so OUT alone says how to continue it.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>

#include "train/train_config.h"

namespace seek::train {

// The points at which a caller may act on a run in progress, and the only ones the loop consults: the crash tests
// kill the process there, the command line turns Ctrl-C into a clean stop.
class TrainHooks {
 public:
  virtual ~TrainHooks() = default;
  // After step `step`: its metrics line is written, its checkpoint (if one is due) not yet. True stops the run
  // cleanly: a checkpoint of this step is written and run_training returns with "stopped_early": true.
  virtual bool stop_after_step(int64_t step) {
    (void)step;
    return false;
  }
  // Half-way through writing checkpoint `step`: its weights are in the temp folder, nothing is committed.
  virtual void inside_checkpoint(int64_t step) { (void)step; }
};

struct TrainRequest {
  // The config keys the user set (train_config.h): a --config file's object with the command-line flags merged
  // over it. "out" names the run folder.
  nlohmann::json settings = nlohmann::json::object();
  bool resume = false;  // continue OUT from OUT/latest
  TrainHooks* hooks = nullptr;
};

// Runs, or continues, and returns the run summary (also written to OUT/summary.json).
//  - Fresh: the settings over the defaults (complete_train_config fills in and records the rest). OUT must not
//    hold a run yet.
//  - Resume: the configuration recorded in OUT/latest, the settings checked against it (resume_train_config; the
//    overrides it allows are printed on stderr). The run then produces exactly the losses, validation losses and
//    samples of an uninterrupted one. A finished run (at max_steps), or a data folder whose tokens differ from the
//    recorded run's, is an Error.
// Refused before anything is allocated: a model that does not fit in memory, a data folder without tokenizer.json
// or whose tokenizer.json is not the one index.json recorded. A step whose loss or gradient norm is not finite, or
// a validation loss that is not, ends the run with an Error naming the step; that step's weights are not saved, and
// OUT/latest stays the last good checkpoint.
nlohmann::json run_training(const TrainRequest& request);

// The same with a whole configuration (its out, all its keys as settings).
nlohmann::json run_training(const TrainConfig& cfg, bool resume, TrainHooks* hooks = nullptr);

}  // namespace seek::train
