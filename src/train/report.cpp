#include "train/report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "formats/escape.h"
#include "train/metrics.h"
#include "train/report_chart.h"

namespace seek {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// 4 significant digits with an SI prefix: 1.268e11 FLOP -> "126.8 GFLOP", 0.00042 -> "0.00042".
std::string si(double v, const std::string& unit = "") {
  if (!std::isfinite(v)) return "n/a";
  static const char* prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  int p = 0;
  double a = std::fabs(v);
  while (a >= 1000 && p < 6) a /= 1000, v /= 1000, p++;
  std::string s = a >= 1e-3 || a == 0 ? fmt(a >= 100 ? "%.1f" : "%.4g", v) : fmt("%.2e", v);
  const std::string u = std::string(prefixes[p]) + unit;
  return u.empty() ? s : s + " " + u;
}

std::string duration(double seconds) {
  if (!std::isfinite(seconds)) return "n/a";
  if (seconds < 60) return fmt("%.1f s", seconds);
  const long long s = (long long)std::llround(seconds);
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s / 60 % 60) + " min";
}

double number_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

std::string string_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// How each summary key is shown: a label and its value with its unit.
struct Row {
  const char* key;  // dotted path into the summary
  const char* label;
  std::string (*show)(double);
};

const std::vector<Row>& known_rows() {
  static const std::vector<Row> rows = {
      {"model.params_total", "Parameters", [](double v) { return si(v); }},
      {"model.params_active", "Active parameters per token", [](double v) { return si(v); }},
      {"model.layers", "Layers", [](double v) { return fmt("%.0f", v); }},
      {"model.hidden", "Hidden size", [](double v) { return fmt("%.0f", v); }},
      {"model.routed_experts", "Routed experts", [](double v) { return fmt("%.0f", v); }},
      {"model.experts_per_token", "Experts per token", [](double v) { return fmt("%.0f", v); }},
      {"model.mtp_depth", "MTP modules", [](double v) { return fmt("%.0f", v); }},
      {"model.vocab", "Vocabulary", [](double v) { return fmt("%.0f tokens", v); }},
      {"steps", "Steps done", [](double v) { return fmt("%.0f", v); }},
      {"max_steps", "Steps planned", [](double v) { return fmt("%.0f", v); }},
      {"tokens_seen", "Tokens trained on", [](double v) { return si(v) + " tokens"; }},
      {"seq_len", "Sequence length", [](double v) { return fmt("%.0f tokens", v); }},
      {"batch_tokens", "Tokens per step", [](double v) { return fmt("%.0f", v); }},
      {"final_loss", "Final next-token loss (train)", [](double v) { return fmt("%.4f nats/token", v); }},
      {"final_val_loss", "Final validation loss", [](double v) { return fmt("%.4f nats/token", v); }},
      {"unigram_val_loss", "Unigram baseline (validation)", [](double v) { return fmt("%.4f nats/token", v); }},
      {"final_total_loss", "Final training objective (with MTP and balance terms)",
       [](double v) { return fmt("%.4f", v); }},
      {"expert_load_max_over_mean", "Expert load, busiest / mean", [](double v) { return fmt("%.2f", v); }},
      {"flops_per_token", "Training compute per token", [](double v) { return si(v, "FLOP"); }},
      {"train_seconds", "Training time", [](double v) { return duration(v); }},
      {"achieved_flops_per_s", "Achieved", [](double v) { return si(v, "FLOP/s"); }},
      {"peak_flops_per_s", "Peak (measured)", [](double v) { return si(v, "FLOP/s"); }},
      {"utilization", "Model-FLOPs utilization", [](double v) { return fmt("%.1f %%", 100 * v); }},
      {"device_hours", "Device-hours", [](double v) { return fmt("%.4g h", v); }},
      {"price_per_hour", "Price per device-hour", [](double v) { return fmt("$%.2f", v); }},
      {"cost_usd", "Cost", [](double v) { return fmt("$%.4g", v); }},
  };
  return rows;
}

const json* at_path(const json& j, const std::string& path) {
  const json* cur = &j;
  size_t i = 0;
  while (cur->is_object()) {
    const size_t dot = path.find('.', i);
    auto it = cur->find(path.substr(i, dot == std::string::npos ? std::string::npos : dot - i));
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string::npos) return cur;
    i = dot + 1;
  }
  return nullptr;
}

// "batch_tokens" -> "Batch tokens", "model.layers" -> "Model layers"
std::string readable_key(std::string k) {
  for (char& c : k)
    if (c == '_' || c == '.') c = ' ';
  if (!k.empty()) k[0] = char(std::toupper(static_cast<unsigned char>(k[0])));
  return k;
}

