// The training report: OUT/report.html, one self-contained page (inline SVG and CSS, no scripts, nothing fetched):
//  - a headline: the model, the data, steps done of planned, the final validation loss against the unigram
//    baseline, the training time and the cost;
//  - charts as wide as the page allows, from OUT/metrics.jsonl, x = step: the next-token loss of training against
//    the validation loss with the unigram baseline as a dashed line; the training objective (total, MTP); lr;
//    gradient norm; expert load; throughput; utilization;
//  - the latest samples after the prompts they continue;
//  - the run summary as a table of labelled values with their units.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/report_chart.h"

namespace seek {

// Reads OUT/metrics.jsonl (missing or empty: the page says so) and writes OUT/report.html atomically (tmp +
// rename). Records without a field, or with a null/NaN/inf value, are skipped for that series; long series are
// downsampled (report_downsample). `summary` is the run summary (trainer.h); keys the page does not know are shown
// with readable labels. Throws Error naming the file on I/O failure or corrupt metrics.
void write_report_html(const std::string& out_dir, const nlohmann::json& summary);

// The parts another run's report (seek rl) builds its page from: a headline of (label, value) boxes, and the page
// (style, headline, the charts of `recs`, the latest samples, the summary table); write_report_file writes
// OUT/report.html atomically.
std::string report_headline(const std::vector<std::pair<std::string, std::string>>& items);
std::string report_page(const std::string& title, const std::string& headline_html,
                        const std::vector<ChartSpec>& charts, const std::vector<nlohmann::json>& recs,
                        const nlohmann::json& summary);
void write_report_file(const std::string& out_dir, const std::string& html);

// At most this many points per series are drawn (plus the first and last point).
constexpr size_t kReportMaxPoints = 1000;

// Indices of the (x, y) points a chart draws: all of them when there are at most max_points; otherwise the
// series is cut into max_points/2 runs of consecutive points and each run keeps its lowest and highest point
// (spikes survive), in order, plus the first and last point of the series.
std::vector<size_t> report_downsample(const std::vector<std::pair<double, double>>& pts, size_t max_points);

}  // namespace seek
