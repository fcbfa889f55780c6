// Reward flags shared by grade and eval (rl/reward.h): weights, gating and the length penalty.
#pragma once
#include <CLI/CLI.hpp>

#include "rl/reward.h"

namespace seek::cli {

struct RewardFlags {
  RewardConfig config;
  void add_to(CLI::App* cmd);
  RewardConfig get() const;  // validated
};

}  // namespace seek::cli
