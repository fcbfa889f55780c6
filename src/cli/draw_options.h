// The options `seek eval` and `seek sample` share: the model, the task, and how k completions per problem are
// drawn and graded (rl/eval.h): sampling, prompt style, problems, seed, split, reward flags, threads, quiet.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/reward_options.h"
#include "rl/eval.h"

namespace seek::cli {

struct DrawFlags {
  std::string model, task, split, prompt_style = "auto", dtype = "f32";
  std::string instruction = kR1MathInstruction;
  int64_t samples = 4, max_tokens = 1024, problems = 0, top_k = 0;
  float temperature = 0.6f, top_p = 0.95f;
  uint64_t seed = 0;
  bool open_think = false, quiet = false;
  int threads = 0;
  RewardFlags reward;

  // split: the default split; split_help: what --help says about it.
  DrawFlags(std::string default_split, std::string split_help);
  void add_to(CLI::App* cmd);
  // The configuration for `as` (the prompt style resolved for its folder); bad values are Errors naming the flag.
  EvalConfig config(const Assistant& as) const;

 private:
  std::string split_help_;
};

}  // namespace seek::cli
