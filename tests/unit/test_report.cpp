// report.html: each chart is well-formed SVG with one polyline per series holding one point per finite value,
// mapped monotonically (later step: further right; larger value: higher up); long series are downsampled with
// their extremes kept; one point, missing fields, NaN and no metrics at all still give a page.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "train/metrics.h"
#include "train/report.h"

using namespace seek;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("seek-report-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// metric -> the text of its <svg>...</svg>.
std::map<std::string, std::string> charts(const std::string& html) {
  std::map<std::string, std::string> out;
  std::regex open(R"re(<svg class="chart" data-metric="([a-z_]+)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), open); it != std::sregex_iterator(); ++it) {
    const size_t start = size_t(it->position(0));
    const size_t end = html.find("</svg>", start);
    EXPECT_NE(end, std::string::npos);
    out[(*it)[1]] = html.substr(start, end + 6 - start);
  }
  return out;
}

// Tags open and close in order (self-closing tags excepted): enough XML to trust the structure.
bool balanced(const std::string& svg) {
  std::vector<std::string> stack;
  std::regex tag(R"(<(/?)([a-z]+)[^>]*?(/?)>)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::string closing = (*it)[1], name = (*it)[2], self = (*it)[3];
    if (!self.empty()) continue;
    if (closing.empty()) {
      stack.push_back(name);
    } else {
      if (stack.empty() || stack.back() != name) return false;
      stack.pop_back();
    }
  }
  return stack.empty();
}

using Pts = std::vector<std::pair<double, double>>;

// The points of the polyline for `series` in `svg`; fails the test when it is missing.
Pts polyline(const std::string& svg, const std::string& series) {
  std::smatch m;
  std::regex re("<polyline data-series=\"" + series + "\"[^>]* points=\"([^\"]*)\"");
  if (!std::regex_search(svg, m, re)) {
    ADD_FAILURE() << "no polyline for " << series;
    return {};
  }
  Pts p;
  std::istringstream in(m[1].str());
  std::string xy;
  while (in >> xy) {
    const size_t c = xy.find(',');
    p.emplace_back(std::stod(xy.substr(0, c)), std::stod(xy.substr(c + 1)));
  }
  return p;
}

// Drawn points against their (step, value): x grows with step, SVG y shrinks as the value grows.
void expect_monotone(const Pts& drawn, const Pts& data) {
  ASSERT_EQ(drawn.size(), data.size());
  for (size_t i = 0; i < data.size(); i++)
    for (size_t j = 0; j < data.size(); j++) {
      if (data[i].first < data[j].first) {
        EXPECT_LT(drawn[i].first, drawn[j].first);
      }
      if (data[i].second < data[j].second) {
        EXPECT_GT(drawn[i].second, drawn[j].second) << i << " " << j;
      }
      if (data[i].second == data[j].second) {
        EXPECT_EQ(drawn[i].second, drawn[j].second);
      }
    }
}

std::vector<double> tick_values(const std::string& svg, const char* cls) {
  std::vector<double> v;
  std::regex re(std::string("class=\"tick ") + cls + "\"[^>]*>([^<]*)<");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    v.push_back(std::stod((*it)[1]));
  return v;
}

}  // namespace

