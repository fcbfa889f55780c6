// metrics.jsonl: one JSON object per line, flushed as written, NaN as null, a resume cuts the curve back to the
// resumed step, and the reader skips a line torn by a crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "train/metrics.h"

using namespace seek;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("seek-metrics-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d.string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void append_raw(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

std::vector<int64_t> steps_of(const std::vector<json>& recs) {
  std::vector<int64_t> s;
  for (const auto& r : recs) s.push_back(r["step"].get<int64_t>());
  return s;
}

}  // namespace

TEST(Metrics, WritesOneFlushedLinePerRecord) {
  const std::string dir = fresh_dir("lines");
  MetricsWriter w(dir);  // creates the folder
  w.write({{"step", 1}, {"loss", 5.5}, {"lr", 1e-4}});
  // Readable while the writer is still open: each line is flushed.
  EXPECT_EQ(slurp(dir + "/metrics.jsonl"), "{\"loss\":5.5,\"lr\":0.0001,\"step\":1}\n");
  w.write({{"step", 2}, {"loss", NAN}, {"grad_norm", INFINITY}, {"sample", "a\nb \"quoted\""}});
  const std::vector<json> r = read_metrics(dir);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["loss"].get<double>(), 5.5);
  EXPECT_TRUE(r[1]["loss"].is_null());  // NaN and inf are written as null: the line stays valid JSON
  EXPECT_TRUE(r[1]["grad_norm"].is_null());
  EXPECT_EQ(r[1]["sample"], "a\nb \"quoted\"");
  const std::string text = slurp(w.path());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_THROW(w.write(json::array({1, 2})), Error);
}

TEST(Metrics, NewRunStartsEmptyResumeKeepsTheCurveUpToItsStep) {
  const std::string dir = fresh_dir("resume");
  {
    MetricsWriter w(dir);
    for (int s = 1; s <= 10; s++) w.write({{"step", s}, {"loss", 10.0 / s}});
  }
  append_raw(dir + "/metrics.jsonl", "{\"step\": 11, \"lo");  // a crash mid-line
  EXPECT_EQ(steps_of(read_metrics(dir)), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  {
    MetricsWriter w(dir, 6);  // resumed from the step-6 checkpoint: steps 7..10 and the torn line go
    EXPECT_EQ(steps_of(read_metrics(dir)), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
    w.write({{"step", 7}, {"loss", 1.0}});
  }
  const std::vector<json> r = read_metrics(dir);
  EXPECT_EQ(steps_of(r), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(r.back()["loss"].get<double>(), 1.0);
  EXPECT_FALSE(fs::exists(dir + "/metrics.jsonl.tmp"));
  {
    MetricsWriter w(dir);  // a new run in the same folder
  }
  EXPECT_TRUE(read_metrics(dir).empty());
  {
    MetricsWriter w(fresh_dir("resume-missing"), 5);  // resuming with no file yet is a fresh file
    EXPECT_TRUE(read_metrics(fs::path(w.path()).parent_path().string()).empty());
  }
}

TEST(Metrics, ReaderSkipsTornLastLineRejectsCorruptMiddle) {
  const std::string dir = fresh_dir("reader");
  EXPECT_TRUE(read_metrics(dir).empty());  // no folder, no file: no records
  fs::create_directories(dir);
  const std::string p = dir + "/metrics.jsonl";
  append_raw(p, "{\"step\":1}\n\n{\"step\":2}\n{\"step\":3,\"loss\":[1,");
  EXPECT_EQ(steps_of(read_metrics(dir)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(steps_of(read_metrics(p)), (std::vector<int64_t>{1, 2}));  // the file itself also works
  append_raw(p, "\n{\"step\":4}\n");
  try {
    read_metrics(dir);
    ADD_FAILURE() << "a corrupt line before the last was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.jsonl:4"), std::string::npos) << e.what();
  }
}
