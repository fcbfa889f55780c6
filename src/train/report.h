// The training report: OUT/report.html, one self-contained page (inline SVG and CSS, no scripts, nothing fetched)
// with a chart per metric from OUT/metrics.jsonl, the run summary, and the latest sample generations.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace seek {

// Reads OUT/metrics.jsonl (missing or empty: the page says so) and writes OUT/report.html atomically (tmp +
// rename). Charts, x = step: loss (with val_loss and mtp_loss overlaid), lr, grad_norm,
// expert_load_max_over_mean, tokens_per_s, mfu. Records without a field, or with a null/NaN/inf value, are
// skipped for that series; long series are downsampled (report_downsample). `summary` is shown as a table
// (nested objects flattened to dotted keys). Throws Error naming the file on I/O failure or corrupt metrics.
void write_report_html(const std::string& out_dir, const nlohmann::json& summary);

// At most this many points per series are drawn (plus the first and last point).
constexpr size_t kReportMaxPoints = 1000;

// Indices of the (x, y) points a chart draws: all of them when there are at most max_points; otherwise the
// series is cut into max_points/2 runs of consecutive points and each run keeps its lowest and highest point
// (spikes survive), in order, plus the first and last point of the series.
std::vector<size_t> report_downsample(const std::vector<std::pair<double, double>>& pts, size_t max_points);

}  // namespace seek
