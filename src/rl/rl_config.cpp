#include "rl/rl_config.h"

#include <cmath>
#include <limits>
#include <set>
#include <variant>

#include "core/error.h"

namespace seek::rl {

using nlohmann::json;

namespace {

const char* loss_type_name(GrpoLossType t) {
  return t == GrpoLossType::token ? "token" : t == GrpoLossType::sequence ? "sequence" : "dr_grpo";
}

using FieldPtr = std::variant<int64_t*, uint64_t*, int*, double*, bool*, std::string*>;

// Every plain key and the field it binds (loss_type, scale_rewards and reward are handled apart).
std::vector<std::pair<const char*, FieldPtr>> fields(RlConfig& c) {
  GrpoObjective& o = c.objective;
  return {{"model", &c.model},
          {"task", &c.task},
          {"steps", &c.steps},
          {"prompts", &c.prompts},
          {"group_size", &c.group_size},
          {"max_tokens", &c.max_tokens},
          {"temperature", &c.temperature},
          {"top_p", &c.top_p},
          {"open_think", &c.open_think},
          {"prompt_style", &c.prompt_style},
          {"epochs", &c.epochs},
          {"microbatch", &c.microbatch},
          {"eps_low", &o.eps_low},
          {"eps_high", &o.eps_high},
          {"beta", &o.beta},
          {"l_max", &o.l_max},
          {"ref_update_every", &c.ref_update_every},
          {"truncated", &c.truncated},
          {"lr", &c.lr},
          {"weight_decay", &c.weight_decay},
          {"beta1", &c.beta1},
          {"beta2", &c.beta2},
          {"grad_clip", &c.grad_clip},
          {"warmup_steps", &c.warmup_steps},
          {"eval_every", &c.eval_every},
          {"eval_problems", &c.eval_problems},
          {"eval_samples", &c.eval_samples},
          {"eval_temperature", &c.eval_temperature},
          {"checkpoint_every", &c.checkpoint_every},
          {"keep_checkpoints", &c.keep_checkpoints},
          {"seed", &c.seed},
          {"precision", &c.precision},
          {"rollout_precision", &c.rollout_precision},
          {"price_per_hour", &c.price_per_hour},
          {"threads", &c.threads}};
}

template <class T>
void read_integer(const json& v, T& field, const std::string& what) {
  check(v.is_number(), what + " must be a number, got " + v.dump());
  const double d = v.get<double>();
  check(d == std::floor(d), what + " must be an integer, got " + v.dump());
  check(d >= double(std::numeric_limits<T>::lowest()) && d <= double(std::numeric_limits<T>::max()),
        what + " is " + v.dump() + ", out of range");
  field = v.is_number_unsigned() ? T(v.get<uint64_t>()) : v.is_number_integer() ? T(v.get<int64_t>()) : T(d);
}

void read_field(const json& v, FieldPtr f, const std::string& what) {
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          check(v.is_string(), what + " must be a string, got " + v.dump());
          *p = v.get<std::string>();
        } else if constexpr (std::is_same_v<T, bool>) {
          check(v.is_boolean(), what + " must be true or false, got " + v.dump());
          *p = v.get<bool>();
        } else if constexpr (std::is_same_v<T, double>) {
          check(v.is_number(), what + " must be a number, got " + v.dump());
          *p = v.get<double>();
        } else {
          read_integer(v, *p, what);
        }
      },
      f);
}

}  // namespace

RlConfig parse_rl_config(const json& j, const std::string& where) {
  check(j.is_object(), where + ": must be a JSON object");
  RlConfig c;
  const auto fs = fields(c);
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const std::string what = where + ": '" + k + "'";
    if (k == "loss_type") {
      check(it->is_string(), what + " must be a string");
      c.objective.loss_type = parse_grpo_loss_type(it->get<std::string>());
    } else if (k == "scale_rewards") {
      check(it->is_string(), what + " must be a string");
      c.objective.scaling = parse_reward_scaling(it->get<std::string>());
    } else if (k == "reward") {
      c.reward = RewardConfig::from_json(*it, where + ": reward");
    } else {
      bool found = false;
      for (const auto& [name, f] : fs)
        if (k == name) read_field(*it, f, what), found = true;
      check(found, where + ": unknown key '" + k + "'");
    }
  }
  return c;
}

json rl_config_json(const RlConfig& c) {
  RlConfig copy = c;
  json j = json::object();
  for (const auto& [name, f] : fields(copy)) std::visit([&, name = name](auto* p) { j[name] = *p; }, f);
  j["loss_type"] = loss_type_name(c.objective.loss_type);
  j["scale_rewards"] = c.objective.scaling == RewardScaling::group ? "group" : "none";
  j["reward"] = c.reward.to_json();
  return j;
}

