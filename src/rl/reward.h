// The rule-based reward of a graded completion, and every component by name (the RL log shows each):
//   accuracy = accuracy_weight * correct            (0 when gate_on_format and the format is wrong)
//   format   = format_weight * well_formed
//   length   = -length_weight * overlong(n)          (DAPO's soft overlong penalty, in tokens; off when length_max 0)
//   reward   = accuracy + format + length
// overlong(n) = 0 for n <= length_max - length_buffer, (n - (length_max - length_buffer)) / length_buffer up to
// length_max, and 1 beyond it. Grade::accuracy stays the plain correctness (what pass@1 counts), gated or not.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "rl/format.h"

namespace seek {

struct RewardConfig {
  double accuracy_weight = 1.0;
  double format_weight = 0.1;  // TinyZero's format score
  bool gate_on_format = false;
  FormatRule format_rule = FormatRule::r1_zero;
  int64_t length_max = 0;     // tokens; 0: no length penalty
  int64_t length_buffer = 0;  // the soft zone before length_max (0: a hard step at length_max)
  double length_weight = 1.0;

  void validate() const;  // throws Error naming the bad field
  // Keys: accuracy, format, gate_on_format, format_rule ("r1-zero" | "think"), length_max, length_buffer,
  // length_weight; missing keys keep the defaults, unknown keys and wrong types are errors naming `where`.
  static RewardConfig from_json(const nlohmann::json& j, const std::string& where = "reward");
  nlohmann::json to_json() const;
};

struct RewardParts {
  double accuracy = 0, format = 0, length = 0, total = 0;
  nlohmann::json json() const;  // {"accuracy", "format", "length"}
};

// n_tokens: the completion's length in tokens; required when the length penalty is on (throws Error otherwise).
RewardParts combine_reward(int correct, int well_formed, std::optional<int64_t> n_tokens, const RewardConfig& r);

}  // namespace seek
