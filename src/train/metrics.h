// Training metrics as JSON lines: OUT/metrics.jsonl holds one object per logged step ({"step":..,"loss":..,...}),
// flushed line by line so a crash loses at most the line being written, and readable while the run goes on.
#pragma once
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace seek {

class MetricsWriter {
 public:
  // Opens OUT/metrics.jsonl (creating OUT if needed). Without resume_step the file starts empty (a new run).
  // With resume_step, the lines of the run being resumed are kept up to and including that step; later lines
  // (logged after the checkpoint the run resumes from) and a torn last line are dropped, so the file stays one
  // clean curve. The rewrite is atomic (tmp + rename). Throws Error naming the file.
  explicit MetricsWriter(const std::string& out_dir, std::optional<int64_t> resume_step = std::nullopt);
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  // Appends `record` (a JSON object) as one line and flushes. NaN/inf numbers are written as null.
  void write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

// The records of OUT/metrics.jsonl (or of a .jsonl file given directly), in file order. A missing file is no
// records. A last line that does not parse (torn by a crash mid-write) is skipped; an unparsable line before it,
// or a line that is not a JSON object, is an Error naming the file and line.
std::vector<nlohmann::json> read_metrics(const std::string& out_dir_or_file);

}  // namespace seek
