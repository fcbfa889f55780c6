// The hooks a training command (seek train, seek rl) gives its run loop.
#pragma once
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include "cli/terminal.h"
#include "train/trainer.h"

namespace seek::cli {

// The points where the crash tests kill the run (SEEK_TEST_KILL_AFTER_STEP=N: after step N, its metrics written
// and no checkpoint; SEEK_TEST_KILL_IN_CHECKPOINT=N: half-way through writing checkpoint N), and where Ctrl-C or
// SIGTERM stops it. SEEK_TEST_STEP_DELAY_MS=N sleeps N ms after each step, so that a test signalling the process
// from outside at a given step does not race a run faster than its polling.
class CliHooks : public train::TrainHooks {
 public:
  bool stop_after_step(int64_t step) override {
    if (env_step("SEEK_TEST_KILL_AFTER_STEP") == step) std::raise(SIGKILL);
    if (const int64_t ms = env_step("SEEK_TEST_STEP_DELAY_MS"); ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
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
