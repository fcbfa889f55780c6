#include "train/report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "train/metrics.h"

namespace seek {

namespace fs = std::filesystem;

namespace {

using Points = std::vector<std::pair<double, double>>;  // (step, value)

std::string esc(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

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

// A finite number out of a metrics field, or nothing (missing, null, a string, NaN, inf).
bool field_value(const nlohmann::json& rec, const char* key, double& out) {
  auto it = rec.find(key);
  if (it == rec.end() || !it->is_number()) return false;
  out = it->get<double>();
  return std::isfinite(out);
}

Points series_of(const std::vector<nlohmann::json>& recs, const char* key) {
  Points p;
  double step, v;
  for (const auto& r : recs)
    if (field_value(r, "step", step) && field_value(r, key, v)) p.emplace_back(step, v);
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

struct SeriesSpec {
  const char* key;
  const char* color;
};

struct ChartSpec {
  const char* metric;  // data-metric attribute, also the main series
  const char* title;
  std::vector<SeriesSpec> series;
};

// One chart: plot box, axes with ticks and labels, a polyline per series that has points, a legend.
std::string chart_svg(const ChartSpec& spec, const std::vector<nlohmann::json>& recs) {
  constexpr double W = 640, H = 260, L = 72, R = 16, T = 30, B = 40;  // size and margins, px
  std::vector<std::pair<const SeriesSpec*, Points>> data;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const SeriesSpec& s : spec.series) {
    Points p = series_of(recs, s.key);
    if (p.empty()) continue;
    for (auto& [x, y] : p) {
      x0 = std::min(x0, x), x1 = std::max(x1, x);
      y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
    data.emplace_back(&s, std::move(p));
  }
  std::string o = "<section class=\"chart-box\"><h3>" + esc(spec.title) + "</h3>\n";
  if (data.empty()) return o + "<p class=\"nodata\" data-metric=\"" + esc(spec.metric) + "\">no data</p></section>\n";
  widen(x0, x1);
  widen(y0, y1);
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return H - B - (y - y0) / (y1 - y0) * (H - T - B); };  // larger value: higher up
  o += "<svg class=\"chart\" data-metric=\"" + esc(spec.metric) + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
       num(W) + "\" height=\"" + num(H) + "\" viewBox=\"0 0 " + num(W) + " " + num(H) + "\">\n";
  o += "<rect x=\"" + num(L) + "\" y=\"" + num(T) + "\" width=\"" + num(W - L - R) + "\" height=\"" + num(H - T - B) +
       "\" class=\"plot\"/>\n";
  for (double v : nice_ticks(y0, y1, 5)) {
    const std::string y = num(py(v), "%.2f");
    o += "<line class=\"grid\" x1=\"" + num(L) + "\" x2=\"" + num(W - R) + "\" y1=\"" + y + "\" y2=\"" + y + "\"/>";
    o += "<text class=\"tick ytick\" x=\"" + num(L - 6) + "\" y=\"" + y + "\" text-anchor=\"end\" dy=\"4\">" +
         esc(tick_label(v)) + "</text>\n";
  }
  for (double v : nice_ticks(x0, x1, 6)) {
    const std::string x = num(px(v), "%.2f");
    o += "<line class=\"tickmark\" x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + num(H - B) + "\" y2=\"" + num(H - B + 5) +
         "\"/>";
    o += "<text class=\"tick xtick\" x=\"" + x + "\" y=\"" + num(H - B + 18) + "\" text-anchor=\"middle\">" +
         esc(tick_label(v)) + "</text>\n";
  }
  o += "<text class=\"axis-label\" x=\"" + num(L + (W - L - R) / 2) + "\" y=\"" + num(H - 4) +
       "\" text-anchor=\"middle\">step</text>\n";
  double lx = L + 4;
  for (auto& [s, p] : data) {
    const std::vector<size_t> keep = report_downsample(p, kReportMaxPoints);
    o += "<polyline data-series=\"" + esc(s->key) + "\" fill=\"none\" stroke=\"" + s->color +
         "\" stroke-width=\"1.5\" points=\"";
    for (size_t i = 0; i < keep.size(); i++) {
      if (i) o += ' ';
      o += num(px(p[keep[i]].first), "%.2f") + "," + num(py(p[keep[i]].second), "%.2f");
    }
    o += "\"/>\n";
    if (keep.size() == 1)  // a one-point polyline draws nothing: mark the point
      o += "<circle cx=\"" + num(px(p[0].first), "%.2f") + "\" cy=\"" + num(py(p[0].second), "%.2f") +
           "\" r=\"3\" fill=\"" + s->color + "\"/>\n";
    o += "<text class=\"legend\" x=\"" + num(lx) + "\" y=\"" + num(T - 8) + "\" fill=\"" + s->color + "\">" +
         esc(s->key) + " (last " + esc(num(p.back().second)) + ")</text>\n";
    lx += 170;
  }
  return o + "</svg></section>\n";
}

// Rows "a.b.c" -> value for every leaf of `j`.
void flatten(const nlohmann::json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& rows) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), rows);
    return;
  }
  std::string v;
  if (j.is_string())
    v = j.get<std::string>();
  else if (j.is_number_integer() || j.is_number_unsigned())
    v = j.dump();
  else if (j.is_number_float())
    v = num(j.get<double>(), "%.6g");
  else
    v = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  rows.emplace_back(prefix.empty() ? "value" : prefix, v);
}