TEST(Report, ChartsHaveOnePointPerFiniteValueMappedMonotonically) {
  const std::string dir = fresh_dir("basic");
  {
    MetricsWriter w(dir);
    w.write({{"step", 10},
             {"loss", 6.0},
             {"lr", 1e-4},
             {"grad_norm", 3.0},
             {"tokens_per_s", 900.0},
             {"expert_load_max_over_mean", 2.5},
             {"mfu", 0.2}});
    w.write({{"step", 20},
             {"loss", 4.5},
             {"lr", 2e-4},
             {"tokens_per_s", NAN},
             {"val_loss", 4.9},
             {"expert_load_max_over_mean", 1.8},
             {"sample", "<b>first</b> & more"}});
    w.write({{"step", 30},
             {"loss", 5.0},
             {"lr", 2e-4},
             {"grad_norm", 1.0},
             {"tokens_per_s", 1100.0},
             {"expert_load_max_over_mean", 1.3},
             {"mfu", "n/a"}});
    w.write({{"step", 40},
             {"loss", 3.25},
             {"lr", 1.5e-4},
             {"grad_norm", 0.5},
             {"tokens_per_s", 1000.0},
             {"val_loss", 3.5},
             {"sample", "latest sample"}});
  }
  const json summary = {{"model", {{"layers", 4}, {"hidden_size", 256}}}, {"tokens", 1.5e6}, {"note", "<x>"}};
  write_report_html(dir, summary);
  EXPECT_FALSE(fs::exists(dir + "/report.html.tmp"));
  const std::string html = slurp(dir + "/report.html");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // nothing fetched
  const auto c = charts(html);
  for (const char* m : {"loss", "lr", "grad_norm", "expert_load_max_over_mean", "tokens_per_s", "mfu"}) {
    ASSERT_TRUE(c.count(m)) << m;
    EXPECT_TRUE(balanced(c.at(m))) << m;
    EXPECT_GE(tick_values(c.at(m), "ytick").size(), 2u) << m;
    EXPECT_GE(tick_values(c.at(m), "xtick").size(), 2u) << m;
  }
  expect_monotone(polyline(c.at("loss"), "loss"), {{10, 6.0}, {20, 4.5}, {30, 5.0}, {40, 3.25}});
  expect_monotone(polyline(c.at("loss"), "val_loss"), {{20, 4.9}, {40, 3.5}});
  expect_monotone(polyline(c.at("lr"), "lr"), {{10, 1e-4}, {20, 2e-4}, {30, 2e-4}, {40, 1.5e-4}});
  expect_monotone(polyline(c.at("grad_norm"), "grad_norm"), {{10, 3.0}, {30, 1.0}, {40, 0.5}});  // step 20: missing
  expect_monotone(polyline(c.at("tokens_per_s"), "tokens_per_s"), {{10, 900}, {30, 1100}, {40, 1000}});  // NaN skipped
  EXPECT_EQ(polyline(c.at("mfu"), "mfu").size(), 1u);  // a string value is not a number
  EXPECT_NE(c.at("mfu").find("<circle"), std::string::npos);
  // The overlaid series share the chart's axes: val_loss 4.9 at step 20 sits between loss 4.5 and 5.0 in height.
  const Pts loss = polyline(c.at("loss"), "loss"), val = polyline(c.at("loss"), "val_loss");
  EXPECT_EQ(val[0].first, loss[1].first);
  EXPECT_LT(val[0].second, loss[1].second);
  EXPECT_GT(val[0].second, loss[2].second);
  // Y ticks of the loss chart lie in the plotted range and are shown in increasing order bottom to top.
  for (double t : tick_values(c.at("loss"), "ytick")) {
    EXPECT_GE(t, 3.25 - 0.2);
    EXPECT_LE(t, 6.0 + 0.2);
  }
  // Summary table (nested keys flattened, text escaped) and the newest sample first.
  EXPECT_NE(html.find("<td>Layers</td><td>4</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>Model hidden size</td><td>256</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>Note</td><td>&lt;x&gt;</td>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;first&lt;/b&gt; &amp; more"), std::string::npos);
  EXPECT_LT(html.find("latest sample"), html.find("&lt;b&gt;first"));
}

