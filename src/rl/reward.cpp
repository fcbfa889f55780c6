#include "rl/reward.h"

#include <cmath>
#include <set>

#include "core/error.h"

namespace seek {

using json = nlohmann::json;

void RewardConfig::validate() const {
  auto finite = [](double v, const char* name) {
    if (!std::isfinite(v)) throw Error(std::string("reward ") + name + " must be a finite number");
  };
  finite(accuracy_weight, "accuracy");
  finite(format_weight, "format");
  finite(length_weight, "length_weight");
  if (length_max < 0) throw Error("reward length_max must be >= 0 (0 = no length penalty)");
  if (length_buffer < 0 || (length_max > 0 && length_buffer > length_max))
    throw Error("reward length_buffer must be in [0, length_max]");
}

RewardConfig RewardConfig::from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": expected a JSON object");
  static const std::set<std::string> known = {"accuracy",   "format",        "gate_on_format", "format_rule",
                                              "length_max", "length_buffer", "length_weight"};
  for (auto& [k, v] : j.items())
    if (!known.count(k))
      throw Error(where + ": unknown key '" + k +
                  "' (known: accuracy, format, gate_on_format, format_rule, length_max, length_buffer, "
                  "length_weight)");
  RewardConfig r;
  auto num = [&](const char* k, double& dst) {
    if (!j.contains(k)) return;
    if (!j[k].is_number()) throw Error(where + "." + k + ": expected a number");
    dst = j[k].get<double>();
  };
  auto integer = [&](const char* k, int64_t& dst) {
    if (!j.contains(k)) return;
    if (!j[k].is_number_integer()) throw Error(where + "." + k + ": expected an integer");
    dst = j[k].get<int64_t>();
  };
  num("accuracy", r.accuracy_weight);
  num("format", r.format_weight);
  num("length_weight", r.length_weight);
  integer("length_max", r.length_max);
  integer("length_buffer", r.length_buffer);
  if (j.contains("gate_on_format")) {
    if (!j["gate_on_format"].is_boolean()) throw Error(where + ".gate_on_format: expected true or false");
    r.gate_on_format = j["gate_on_format"].get<bool>();
  }
  if (j.contains("format_rule")) {
    if (!j["format_rule"].is_string()) throw Error(where + ".format_rule: expected \"r1-zero\" or \"think\"");
    r.format_rule = parse_format_rule(j["format_rule"].get<std::string>());
  }
  r.validate();
  return r;
}

json RewardConfig::to_json() const {
  return {{"accuracy", accuracy_weight},      {"format", format_weight},
          {"gate_on_format", gate_on_format}, {"format_rule", format_rule_name(format_rule)},
          {"length_max", length_max},         {"length_buffer", length_buffer},
          {"length_weight", length_weight}};
}

json RewardParts::json() const { return {{"accuracy", accuracy}, {"format", format}, {"length", length}}; }

RewardParts combine_reward(int correct, int well_formed, std::optional<int64_t> n_tokens, const RewardConfig& r) {
  RewardParts p;
  p.accuracy = (r.gate_on_format && !well_formed) ? 0.0 : r.accuracy_weight * correct;
  p.format = r.format_weight * well_formed;
  if (r.length_max > 0) {
    if (!n_tokens) throw Error("the length penalty (length_max) needs the completion's token count");
    const double soft = double(r.length_max - r.length_buffer), n = double(*n_tokens);
    double over = 0;
    if (n > double(r.length_max))
      over = 1;
    else if (n > soft)
      over = (n - soft) / double(r.length_buffer);
    p.length = -r.length_weight * over;
  }
  p.total = p.accuracy + p.format + p.length;
  return p;
}

}  // namespace seek
