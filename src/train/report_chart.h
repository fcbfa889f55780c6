// One SVG line chart of the training report: x = step, one polyline per series that has finite values (a lone
// point drawn as a dot), optional horizontal reference lines, axes with 1/2/5 ticks and a legend. Drawn in a
// 640 x 260 coordinate box that the page scales to its column width.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace seek {

struct ChartSeries {
  const char* key;    // the metrics field, also the polyline's data-series
  const char* label;  // legend text
  const char* color;
};

struct ChartLine {  // a horizontal reference line across the plot (e.g. the unigram baseline)
  std::string name, label;
  double value;
  const char* color;
};

struct ChartSpec {
  const char* metric;  // data-metric attribute of the <svg>
  const char* title;
  std::vector<ChartSeries> series;
  std::vector<ChartLine> lines;  // only finite values are drawn; they widen the value range to be seen
};

// <section class="chart-box"> with the chart, or with a "no data" note when no series has a value.
std::string chart_svg(const ChartSpec& spec, const std::vector<nlohmann::json>& records);

// A finite number out of a metrics field, or false (missing, null, a string, NaN, inf).
bool metric_value(const nlohmann::json& record, const char* key, double& out);

}  // namespace seek