TEST(Report, OnePointAndEmpty) {
  const std::string one = fresh_dir("one");
  {
    MetricsWriter w(one);
    w.write({{"step", 0}, {"loss", 7.0}});
  }
  write_report_html(one, json::object());
  std::string html = slurp(one + "/report.html");
  auto c = charts(html);
  ASSERT_TRUE(c.count("loss"));
  EXPECT_EQ(polyline(c.at("loss"), "loss").size(), 1u);
  EXPECT_EQ(c.count("lr"), 0u);  // no values: a "no data" note instead of a chart
  EXPECT_NE(html.find("data-metric=\"lr\">no data"), std::string::npos);

  const std::string empty = fresh_dir("empty");
  write_report_html(empty, json{{"tokens", 0}});
  html = slurp(empty + "/report.html");
  EXPECT_NE(html.find("No metrics recorded yet"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<td>Tokens</td>"), std::string::npos);
  EXPECT_THROW(write_report_html(empty + "/no/such/dir", json::object()), Error);
}

TEST(Report, ThousandsOfPointsAreDownsampledKeepingExtremes) {
  const std::string dir = fresh_dir("many");
  const int n = 20000;
  {
    MetricsWriter w(dir);
    for (int s = 0; s < n; s++) {
      double loss = 10.0 * std::exp(-s / 5000.0) + 0.01 * std::sin(s);
      if (s == 12345) loss = 50.0;  // a spike
      if (s == 777) loss = -1.0;    // a dip
      w.write({{"step", s}, {"loss", loss}});
    }
  }
  write_report_html(dir, json::object());
  const auto c = charts(slurp(dir + "/report.html"));
  const Pts p = polyline(c.at("loss"), "loss");
  EXPECT_LE(p.size(), kReportMaxPoints + 2);
  EXPECT_GE(p.size(), kReportMaxPoints / 2);
  for (size_t i = 1; i < p.size(); i++) EXPECT_LT(p[i - 1].first, p[i].first);
  // The spike is the highest drawn point, the dip the lowest; first and last steps are drawn.
  double top = 1e9, bottom = -1e9;
  for (auto& [x, y] : p) top = std::min(top, y), bottom = std::max(bottom, y);
  // The plot area spans y = 30..220 px and the value range is padded by 5% of itself at each end.
  const double pad_px = 190.0 * 0.05 / 1.1;
  EXPECT_NEAR(top, 30.0 + pad_px, 0.01);
  EXPECT_NEAR(bottom, 220.0 - pad_px, 0.01);
  EXPECT_NEAR(p.front().first, 72.0, 0.01);
  EXPECT_NEAR(p.back().first, 640.0 - 16.0, 0.01);
}

TEST(Report, DownsampleRule) {
  Pts few = {{0, 1}, {1, 2}, {2, 3}};
  EXPECT_EQ(report_downsample(few, 10), (std::vector<size_t>{0, 1, 2}));
  Pts many;
  for (int i = 0; i < 100; i++) many.emplace_back(i, i % 10 == 3 ? 5.0 : 1.0);
  // 5 runs of 20 points: each keeps its lowest (first 1.0) and highest (first 5.0) point, plus the last point.
  const std::vector<size_t> k = report_downsample(many, 10);
  EXPECT_EQ(k, (std::vector<size_t>{0, 3, 20, 23, 40, 43, 60, 63, 80, 83, 99}));
}

// The page a user opens after a run: headline figures first, the loss chart with the unigram baseline, samples
// after their prompts, and a summary in units rather than raw keys and exponents.
TEST(Report, HeadlineBaselineSamplesAndReadableSummary) {
  const std::string dir = fresh_dir("headline");
  {
    MetricsWriter w(dir);
    w.write({{"step", 50}, {"loss", 5.0}, {"total_loss", 5.4}, {"val_loss", 5.1}});
    w.write({{"step", 100},
             {"loss", 3.5},
             {"total_loss", 3.9},
             {"val_loss", 3.0},
             {"sample", " and more"},
             {"sample_prompt", "ROMEO:"}});
  }
  const json summary = {{"model", {{"architecture", "deepseek_v3"}, {"params_total", 4620000}, {"layers", 4}}},
                        {"data", "/runs/shakespeare-data"},
                        {"steps", 100},
                        {"max_steps", 150},
                        {"tokens_seen", 204800},
                        {"final_val_loss", 3.0},
                        {"unigram_val_loss", 4.5},
                        {"flops_per_token", 1.2684e11},
                        {"train_seconds", 125.0},
                        {"device", "cpu (2 threads)"},
                        {"price_per_hour", 2.0},
                        {"cost_usd", 125.0 / 3600 * 2}};
  write_report_html(dir, summary);
  const std::string html = slurp(dir + "/report.html");
  const size_t head = html.find("<dl class=\"headline\">");
  ASSERT_NE(head, std::string::npos);
  EXPECT_LT(head, html.find("<svg"));  // the headline comes first
  auto item = [&](const std::string& key) {
    const size_t at = html.find("data-key=\"" + key + "\"");
    EXPECT_NE(at, std::string::npos) << key;
    const size_t dd = html.find("<dd>", at);
    return html.substr(dd + 4, html.find("</dd>", dd) - dd - 4);
  };
  EXPECT_EQ(item("model"), "deepseek_v3, 4.62 M parameters");
  EXPECT_EQ(item("data"), "/runs/shakespeare-data");
  EXPECT_EQ(item("steps"), "100 of 150 (204.8 k tokens)");
  EXPECT_EQ(item("val_loss"), "3.000 (1.500 below the unigram baseline 4.500)");
  EXPECT_EQ(item("time"), "2 min 5 s, cpu (2 threads)");
  EXPECT_EQ(item("cost"), "$0.06944 at $2.00 per device-hour");

  // The loss chart: train and validation next-token losses, and the baseline as a line at 4.5.
  const auto c = charts(html);
  ASSERT_TRUE(c.count("loss") && c.count("total_loss"));
  EXPECT_NE(c.at("loss").find("width=\"100%\""), std::string::npos);
  const Pts loss = polyline(c.at("loss"), "loss"), val = polyline(c.at("loss"), "val_loss");
  std::smatch m;
  const std::string& svg = c.at("loss");
  ASSERT_TRUE(
      std::regex_search(svg, m, std::regex("<line class=\"baseline\" data-series=\"unigram\"[^>]* y1=\"([0-9.]+)\"")));
  const double base_y = std::stod(m[1]);
  EXPECT_LT(base_y, loss[1].second);  // above the last training loss (3.5: a larger SVG y)
  EXPECT_LT(base_y, val[1].second);
  // On the same scale: 4.5 lies between 5.0 (step 50) and 3.5 (step 100) of the train curve, proportionally.
  EXPECT_NEAR((base_y - loss[0].second) / (loss[1].second - loss[0].second), (4.5 - 5.0) / (3.5 - 5.0), 1e-3);
  EXPECT_EQ(val.size(), 2u);
  EXPECT_EQ(polyline(c.at("total_loss"), "total_loss").size(), 2u);

  // The sample after its prompt.
  EXPECT_NE(html.find("<span class=\"prompt\">ROMEO:</span> and more"), std::string::npos);
  // The summary in words and units.
  EXPECT_NE(html.find("<td>Training compute per token</td><td>126.8 GFLOP</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>Training time</td><td>2 min 5 s</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>Parameters</td><td>4.62 M</td>"), std::string::npos);
  const std::string table = html.substr(html.find("<table"));
  EXPECT_EQ(table.find("e+"), std::string::npos);
  EXPECT_EQ(table.find("flops_per_token"), std::string::npos);
}
