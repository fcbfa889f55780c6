// The hooks a training command (seek train, seek rl) gives its run loop.
#pragma once
#include <csignal>
#include <cstdint>
#include <cstdlib>

#include "cli/terminal.h"
#include "train/trainer.h"

namespace seek::cli {

// The points where the crash tests kill the run (SEEK_TEST_KILL_AFTER_STEP=N: after step N, its metrics written
// and no checkpoint; SEEK_TEST_KILL_IN_CHECKPOINT=N: half-way through writing checkpoint N), and where Ctrl-C or
// SIGTERM stops it.
class CliHooks : public train::TrainHooks {
 public:
  bool stop_after_step(int64_t step) override {
    if (env_step("SEEK_TEST_KILL_AFTER_STEP") == step) std::raise(SIGKILL);
    return StopRequest::requested();
  }
  void inside_checkpoint(int64_t step) override {
    if (env_step("SEEK_TEST_KILL_IN_CHECKPOINT") == step) std::raise(SIGKILL);
  }

 private:
  static int64_t env_step(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoll(v) : -1;
  }
};

}  // namespace seek::cli
