// Sampling flags shared by generate and chat. Each is optional: a flag the user did not give leaves the model's
// own default (generation_config.json, or the R1 recommendations for reasoning models) in place.
#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "infer/sampler.h"

namespace seek::cli {

struct SamplingFlags {
  std::optional<float> temperature, top_p, min_p, repetition_penalty, presence_penalty, frequency_penalty;
  std::optional<int64_t> top_k;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;

  // --temperature ... --seed and --stop (repeatable).
  void add_to(CLI::App* cmd);
  // defaults overridden by the flags that were given; a random seed unless --seed was given. A flag that is not a
  // finite number, or out of its range, is an Error naming the flag.
  SamplingParams apply(SamplingParams defaults) const;
  // The --stop strings; an empty one is an Error (it would end every reply before its first token).
  const std::vector<std::string>& stop_strings() const;
};

}  // namespace seek::cli
