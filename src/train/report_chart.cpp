#include "train/report_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "formats/escape.h"
#include "train/report.h"

namespace seek {

namespace {

using Points = std::vector<std::pair<double, double>>;  // (step, value)

constexpr double W = 640, H = 260, L = 72, R = 16, T = 30, B = 40;  // box and margins

std::string num(double v, const char* f = "%.4g") {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// A tick label: integers plainly up to 1e9, everything else in 4 significant digits.
std::string tick_label(double v) {
  if (std::fabs(v) < 1e9 && v == std::round(v)) return num(v, "%.0f");
  return num(v, "%.4g");
}

Points series_of(const std::vector<nlohmann::json>& recs, const char* key) {
  Points p;
  double step, v;
  for (const auto& r : recs)
    if (metric_value(r, "step", step) && metric_value(r, key, v)) p.emplace_back(step, v);
  return p;
}

// About `target` tick values covering [lo, hi] at a 1/2/5 x 10^k spacing.
std::vector<double> nice_ticks(double lo, double hi, int target) {
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  const double step = (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9 && t.size() < 50; v += step)
    t.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

// [lo, hi] widened so that a single value or a flat line still has a height.
void widen(double& lo, double& hi) {
  if (hi > lo) return;
  const double d = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
  lo -= d;
  hi += d;
}

struct Frame {
  double x0, x1, y0, y1;
  double px(double x) const { return L + (x - x0) / (x1 - x0) * (W - L - R); }
  double py(double y) const { return H - B - (y - y0) / (y1 - y0) * (H - T - B); }  // larger value: higher up
};

std::string axes(const Frame& f) {
  std::string o = "<rect x=\"" + num(L) + "\" y=\"" + num(T) + "\" width=\"" + num(W - L - R) + "\" height=\"" +
                  num(H - T - B) + "\" class=\"plot\"/>\n";
  for (double v : nice_ticks(f.y0, f.y1, 5)) {
    const std::string y = num(f.py(v), "%.2f");
    o += "<line class=\"grid\" x1=\"" + num(L) + "\" x2=\"" + num(W - R) + "\" y1=\"" + y + "\" y2=\"" + y + "\"/>";
    o += "<text class=\"tick ytick\" x=\"" + num(L - 6) + "\" y=\"" + y + "\" text-anchor=\"end\" dy=\"4\">" +
         html_escape(tick_label(v)) + "</text>\n";
  }
  for (double v : nice_ticks(f.x0, f.x1, 6)) {
    const std::string x = num(f.px(v), "%.2f");
    o += "<line class=\"tickmark\" x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + num(H - B) + "\" y2=\"" + num(H - B + 5) +
         "\"/>";
    o += "<text class=\"tick xtick\" x=\"" + x + "\" y=\"" + num(H - B + 18) + "\" text-anchor=\"middle\">" +
         html_escape(tick_label(v)) + "</text>\n";
  }
  return o + "<text class=\"axis-label\" x=\"" + num(L + (W - L - R) / 2) + "\" y=\"" + num(H - 4) +
         "\" text-anchor=\"middle\">step</text>\n";
}

std::string polyline(const ChartSeries& s, const Points& p, const Frame& f) {
  const std::vector<size_t> keep = report_downsample(p, kReportMaxPoints);
  std::string o = "<polyline data-series=\"" + html_escape(s.key) + "\" fill=\"none\" stroke=\"" + s.color +
                  "\" stroke-width=\"1.5\" points=\"";
  for (size_t i = 0; i < keep.size(); i++) {
    if (i) o += ' ';
    o += num(f.px(p[keep[i]].first), "%.2f") + "," + num(f.py(p[keep[i]].second), "%.2f");
  }
  o += "\"/>\n";
  if (keep.size() == 1)  // a one-point polyline draws nothing: mark the point
    o += "<circle cx=\"" + num(f.px(p[0].first), "%.2f") + "\" cy=\"" + num(f.py(p[0].second), "%.2f") +
         "\" r=\"3\" fill=\"" + s.color + "\"/>\n";
  return o;
}

std::string legend(double x, const char* color, const std::string& text) {
  return "<text class=\"legend\" x=\"" + num(x) + "\" y=\"" + num(T - 10) + "\" fill=\"" + color + "\">" +
         html_escape(text) + "</text>\n";
}

}  // namespace

bool metric_value(const nlohmann::json& rec, const char* key, double& out) {
  auto it = rec.find(key);
  if (it == rec.end() || !it->is_number()) return false;
  out = it->get<double>();
  return std::isfinite(out);
}

std::string chart_svg(const ChartSpec& spec, const std::vector<nlohmann::json>& recs) {
  std::vector<std::pair<const ChartSeries*, Points>> data;
  Frame f{INFINITY, -INFINITY, INFINITY, -INFINITY};
  for (const ChartSeries& s : spec.series) {
    Points p = series_of(recs, s.key);
    if (p.empty()) continue;
    for (auto& [x, y] : p)
      f.x0 = std::min(f.x0, x), f.x1 = std::max(f.x1, x), f.y0 = std::min(f.y0, y), f.y1 = std::max(f.y1, y);
    data.emplace_back(&s, std::move(p));
  }
  std::string o = "<section class=\"chart-box\"><h3>" + html_escape(spec.title) + "</h3>\n";
  if (data.empty())
    return o + "<p class=\"nodata\" data-metric=\"" + html_escape(spec.metric) + "\">no data</p></section>\n";
  for (const ChartLine& l : spec.lines)
    if (std::isfinite(l.value)) f.y0 = std::min(f.y0, l.value), f.y1 = std::max(f.y1, l.value);
  widen(f.x0, f.x1);
  widen(f.y0, f.y1);
  const double pad = (f.y1 - f.y0) * 0.05;
  f.y0 -= pad, f.y1 += pad;
  o += "<svg class=\"chart\" data-metric=\"" + html_escape(spec.metric) +
       "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 " + num(W) + " " + num(H) +
       "\" preserveAspectRatio=\"xMidYMid meet\">\n" + axes(f);
  double lx = L + 4;
  for (auto& [s, p] : data) {
    o += polyline(*s, p, f) + legend(lx, s->color, std::string(s->label) + " (last " + num(p.back().second) + ")");
    lx += 190;
  }
  for (const ChartLine& l : spec.lines) {
    if (!std::isfinite(l.value)) continue;
    const std::string y = num(f.py(l.value), "%.2f");
    o += "<line class=\"baseline\" data-series=\"" + html_escape(l.name) + "\" x1=\"" + num(L) + "\" x2=\"" +
         num(W - R) + "\" y1=\"" + y + "\" y2=\"" + y + "\" stroke=\"" + l.color + "\" stroke-dasharray=\"6 4\"/>\n";
    o += "<text class=\"baseline-label\" x=\"" + num(W - R - 4) + "\" y=\"" + y + "\" dy=\"-4\" text-anchor=\"end\" " +
         "fill=\"" + l.color + "\">" + html_escape(l.label + " " + num(l.value)) + "</text>\n";
  }
  return o + "</svg></section>\n";
}

}  // namespace seek
