// Dataset tasks: gsm8k (reference = the text after "####" in the answer) and jsonl (any {"question", "answer"}
// per line). Files are read when problems are first asked for (grading needs no data) and kept.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>

#include "core/error.h"
#include "rl/task_args.h"
#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

enum class Kind { gsm8k, jsonl };

// Every non-empty line is one problem; errors name file:line.
std::vector<Problem> load_problems(const std::string& path, Kind kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the task file");
  std::vector<Problem> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); n++) {
    const std::string where = path + ":" + std::to_string(n);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (size_t bad = utf8::first_invalid(line); bad != line.size())
      throw Error(where + ": not valid UTF-8 (byte " + std::to_string(bad + 1) + " of the line)");
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      throw Error(where + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!j.is_object()) throw Error(where + ": expected a JSON object with \"question\" and \"answer\"");
    if (!j.contains("question") || !j["question"].is_string())
      throw Error(where + ": missing field \"question\" (a string)");
    if (!j.contains("answer") || !(j["answer"].is_string() || j["answer"].is_number()))
      throw Error(where + ": missing field \"answer\" (a string or a number)");
    Problem p;
    p.question = j["question"].get<std::string>();
    std::string answer = j["answer"].is_string() ? j["answer"].get<std::string>() : j["answer"].dump();
    if (kind == Kind::gsm8k) {
      size_t mark = answer.rfind("####");
      if (mark == std::string::npos) throw Error(where + ": the answer has no \"####\" before the final number");
      p.meta = {{"solution", trim(answer.substr(0, mark))}};
      answer = answer.substr(mark + 4);
    }
    p.answer = trim(answer);
    if (p.answer.empty()) throw Error(where + ": empty answer");
    p.id = fs::path(path).stem().string() + ":" + std::to_string(n);
    if (j.contains("id") && (j["id"].is_string() || j["id"].is_number()))
      p.id = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
    out.push_back(std::move(p));
  }
  if (out.empty()) throw Error(path + ": no problems in the file");
  return out;
}

std::string find_gsm8k() {
  std::vector<fs::path> tried;
  if (const char* d = std::getenv("SEEK_DATA")) tried.push_back(fs::path(d) / "gsm8k");
  tried.push_back("../shared/data/gsm8k");
  tried.push_back("data/gsm8k");
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) tried.push_back(exe.parent_path() / "../../shared/data/gsm8k");
  std::string list;
  for (const fs::path& p : tried) {
    if (fs::exists(p / "test.jsonl")) return fs::weakly_canonical(p).string();
    list += (list.empty() ? "" : ", ") + p.string();
  }
  throw Error("task gsm8k: no GSM8K data found (looked in " + list + "); give gsm8k:PATH or set SEEK_DATA");
}

class DatasetTask : public Task {
 public:
  DatasetTask(AnswerRules rules, Kind kind, std::string path) : Task(rules), kind_(kind), path_(std::move(path)) {}

  std::string name() const override { return kind_ == Kind::gsm8k ? "gsm8k" : "jsonl"; }
  std::string spec() const override {
    return name() + ":" + (path_.empty() ? find_gsm8k() : path_) + ",last_number=" + (rules_.last_number ? "1" : "0") +
           ",percent=" + (rules_.percent ? "1" : "0");
  }

  std::vector<Problem> problems(uint64_t seed, int64_t n, TaskSplit split, bool distinct) const override {
    const std::vector<Problem>& all = file(split);
    if (n <= 0) return all;
    Rng rng(derive_seed(seed, split == TaskSplit::test ? 1 : 0));
    std::vector<Problem> out;
    if (!distinct) {
      for (int64_t i = 0; i < n; i++) out.push_back(all[rng.below(all.size())]);
      return out;
    }
    if (n > int64_t(all.size()))
      throw Error("task " + spec() + ": " + std::to_string(n) + " problems asked, the " + task_split_name(split) +
                  " file has " + std::to_string(all.size()));
    std::vector<size_t> order(all.size());
    std::iota(order.begin(), order.end(), size_t(0));
    for (size_t i = 0; i < size_t(n); i++) {  // partial Fisher-Yates: n distinct lines
      std::swap(order[i], order[i + rng.below(order.size() - i)]);
      out.push_back(all[order[i]]);
    }
    return out;
  }

 private:
  // The file for a split: a folder's train.jsonl / test.jsonl, or the one file.
  const std::vector<Problem>& file(TaskSplit split) const {
    std::string dir = path_.empty() ? find_gsm8k() : path_;
    std::string path =
        fs::is_directory(dir) ? (fs::path(dir) / (std::string(task_split_name(split)) + ".jsonl")).string() : dir;
    auto it = cache_.find(path);
    if (it == cache_.end()) it = cache_.emplace(path, load_problems(path, kind_)).first;
    return it->second;
  }

  Kind kind_;
  std::string path_;                                           // empty: the default GSM8K folder
  mutable std::map<std::string, std::vector<Problem>> cache_;  // loaded files (not thread-safe)
};

}  // namespace

std::unique_ptr<Task> make_gsm8k_task(TaskArgs& a) {
  a.use_path();
  return std::make_unique<DatasetTask>(a.answer_rules(true, true), Kind::gsm8k, a.path().value_or(""));
}

std::unique_ptr<Task> make_jsonl_task(TaskArgs& a) {
  a.use_path();
  if (!a.path()) throw Error("task spec '" + a.spec() + "': jsonl needs a file (jsonl:FILE)");
  return std::make_unique<DatasetTask>(a.answer_rules(true, true), Kind::jsonl, *a.path());
}

}  // namespace seek