// Leaves of `j` not shown by a known row, as (label, text).
void other_rows(const json& j, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  static const std::vector<std::string> skip = {"last_sample", "stopped_early"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    const auto& rows = known_rows();
    if (std::any_of(rows.begin(), rows.end(), [&](const Row& r) { return key == r.key; })) continue;
    const json& v = it.value();
    if (v.is_object() && !v.empty()) {
      other_rows(v, key, out);
    } else if (v.is_string()) {
      out.emplace_back(readable_key(key), v.get<std::string>());
    } else if (v.is_number()) {
      out.emplace_back(readable_key(key), v.is_number_float() ? si(v.get<double>()) : v.dump());
    } else {
      out.emplace_back(readable_key(key), v.is_null() ? "n/a" : v.dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
}

std::string summary_table(const json& summary) {
  std::vector<std::pair<std::string, std::string>> rows;
  if (summary.is_object()) {
    if (const json* a = at_path(summary, "model.architecture"); a && a->is_string())
      rows.emplace_back("Architecture", a->get<std::string>());
    for (const Row& r : known_rows()) {
      const json* v = at_path(summary, r.key);
      if (v) rows.emplace_back(r.label, v->is_number() ? r.show(v->get<double>()) : "n/a");
    }
    json rest = summary;
    if (rest.contains("model") && rest["model"].is_object()) rest["model"].erase("architecture");
    other_rows(rest, "", rows);
  }
  if (rows.empty()) return "<p class=\"empty\">No summary.</p>\n";
  std::string h = "<table class=\"summary\">\n";
  for (auto& [k, v] : rows) h += "<tr><td>" + html_escape(k) + "</td><td>" + html_escape(v) + "</td></tr>\n";
  return h + "</table>\n";
}

// The figures a reader wants first: what was trained on what, how far, how good against the baseline, how long,
// at what cost.
std::string headline(const json& s, const std::vector<json>& recs) {
  if (!s.is_object() || s.empty()) return "";
  const json m = s.value("model", json::object());
  std::string model = string_at(m, "architecture");
  if (std::isfinite(number_at(m, "params_total"))) model += ", " + si(number_at(m, "params_total")) + " parameters";
  if (std::isfinite(number_at(m, "params_active"))) model += " (" + si(number_at(m, "params_active")) + " active)";
  const double steps = number_at(s, "steps"), max_steps = number_at(s, "max_steps");
  std::string progress = std::isfinite(steps) ? fmt("%.0f", steps) : "n/a";
  if (std::isfinite(max_steps)) progress += " of " + fmt("%.0f", max_steps);
  if (std::isfinite(number_at(s, "tokens_seen"))) progress += " (" + si(number_at(s, "tokens_seen")) + " tokens)";
  double val = number_at(s, "final_val_loss"), v;
  if (!std::isfinite(val))
    for (const json& r : recs)
      if (metric_value(r, "val_loss", v)) val = v;
  const double uni = number_at(s, "unigram_val_loss");
  std::string quality = std::isfinite(val) ? fmt("%.3f", val) : "not measured yet";
  if (std::isfinite(val) && std::isfinite(uni))
    quality += fmt(val <= uni ? " (%.3f below" : " (%.3f above", std::fabs(uni - val)) +
               fmt(" the unigram baseline %.3f)", uni);
  const double price = number_at(s, "price_per_hour");
  const std::string cost = std::isfinite(price) && price > 0
                               ? fmt("$%.4g", number_at(s, "cost_usd")) + fmt(" at $%.2f per device-hour", price)
                               : "not priced (--price-per-hour)";
  const std::vector<std::pair<const char*, std::string>> items = {
      {"model", model.empty() ? "n/a" : model},
      {"data", string_at(s, "data").empty() ? "n/a" : string_at(s, "data")},
      {"steps", progress},
      {"val_loss", quality},
      {"time", duration(number_at(s, "train_seconds")) + ", " + string_at(s, "device")},
      {"cost", cost}};
  static const char* labels[] = {"Model", "Data", "Steps", "Validation loss", "Time", "Cost"};
  std::string h = "<dl class=\"headline\">\n";
  for (size_t i = 0; i < items.size(); i++)
    h += "<div data-key=\"" + std::string(items[i].first) + "\"><dt>" + labels[i] + "</dt><dd>" +
         html_escape(items[i].second) + "</dd></div>\n";
  return h + "</dl>\n";
}

std::string sample_text(const json& s) {
  if (s.is_string()) return s.get<std::string>();
  return s.dump(2, ' ', false, json::error_handler_t::replace);
}

// The latest generations, newest first, each after the prompt it continues.
std::string samples(const std::vector<json>& recs) {
  std::string h;
  int shown = 0;
  for (auto it = recs.rbegin(); it != recs.rend() && shown < 3; ++it) {
    auto f = it->find("sample");
    if (f == it->end() || f->is_null()) continue;
    double st;
    h += "<h3>step " + (metric_value(*it, "step", st) ? fmt("%.0f", st) : std::string("?")) + "</h3>\n";
    h += "<pre class=\"sample\">";
    auto p = it->find("sample_prompt");
    if (p != it->end() && p->is_string())
      h += "<span class=\"prompt\">" + html_escape(p->get<std::string>()) + "</span>";
    h += html_escape(sample_text(*f)) + "</pre>\n";
    shown++;
  }
  return shown ? h : "<p class=\"empty\">No samples recorded.</p>\n";
}

const char* kStyle = R"(body{font-family:system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:17px;margin-top:28px}h3{font-size:14px;margin:8px 0 2px}
.headline{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:8px;margin:0}
.headline div{border:1px solid #ddd;padding:8px 12px}.headline dt{font-size:12px;color:#666}
.headline dd{margin:2px 0 0;font-size:15px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
.chart-box{border:1px solid #ddd;padding:6px 10px}.chart{width:100%;height:auto;display:block}
.plot{fill:#fcfcfc;stroke:#888}.grid{stroke:#e4e4e4}.tickmark{stroke:#888}.tick,.axis-label{font-size:11px;fill:#444}
.legend,.baseline-label{font-size:11px}.nodata,.empty{color:#888}
table{border-collapse:collapse;font-size:13px}td{border:1px solid #ddd;padding:3px 8px}td:first-child{color:#555}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}.prompt{color:#888})";

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  check(f != nullptr, tmp + ": cannot write the report (" + std::strerror(errno) + ")");
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  check(ok && closed, tmp + ": write failed");
  std::error_code ec;
  fs::rename(tmp, path, ec);
  check(!ec, path + ": cannot replace (" + ec.message() + ")");
}

}  // namespace

std::vector<size_t> report_downsample(const std::vector<std::pair<double, double>>& pts, size_t max_points) {
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

std::string report_headline(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string h = "<dl class=\"headline\">\n";
  for (const auto& [label, value] : items)
    h += "<div><dt>" + html_escape(label) + "</dt><dd>" + html_escape(value) + "</dd></div>\n";
  return h + "</dl>\n";
}

std::string report_page(const std::string& title, const std::string& headline_html,
                        const std::vector<ChartSpec>& charts, const std::vector<json>& recs, const json& summary) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                  "</title>\n<style>" + kStyle + "</style></head>\n<body>\n<h1>" + html_escape(title) + "</h1>\n";
  h += headline_html;
  h += "<h2>Curves</h2>\n";
  if (recs.empty()) {
    h += "<p class=\"empty\">No metrics recorded yet: metrics.jsonl is missing or empty.</p>\n";
  } else {
    h += "<div class=\"charts\">\n";
    for (const ChartSpec& c : charts) h += chart_svg(c, recs);
    h += "</div>\n";
  }
  h += "<h2>Samples</h2>\n" + samples(recs);
  h += "<h2>Run summary</h2>\n" + summary_table(summary);
  h += "</body></html>\n";
  return h;
}

void write_report_file(const std::string& out_dir, const std::string& html) {
  write_atomically((fs::path(out_dir) / "report.html").string(), html);
}

void write_report_html(const std::string& out_dir, const json& summary) {
  const std::vector<json> recs = read_metrics(out_dir);
  const double unigram = summary.is_object() ? number_at(summary, "unigram_val_loss") : NAN;
  const std::vector<ChartSpec> charts = {
      {"loss",
       "Next-token loss: training against validation",
       {{"loss", "train", "#1f77b4"}, {"val_loss", "validation", "#d62728"}},
       {{"unigram", "unigram baseline", unigram, "#7f7f7f"}}},
      {"total_loss",
       "Training objective (next-token + MTP + balance)",
       {{"total_loss", "total", "#17becf"}, {"mtp_loss", "MTP", "#2ca02c"}},
       {}},
      {"lr", "Learning rate", {{"lr", "lr", "#9467bd"}}, {}},
      {"grad_norm", "Gradient norm (before clipping)", {{"grad_norm", "norm", "#8c564b"}}, {}},
      {"expert_load_max_over_mean",
       "Expert load: busiest expert / mean",
       {{"expert_load_max_over_mean", "max / mean", "#e377c2"}},
       {}},
      {"tokens_per_s", "Throughput (tokens/s)", {{"tokens_per_s", "tokens/s", "#1f77b4"}}, {}},
      {"mfu", "Model-FLOPs utilization", {{"mfu", "mfu", "#bcbd22"}}, {}},
  };
  const std::string title = "seek training report: " + fs::absolute(out_dir).lexically_normal().string();
  const std::string h = report_page(title, headline(summary, recs), charts, recs, summary);
  write_atomically((fs::path(out_dir) / "report.html").string(), h);
}

}  // namespace seek
