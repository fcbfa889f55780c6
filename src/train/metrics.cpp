#include "train/metrics.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace seek {

namespace fs = std::filesystem;

namespace {

std::string metrics_path(const std::string& out_dir_or_file) {
  if (fs::is_directory(out_dir_or_file)) return (fs::path(out_dir_or_file) / "metrics.jsonl").string();
  return out_dir_or_file;
}

// The lines of `path` split on '\n'.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read metrics (" + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<std::string> lines;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    lines.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return lines;
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r") == std::string::npos; }

}  // namespace

std::vector<nlohmann::json> read_metrics(const std::string& out_dir_or_file) {
  const std::string path = metrics_path(out_dir_or_file);
  if (!fs::exists(path)) return {};
  const std::vector<std::string> lines = read_lines(path);
  std::vector<nlohmann::json> records;
  for (size_t i = 0; i < lines.size(); i++) {
    if (blank(lines[i])) continue;
    nlohmann::json j = nlohmann::json::parse(lines[i], nullptr, /*allow_exceptions=*/false);
    const bool last = i + 1 == lines.size();
    if (j.is_discarded() && last) break;  // torn by a crash mid-write
    if (j.is_discarded() || !j.is_object())
      throw Error(path + ":" + std::to_string(i + 1) + ": not a JSON object (metrics.jsonl holds one per line)");
    records.push_back(std::move(j));
  }
  return records;
}

MetricsWriter::MetricsWriter(const std::string& out_dir, std::optional<int64_t> resume_step) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  check(!ec && fs::is_directory(out_dir),
        out_dir + ": cannot create the output folder" + (ec ? " (" + ec.message() + ")" : ""));
  path_ = (fs::path(out_dir) / "metrics.jsonl").string();
  if (resume_step && fs::exists(path_)) {
    // Keep the resumed run's curve up to its checkpoint; rewrite atomically so a crash here loses nothing.
    const std::vector<std::string> lines = read_lines(path_);
    std::string kept;
    for (size_t i = 0; i < lines.size(); i++) {
      if (blank(lines[i])) continue;
      nlohmann::json j = nlohmann::json::parse(lines[i], nullptr, false);
      if (j.is_discarded() || !j.is_object()) continue;  // a torn line (at a crash point) carries nothing usable
      if (j.contains("step") && j["step"].is_number() && j["step"].get<double>() > double(*resume_step)) continue;
      kept += lines[i];
      kept += '\n';
    }
    const std::string tmp = path_ + ".tmp";
    std::FILE* t = std::fopen(tmp.c_str(), "wb");
    check(t != nullptr, tmp + ": cannot write (" + std::strerror(errno) + ")");
    const bool ok = std::fwrite(kept.data(), 1, kept.size(), t) == kept.size();
    const bool closed = std::fclose(t) == 0;
    check(ok && closed, tmp + ": write failed");
    fs::rename(tmp, path_, ec);
    check(!ec, path_ + ": cannot replace (" + ec.message() + ")");
    f_ = std::fopen(path_.c_str(), "ab");
  } else {
    f_ = std::fopen(path_.c_str(), "wb");
  }
  check(f_ != nullptr, path_ + ": cannot open for writing (" + std::strerror(errno) + ")");
}

MetricsWriter::~MetricsWriter() {
  if (f_) std::fclose(f_);
}

void MetricsWriter::write(const nlohmann::json& record) {
  check(record.is_object(), path_ + ": a metrics record must be a JSON object, got " + record.type_name());
  // dump() writes NaN and inf as null, so every line stays valid JSON; "replace" keeps bad UTF-8 (a torn sample
  // text) from throwing.
  std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  check(std::fwrite(line.data(), 1, line.size(), f_) == line.size() && std::fflush(f_) == 0,
        path_ + ": write failed (" + std::strerror(errno) + ")");
}

}  // namespace seek
