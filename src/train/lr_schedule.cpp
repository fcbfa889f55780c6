#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>

#include "core/error.h"

namespace seek {

using json = nlohmann::json;

namespace {

const char* type_name(LrSchedule::Type t) {
  switch (t) {
    case LrSchedule::Type::Constant: return "constant";
    case LrSchedule::Type::Cosine: return "cosine";
    case LrSchedule::Type::Wsd: return "wsd";
  }
  return "?";
}

double get_number(const json& j, const char* field, const std::string& where) {
  const json& v = j.at(field);
  if (!v.is_number()) throw Error(where + ": field '" + field + "' is " + v.dump() + ", expected a number");
  return v.get<double>();
}

int64_t get_steps(const json& j, const char* field, const std::string& where) {
  const json& v = j.at(field);
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    throw Error(where + ": field '" + field + "' is " + v.dump() + ", expected a non-negative integer");
  return v.get<int64_t>();
}

}  // namespace

double LrSchedule::lr(int64_t s) const {
  s = std::max<int64_t>(s, 0);
  if (s < warmup_steps) return peak_lr * double(s) / double(warmup_steps);
  switch (type) {
    case Type::Constant: return peak_lr;
    case Type::Cosine: {
      if (s >= total_steps) return min_lr;
      double q = double(s - warmup_steps) / double(total_steps - warmup_steps);
      return min_lr + (peak_lr - min_lr) * 0.5 * (1 + std::cos(std::numbers::pi * q));
    }
    case Type::Wsd: {
      int64_t start = total_steps - decay_steps;
      if (s < start) return peak_lr;
      if (s >= total_steps) return min_lr;
      double q = double(s - start) / double(decay_steps);
      double f = decay == Decay::Linear ? 1 - q : 0.5 * (1 + std::cos(std::numbers::pi * q));
      return min_lr + (peak_lr - min_lr) * f;
    }
  }
  return peak_lr;
}

void LrSchedule::validate(const std::string& where) const {
  const std::string w = where + ": ";
  check(std::isfinite(peak_lr) && peak_lr > 0, w + "peak_lr = " + std::to_string(peak_lr) + ", expected > 0");
  check(
      std::isfinite(min_lr) && min_lr >= 0 && min_lr <= peak_lr,
      w + "min_lr = " + std::to_string(min_lr) + ", expected between 0 and peak_lr (" + std::to_string(peak_lr) + ")");
  check(warmup_steps >= 0, w + "warmup_steps = " + std::to_string(warmup_steps) + ", expected >= 0");
  if (type == Type::Cosine)
    check(total_steps >= warmup_steps, w + "total_steps = " + std::to_string(total_steps) +
                                           " is less than warmup_steps = " + std::to_string(warmup_steps));
  if (type == Type::Wsd) {
    check(decay_steps > 0, w + "decay_steps = " + std::to_string(decay_steps) + ", expected > 0");
    check(warmup_steps + decay_steps <= total_steps,
          w + "warmup_steps + decay_steps = " + std::to_string(warmup_steps + decay_steps) +
              " exceeds total_steps = " + std::to_string(total_steps));
  }
}

json LrSchedule::to_json() const {
  json j = {{"type", type_name(type)}, {"peak_lr", peak_lr}, {"warmup_steps", warmup_steps}};
  if (type == Type::Constant) return j;
  j["min_lr"] = min_lr;
  j["total_steps"] = total_steps;
  if (type == Type::Wsd) {
    j["decay_steps"] = decay_steps;
    j["decay"] = decay == Decay::Linear ? "linear" : "cosine";
  }
  return j;
}

LrSchedule parse_lr_schedule(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": expected a JSON object with a 'type', got " + j.dump());
  if (!j.contains("type") || !j["type"].is_string())
    throw Error(where + ": missing string field 'type' (\"cosine\", \"wsd\" or \"constant\")");
  LrSchedule s;
  std::string type = j["type"].get<std::string>();
  std::set<std::string> allowed = {"type", "peak_lr", "min_lr", "warmup_steps"};
  std::set<std::string> required = {"peak_lr"};
  if (type == "constant") {
    s.type = LrSchedule::Type::Constant;
  } else if (type == "cosine") {
    s.type = LrSchedule::Type::Cosine;
    allowed.insert("total_steps");
    required.insert("total_steps");
  } else if (type == "wsd") {
    s.type = LrSchedule::Type::Wsd;
    allowed.insert({"total_steps", "decay_steps", "decay"});
    required.insert({"total_steps", "decay_steps"});
  } else {
    throw Error(where + ": field 'type' is \"" + type + "\", expected \"cosine\", \"wsd\" or \"constant\"");
  }
  for (auto& [k, v] : j.items())
    if (!allowed.count(k)) throw Error(where + ": unknown field '" + k + "' for a " + type + " schedule");
  for (auto& k : required)
    if (!j.contains(k)) throw Error(where + ": missing field '" + k + "' (required for a " + type + " schedule)");
  s.peak_lr = get_number(j, "peak_lr", where);
  if (j.contains("min_lr")) s.min_lr = get_number(j, "min_lr", where);
  if (j.contains("warmup_steps")) s.warmup_steps = get_steps(j, "warmup_steps", where);
  if (j.contains("total_steps")) s.total_steps = get_steps(j, "total_steps", where);
  if (j.contains("decay_steps")) s.decay_steps = get_steps(j, "decay_steps", where);
  if (j.contains("decay")) {
    const json& d = j["decay"];
    if (d == "linear") {
      s.decay = LrSchedule::Decay::Linear;
    } else if (d == "cosine") {
      s.decay = LrSchedule::Decay::Cosine;
    } else {
      throw Error(where + ": field 'decay' is " + d.dump() + ", expected \"linear\" or \"cosine\"");
    }
  }
  s.validate(where);
  return s;
}

}  // namespace seek
