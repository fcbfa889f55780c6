#include "rl/rl_report.h"

#include <cstdio>
#include <filesystem>

#include "train/metrics.h"
#include "train/report.h"

namespace seek::rl {

using nlohmann::json;

namespace {

std::string pass_text(const json& e) {
  if (!e.is_object() || !e["pass@1"].is_number()) return "n/a";
  char b[80];
  std::snprintf(b, sizeof b, "%.3f", e["pass@1"].get<double>());
  std::string s = b;
  if (e["stderr"].is_number()) std::snprintf(b, sizeof b, " ± %.3f", e["stderr"].get<double>()), s += b;
  return s;
}

}  // namespace

void write_rl_report_html(const std::string& out_dir, const json& s) {
  const std::vector<json> recs = read_metrics(out_dir);
  const std::vector<ChartSpec> charts = {
      {"reward",
       "Reward and its components (mean over samples)",
       {{"reward", "reward", "#1f77b4"}, {"reward_accuracy", "accuracy part", "#2ca02c"},
        {"reward_format", "format part", "#ff7f0e"}, {"reward_length", "length part", "#7f7f7f"}},
       {}},
      {"accuracy",
       "Accuracy: training rollouts against held-out pass@1",
       {{"accuracy", "rollouts", "#2ca02c"}, {"eval_pass@1", "held-out pass@1", "#d62728"}},
       {}},
      {"signals",
       "Silent failures: groups with one reward, truncated, clipped",
       {{"frac_reward_zero_std", "zero-std groups", "#9467bd"}, {"truncated_ratio", "truncated", "#8c564b"},
        {"clip_fraction", "clipped tokens", "#e377c2"}},
       {}},
      {"entropy", "Policy entropy and KL to the reference", {{"entropy", "entropy", "#17becf"}, {"kl", "KL", "#bcbd22"}}, {}},
      {"length",
       "Completion length (tokens)",
       {{"mean_length", "all", "#1f77b4"}, {"mean_terminated_length", "terminated", "#ff7f0e"}},
       {}},
      {"grad_norm", "Gradient norm (before clipping)", {{"grad_norm", "norm", "#8c564b"}}, {}},
      {"throughput",
       "Throughput (tokens/s)",
       {{"rollout_tokens_per_s", "rollouts", "#1f77b4"}, {"train_tokens_per_s", "training", "#d62728"}},
       {}},
  };
  const double price = s.value("price_per_hour", 0.0);
  char cost[120], time[80];
  std::snprintf(cost, sizeof cost, price > 0 ? "$%.4g" : "not priced (--price-per-hour)", s.value("cost_usd", 0.0));
  std::snprintf(time, sizeof time, "%.0f s rollouts + %.0f s training, %s", s.value("rollout_seconds", 0.0),
                s.value("train_seconds", 0.0), s.value("device", std::string("cpu")).c_str());
  const std::string headline = report_headline({
      {"Policy", s.value("start_model", std::string("n/a"))},
      {"Task", s.value("task", std::string("n/a"))},
      {"Steps", std::to_string(s.value("steps", 0)) + " of " + std::to_string(s.value("max_steps", 0))},
      {"Held-out pass@1", pass_text(s.value("first_eval", json())) + " before -> " +
                              pass_text(s.value("last_eval", json())) + " now"},
      {"Time", time},
      {"Cost", cost},
  });
  const std::string title =
      "seek rl report: " + std::filesystem::absolute(out_dir).lexically_normal().string();
  write_report_file(out_dir, report_page(title, headline, charts, recs, s));
}

}  // namespace seek::rl