std::string sample_text(const nlohmann::json& s) {
  if (s.is_string()) return s.get<std::string>();
  if (s.is_array()) {
    std::string o;
    for (const auto& e : s) o += (o.empty() ? "" : "\n----\n") + sample_text(e);
    return o;
  }
  return s.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

const char* kStyle = R"(body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:20px}h2{font-size:17px;margin-top:28px}h3{font-size:14px;margin:8px 0 2px}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart-box{border:1px solid #ddd;padding:6px 10px}
.plot{fill:#fcfcfc;stroke:#888}.grid{stroke:#e4e4e4}.tickmark{stroke:#888}.tick,.axis-label{font-size:11px;fill:#444}
.legend{font-size:11px}.nodata,.empty{color:#888}
table{border-collapse:collapse;font-size:13px}td{border:1px solid #ddd;padding:3px 8px}td:first-child{color:#555}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;max-width:1200px})";

}  // namespace

std::vector<size_t> report_downsample(const Points& pts, size_t max_points) {
  const size_t n = pts.size();
  std::vector<size_t> keep;
  if (n <= std::max<size_t>(max_points, 2)) {
    for (size_t i = 0; i < n; i++) keep.push_back(i);
    return keep;
  }
  const size_t runs = std::max<size_t>(max_points / 2, 1);
  keep.push_back(0);
  for (size_t b = 0; b < runs; b++) {
    const size_t lo = n * b / runs, hi = n * (b + 1) / runs;
    size_t imin = lo, imax = lo;
    for (size_t i = lo; i < hi; i++) {
      if (pts[i].second < pts[imin].second) imin = i;
      if (pts[i].second > pts[imax].second) imax = i;
    }
    for (size_t i : {std::min(imin, imax), std::max(imin, imax)})
      if (i > keep.back()) keep.push_back(i);
  }
  if (keep.back() != n - 1) keep.push_back(n - 1);
  return keep;
}

void write_report_html(const std::string& out_dir, const nlohmann::json& summary) {
  const std::vector<nlohmann::json> recs = read_metrics(out_dir);
  static const std::vector<ChartSpec> charts = {
      {"loss", "Loss", {{"loss", "#1f77b4"}, {"val_loss", "#d62728"}, {"mtp_loss", "#2ca02c"}}},
      {"lr", "Learning rate", {{"lr", "#9467bd"}}},
      {"grad_norm", "Gradient norm (before clipping)", {{"grad_norm", "#8c564b"}}},
      {"expert_load_max_over_mean", "Expert load: max / mean", {{"expert_load_max_over_mean", "#e377c2"}}},
      {"tokens_per_s", "Throughput (tokens/s)", {{"tokens_per_s", "#17becf"}}},
      {"mfu", "Model-FLOPs utilization", {{"mfu", "#bcbd22"}}},
  };
  std::string title = "seek training report";
  if (summary.is_object() && summary.contains("name") && summary["name"].is_string())
    title += ": " + summary["name"].get<std::string>();
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title) +
                  "</title>\n<style>" + kStyle + "</style></head>\n<body>\n<h1>" + esc(title) + "</h1>\n";

  double first = NAN, last = NAN, s;
  for (const auto& r : recs)
    if (field_value(r, "step", s)) {
      if (std::isnan(first)) first = s;
      last = s;
    }
  h += "<h2>Curves</h2>\n";
  if (recs.empty()) {
    h += "<p class=\"empty\">No metrics recorded yet: metrics.jsonl is missing or empty.</p>\n";
  } else {
    h += "<p>" + std::to_string(recs.size()) + " records" +
         (std::isnan(first) ? std::string() : ", steps " + tick_label(first) + " to " + tick_label(last)) + ".</p>\n";
    h += "<div class=\"charts\">\n";
    for (const ChartSpec& c : charts) h += chart_svg(c, recs);
    h += "</div>\n";
  }

  h += "<h2>Run summary</h2>\n";
  std::vector<std::pair<std::string, std::string>> rows;
  if (!summary.is_null()) flatten(summary, "", rows);
  if (rows.empty()) {
    h += "<p class=\"empty\">No summary.</p>\n";
  } else {
    h += "<table class=\"summary\">\n";
    for (auto& [k, v] : rows) h += "<tr><td>" + esc(k) + "</td><td>" + esc(v) + "</td></tr>\n";
    h += "</table>\n";
  }

  // The latest generations, newest first.
  h += "<h2>Latest samples</h2>\n";
  int shown = 0;
  for (auto it = recs.rbegin(); it != recs.rend() && shown < 3; ++it) {
    auto f = it->find("sample");
    if (f == it->end() || f->is_null()) continue;
    double st;
    h += "<h3>step " + (field_value(*it, "step", st) ? tick_label(st) : std::string("?")) +
         "</h3>\n<pre class=\"sample\">" + esc(sample_text(*f)) + "</pre>\n";
    shown++;
  }
  if (shown == 0) h += "<p class=\"empty\">No samples recorded.</p>\n";
  h += "</body></html>\n";

  const std::string path = (fs::path(out_dir) / "report.html").string(), tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  check(f != nullptr, tmp + ": cannot write the report (" + std::strerror(errno) + ")");
  const bool ok = std::fwrite(h.data(), 1, h.size(), f) == h.size();
  const bool closed = std::fclose(f) == 0;
  check(ok && closed, tmp + ": write failed");
  std::error_code ec;
  fs::rename(tmp, path, ec);
  check(!ec, path + ": cannot replace (" + ec.message() + ")");
}

}  // namespace seek
