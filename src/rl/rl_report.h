// OUT/report.html of a `seek rl` run: the headline (policy, task, steps, held-out pass@1 before -> now, time,
// cost), the curves from OUT/metrics.jsonl (reward and its components, training accuracy against held-out pass@1,
// the silent-failure signals: frac_reward_zero_std, truncated ratio, clip fraction; KL and entropy; completion
// length; gradient norm; rollout and training tokens/s), the latest sampled completions, and the summary.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace seek::rl {

void write_rl_report_html(const std::string& out_dir, const nlohmann::json& summary);

}  // namespace seek::rl
