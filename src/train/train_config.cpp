#include "train/train_config.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/parallel.h"
#include "train/lr_schedule.h"

namespace seek::train {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// How a config key is spelled on the command line, for messages ("max_steps (--max-steps)").
std::string key_name(const std::string& key) {
  static const std::set<std::string> flags = {"data", "out",     "max_steps",      "seq_len",  "precision",
                                              "seed", "preset",  "threads",        "recompute", "price_per_hour"};
  if (key == "batch_size") return "'batch_size' (--batch)";
  if (!flags.count(key)) return "'" + key + "'";
  std::string flag = key;
  for (char& ch : flag)
    if (ch == '_') ch = '-';
  return "'" + key + "' (--" + flag + ")";
}

// Reads one field of the config object into `field`, with the type check that names the key.
struct FieldReader {
  const std::string& where;
  const std::string& k;
  const json& v;

  template <class T>
  void num(T& field) const {
    check(v.is_number(), where + ": field '" + k + "' must be a number, got " + v.dump());
    if constexpr (std::is_integral_v<T>) {
      const double d = v.get<double>();
      check(v.is_number_integer() || d == std::floor(d), where + ": field '" + k + "' must be an integer");
      check(std::fabs(d) < 9e18 && (std::is_signed_v<T> || d >= 0) && d <= double(std::numeric_limits<T>::max()) &&
                d >= double(std::numeric_limits<T>::lowest()),
            where + ": field '" + k + "' is " + v.dump() + ", out of range");
      field = v.is_number_unsigned() ? T(v.get<uint64_t>()) : v.is_number_integer() ? T(v.get<int64_t>()) : T(d);
    } else {
      field = v.get<T>();
    }
  }
  void flag(bool& field) const {
    check(v.is_boolean(), where + ": field '" + k + "' must be true or false, got " + v.dump());
    field = v.get<bool>();
  }
  void str(std::string& field) const {
    check(v.is_string(), where + ": field '" + k + "' must be a string, got " + v.dump());
    field = v.get<std::string>();
  }
  void optimizer(AdamWConfig& o) const {
    check(v.is_object(), where + ": field 'optimizer' must be an object");
    for (auto it = v.begin(); it != v.end(); ++it) {
      check(it.value().is_number(), where + ": optimizer." + it.key() + " must be a number");
      const double x = it.value().get<double>();
      if (it.key() == "beta1")
        o.beta1 = x;
      else if (it.key() == "beta2")
        o.beta2 = x;
      else if (it.key() == "eps")
        o.eps = x;
      else if (it.key() == "weight_decay")
        o.weight_decay = x;
      else
        throw Error(where + ": unknown field 'optimizer." + it.key() + "'");
    }
  }
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The canonical text of a recorded or given value, for comparing and for messages.
std::string shown(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string absolute_path(const std::string& p) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal().string() : a.string();
}

}  // namespace

TrainConfig parse_train_config(const json& j, const std::string& where) {
  check(j.is_object(), where + ": expected a JSON object");
  TrainConfig c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const FieldReader r{where, k, it.value()};
    if (k == "model") {
      check(it.value().is_object() || it.value().is_null(), where + ": field 'model' must be a config.json object");
      c.model = it.value();
    } else if (k == "preset")
      r.str(c.preset);
    else if (k == "data")
      r.str(c.data);
    else if (k == "out")
      r.str(c.out);
    else if (k == "seq_len")
      r.num(c.seq_len);
    else if (k == "batch_size")
      r.num(c.batch_size);
    else if (k == "grad_accum")
      r.num(c.grad_accum);
    else if (k == "max_steps")
      r.num(c.max_steps);
    else if (k == "optimizer")
      r.optimizer(c.optimizer);
    else if (k == "lr_schedule") {
      check(it.value().is_object() || it.value().is_null(), where + ": field 'lr_schedule' must be an object");
      c.lr_schedule = it.value();
    } else if (k == "grad_clip")
      r.num(c.grad_clip);
    else if (k == "mtp_lambda")
      r.num(c.mtp_lambda);
    else if (k == "balance_alpha")
      r.num(c.balance_alpha);
    else if (k == "bias_update_speed")
      r.num(c.bias_update_speed);
    else if (k == "init_std")
      r.num(c.init_std);
    else if (k == "seed")
      r.num(c.seed);
    else if (k == "precision")
      r.str(c.precision);
    else if (k == "eval_every")
      r.num(c.eval_every);
    else if (k == "eval_windows")
      r.num(c.eval_windows);
    else if (k == "sample_every")
      r.num(c.sample_every);
    else if (k == "sample_tokens")
      r.num(c.sample_tokens);
    else if (k == "checkpoint_every")
      r.num(c.checkpoint_every);
    else if (k == "keep_checkpoints")
      r.num(c.keep_checkpoints);
    else if (k == "log_every")
      r.num(c.log_every);
    else if (k == "price_per_hour")
      r.num(c.price_per_hour);
    else if (k == "threads")
      r.num(c.threads);
    else if (k == "recompute")
      r.flag(c.recompute);
    else
      throw Error(where + ": unknown field '" + k + "'");
  }
  return c;
}