void validate_rl_config(const RlConfig& c) {
  auto need = [](bool ok, const std::string& key, const std::string& rule, const std::string& value) {
    check(ok, "rl config: '" + key + "' " + rule + ", got " + value);
  };
  auto i = [](int64_t v) { return std::to_string(v); };
  auto d = [](double v) { return json(v).dump(); };
  need(!c.model.empty(), "model", "is required (a model folder or a `seek train` run folder)", "nothing");
  need(c.steps >= 1, "steps", "must be >= 1", i(c.steps));
  need(c.prompts >= 1, "prompts", "must be >= 1", i(c.prompts));
  need(c.group_size >= 2, "group_size", "must be >= 2 (GRPO compares samples within a group)", i(c.group_size));
  need(c.prompts * c.group_size <= 65536, "prompts x group_size", "must be <= 65536", i(c.prompts * c.group_size));
  need(c.max_tokens >= 1 && c.max_tokens <= 1 << 20, "max_tokens", "must be in 1..1048576", i(c.max_tokens));
  need(c.temperature > 0 && c.temperature <= 10, "temperature", "must be in (0, 10]", d(c.temperature));
  need(c.top_p > 0 && c.top_p <= 1, "top_p", "must be in (0, 1]", d(c.top_p));
  need(c.epochs >= 1 && c.epochs <= 100, "epochs", "must be in 1..100", i(c.epochs));
  need(c.microbatch >= 1, "microbatch", "must be >= 1", i(c.microbatch));
  need(c.objective.eps_low >= 0 && c.objective.eps_low < 1, "eps_low", "must be in [0, 1)", d(c.objective.eps_low));
  need(c.objective.eps_high >= 0, "eps_high", "must be >= 0", d(c.objective.eps_high));
  need(c.objective.beta >= 0, "beta", "must be >= 0", d(c.objective.beta));
  need(c.objective.l_max >= 0, "l_max", "must be >= 0", i(c.objective.l_max));
  need(c.ref_update_every >= 0, "ref_update_every", "must be >= 0", i(c.ref_update_every));
  need(c.truncated == "mask" || c.truncated == "keep", "truncated", "must be \"mask\" or \"keep\"", c.truncated);
  c.reward.validate();
  need(c.lr > 0 && c.lr < 1, "lr", "must be in (0, 1)", d(c.lr));
  need(c.weight_decay >= 0, "weight_decay", "must be >= 0", d(c.weight_decay));
  need(c.beta1 >= 0 && c.beta1 < 1, "beta1", "must be in [0, 1)", d(c.beta1));
  need(c.beta2 >= 0 && c.beta2 < 1, "beta2", "must be in [0, 1)", d(c.beta2));
  need(c.grad_clip >= 0, "grad_clip", "must be >= 0 (0: no clipping)", d(c.grad_clip));
  need(c.warmup_steps >= 0, "warmup_steps", "must be >= 0", i(c.warmup_steps));
  need(c.eval_every >= 0, "eval_every", "must be >= 0", i(c.eval_every));
  need(c.eval_problems >= 1, "eval_problems", "must be >= 1", i(c.eval_problems));
  need(c.eval_samples >= 1, "eval_samples", "must be >= 1", i(c.eval_samples));
  need(c.eval_temperature >= 0, "eval_temperature", "must be >= 0", d(c.eval_temperature));
  need(c.checkpoint_every >= 1, "checkpoint_every", "must be >= 1", i(c.checkpoint_every));
  need(c.precision == "f32" || c.precision == "bf16", "precision", "must be f32 or bf16", c.precision);
  need(c.rollout_precision == "f32" || c.rollout_precision == "bf16", "rollout_precision", "must be f32 or bf16",
       c.rollout_precision);
  need(c.price_per_hour >= 0, "price_per_hour", "must be >= 0", d(c.price_per_hour));
  need(c.threads >= 0, "threads", "must be >= 0 (0: all cores)", i(c.threads));
}

json rl_preset(const std::string& name) {
  // arithmetic: the demo's recipe for a tiny model pretrained on seek task-corpus (short completions).
  if (name == "arithmetic")
    return {{"task", "arithmetic:digits=1,terms=3,ops=+"}, {"steps", 90}, {"prompts", 16}, {"group_size", 8},
            {"max_tokens", 40}, {"temperature", 1.0}, {"lr", 1e-4}, {"microbatch", 32}, {"eval_every", 30},
            {"eval_problems", 90}};
  if (name == "countdown")
    return {{"task", "countdown:numbers=3,max=20,target_max=100"}, {"steps", 200}, {"prompts", 16},
            {"group_size", 8}, {"max_tokens", 96}, {"lr", 1e-4}, {"eval_every", 50}};
  if (name == "gsm8k")
    return {{"task", "gsm8k"}, {"steps", 200}, {"prompts", 8}, {"group_size", 8}, {"max_tokens", 512},
            {"temperature", 1.0}, {"lr", 1e-6}, {"beta", 0.04}, {"eval_every", 50}, {"rollout_precision", "bf16"}};
  std::string names;
  for (const auto& n : rl_preset_names()) names += (names.empty() ? "" : ", ") + n;
  throw Error("unknown rl preset '" + name + "' (presets: " + names + ")");
}

std::vector<std::string> rl_preset_names() { return {"arithmetic", "countdown", "gsm8k"}; }

bool rl_resume_may_override(const std::string& key) {
  static const std::set<std::string> ok = {"steps",          "checkpoint_every", "keep_checkpoints", "eval_every",
                                           "eval_problems",  "eval_samples",     "eval_temperature", "threads",
                                           "price_per_hour", "model"};
  return ok.count(key) != 0;
}

}  // namespace seek::rl
