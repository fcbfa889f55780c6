// Learning-rate schedules, as a function of the optimizer step index s = the number of updates already taken
// (0 for the first update, which is the convention of PyTorch's LambdaLR and the common warmup schedules). With
// peak P, min M, warmup W, total T:
//   warmup (all types)  s < W:  P * s / W                     (0 at the first step, P at step W)
//   constant            s >= W: P
//   cosine              W <= s <= T: M + (P - M) * (1 + cos(pi * (s - W) / (T - W))) / 2;   s > T: M
//   wsd                 W <= s < T - D: P (stable);  T - D <= s <= T: decays from P to M with progress
//                       q = (s - (T - D)) / D as M + (P - M) * (1 - q) (linear) or (1 + cos(pi q)) / 2 (cosine);
//                       s > T: M
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace seek {

struct LrSchedule {
  enum class Type { Constant, Cosine, Wsd };
  enum class Decay { Linear, Cosine };  // the shape of WSD's final decay
  Type type = Type::Constant;
  double peak_lr = 0;
  double min_lr = 0;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;  // cosine, wsd: the step at which min_lr is reached
  int64_t decay_steps = 0;  // wsd: length of the final decay
  Decay decay = Decay::Linear;

  double lr(int64_t step) const;                  // step >= 0
  void validate(const std::string& where) const;  // throws Error naming `where` and the field
  nlohmann::json to_json() const;
};

// From {"type": "cosine"|"wsd"|"constant", "peak_lr", "min_lr", "warmup_steps", "total_steps", "decay_steps",
// "decay": "linear"|"cosine"}. Defaults: min_lr 0, warmup_steps 0, decay "linear"; peak_lr is required, as are
// total_steps (cosine, wsd) and decay_steps (wsd). Unknown fields are errors (a misspelt field would otherwise be
// silently ignored). `where` names the source in errors, e.g. "train.json: lr_schedule".
LrSchedule parse_lr_schedule(const nlohmann::json& j, const std::string& where);

}  // namespace seek