json train_config_json(const TrainConfig& c) {
  json j = {{"preset", c.preset},
            {"data", c.data},
            {"seq_len", c.seq_len},
            {"batch_size", c.batch_size},
            {"grad_accum", c.grad_accum},
            {"max_steps", c.max_steps},
            {"optimizer",
             {{"beta1", c.optimizer.beta1},
              {"beta2", c.optimizer.beta2},
              {"eps", c.optimizer.eps},
              {"weight_decay", c.optimizer.weight_decay}}},
            {"lr_schedule", c.lr_schedule},
            {"grad_clip", c.grad_clip},
            {"mtp_lambda", c.mtp_lambda},
            {"balance_alpha", c.balance_alpha},
            {"bias_update_speed", c.bias_update_speed},
            {"init_std", c.init_std},
            {"seed", c.seed},
            {"precision", c.precision},
            {"recompute", c.recompute},
            {"eval_every", c.eval_every},
            {"eval_windows", c.eval_windows},
            {"sample_every", c.sample_every},
            {"sample_tokens", c.sample_tokens},
            {"checkpoint_every", c.checkpoint_every},
            {"keep_checkpoints", c.keep_checkpoints},
            {"log_every", c.log_every},
            {"price_per_hour", c.price_per_hour},
            {"threads", c.threads}};
  if (!c.model.is_null()) j["model"] = c.model;
  return j;
}

void validate_train_config(const TrainConfig& c) {
  auto at_least = [](int64_t v, int64_t min, const char* key) {
    check(v >= min, "train: " + key_name(key) + " must be >= " + std::to_string(min) + ", got " + std::to_string(v));
  };
  at_least(c.seq_len, 1, "seq_len");
  at_least(c.batch_size, 1, "batch_size");
  at_least(c.grad_accum, 1, "grad_accum");
  at_least(c.max_steps, 1, "max_steps");
  at_least(c.eval_every, 1, "eval_every");
  at_least(c.eval_windows, 1, "eval_windows");
  at_least(c.sample_every, 1, "sample_every");
  at_least(c.sample_tokens, 0, "sample_tokens");
  at_least(c.checkpoint_every, 1, "checkpoint_every");
  at_least(c.keep_checkpoints, 0, "keep_checkpoints");
  at_least(c.log_every, 1, "log_every");
  auto non_negative = [](double v, const char* key) {
    check(std::isfinite(v) && v >= 0, "train: " + key_name(key) + " must be a finite number >= 0, got " + number(v));
  };
  non_negative(c.grad_clip, "grad_clip");
  non_negative(c.mtp_lambda, "mtp_lambda");
  non_negative(c.balance_alpha, "balance_alpha");
  non_negative(c.bias_update_speed, "bias_update_speed");
  non_negative(c.price_per_hour, "price_per_hour");
  check(std::isfinite(c.init_std) && c.init_std > 0, "train: 'init_std' must be > 0, got " + number(c.init_std));
  check(c.precision == "f32" || c.precision == "bf16" || c.precision == "fp8",
        "train: " + key_name("precision") + " must be f32, bf16 or fp8, got '" + c.precision + "'");
  if (c.threads != 0) check_thread_count(c.threads, "train: " + key_name("threads"));
  check(c.model.is_null() || c.preset.empty(), "train: give 'model' or 'preset', not both");
  check(!c.data.empty(), "train: no data folder (--data DIR, made by `seek data`)");
  check(!c.out.empty(), "train: no output folder (--out DIR)");
  if (!c.lr_schedule.is_null()) parse_lr_schedule(c.lr_schedule, "train config: lr_schedule");
}

void complete_train_config(TrainConfig& c) {
  if (c.model.is_null() && c.preset.empty()) c.preset = "tiny";
  if (!c.data.empty()) c.data = absolute_path(c.data);
  if (c.lr_schedule.is_null())
    c.lr_schedule = {{"type", "cosine"},
                     {"peak_lr", 3e-3},
                     {"min_lr", 3e-4},
                     {"warmup_steps", std::max<int64_t>(1, c.max_steps / 20)},
                     {"total_steps", c.max_steps}};
}

bool resume_may_override(const std::string& key) {
  static const std::set<std::string> keys = {
      "max_steps",        "eval_every", "eval_windows",   "sample_every", "sample_tokens", "checkpoint_every",
      "keep_checkpoints", "log_every",  "price_per_hour", "threads",      "data",          "recompute"};
  return keys.count(key) != 0;
}

ResumedConfig resume_train_config(const json& recorded, const json& given, const std::string& checkpoint) {
  check(given.is_object(), "train: settings must be a JSON object");
  const TrainConfig rec = parse_train_config(recorded, checkpoint + "/trainer_state.json: config");
  const TrainConfig now = parse_train_config(given, "train settings");
  const json rj = train_config_json(rec), nj = train_config_json(now);
  ResumedConfig out{rec, {}};
  json merged = rj;
  for (auto it = given.begin(); it != given.end(); ++it) {
    const std::string& k = it.key();
    if (k == "out" || it.value().is_null()) continue;  // null: not set (a whole TrainConfig's empty fields)
    json was = rj.contains(k) ? rj[k] : json(), want = nj.contains(k) ? nj[k] : json();
    if (k == "data") was = absolute_path(rec.data), want = absolute_path(now.data);
    if (k == "preset" && now.preset.empty()) continue;  // --preset '' is no preset given
    if (was == want) continue;
    if (!resume_may_override(k))
      throw Error(checkpoint + ": the run being resumed has " + key_name(k) + " = " + shown(was) +
                  "; this time it is " + shown(want) +
                  ". Leave it out to continue the run as it was recorded, or start a new run in " + "another --out");
    merged[k] = want;
    out.overrides.push_back(k + " = " + shown(want) + " (recorded: " + shown(was) + ")");
  }
  out.config = parse_train_config(merged, checkpoint + "/trainer_state.json: config");
  out.config.out = now.out;
  return out;
}

}  // namespace seek::train
