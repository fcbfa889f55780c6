// seek grade: scores given completions with a task's checker, one JSON object per input line, so anyone can check
// the checker. Input lines: {"completion", "answer"} (countdown: "numbers" and "target" instead of "answer"),
// optionally "started_in_think" (the prompt opened <think>) and "n_tokens" (for the length penalty).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/reward_options.h"
#include "core/error.h"
#include "rl/task.h"
#include "text/tokenizer/tokenizer_utf8.h"

namespace seek::cli {

namespace {
using json = nlohmann::json;

struct GradeArgs {
  std::string task, input, format_rule = "r1-zero";
  bool started_in_think = false;
  RewardFlags reward;
};

void grade_line(const Task& task, const RewardConfig& r, const GradeArgs& a, const std::string& line,
                const std::string& where, int64_t n, double sums[3]) {
  if (size_t bad = utf8::first_invalid(line); bad != line.size())
    throw Error(where + ": not valid UTF-8 (byte " + std::to_string(bad + 1) + " of the line)");
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {
    throw Error(where + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object()) throw Error(where + ": expected a JSON object with \"completion\" and \"answer\"");
  if (!j.contains("completion") || !j["completion"].is_string())
    throw Error(where + ": missing field \"completion\" (a string)");
  Problem p = task.problem_from_json(j, where);
  GradeOptions o;
  o.started_in_think = a.started_in_think;
  if (j.contains("started_in_think")) {
    if (!j["started_in_think"].is_boolean()) throw Error(where + ": \"started_in_think\" must be true or false");
    o.started_in_think = j["started_in_think"].get<bool>();
  }
  if (j.contains("n_tokens")) {
    if (!j["n_tokens"].is_number_integer() || j["n_tokens"].get<int64_t>() < 0)
      throw Error(where + ": \"n_tokens\" must be a whole number >= 0");
    o.n_tokens = j["n_tokens"].get<int64_t>();
  }
  if (r.length_max > 0 && !o.n_tokens) throw Error(where + ": --length-max needs \"n_tokens\" on every line");
  Grade g = task.grade(j["completion"].get<std::string>(), p, r, o);
  json out = g.json();
  out["line"] = n;
  std::printf("%s\n", out.dump().c_str());
  sums[0] += g.accuracy, sums[1] += g.format, sums[2] += g.reward;
}

void run_grade(const GradeArgs& a) {
  auto task = make_task(a.task);
  RewardConfig r = a.reward.get();
  r.format_rule = parse_format_rule(a.format_rule);
  std::ifstream file;
  if (a.input != "-") {
    file.open(a.input, std::ios::binary);
    if (!file) throw Error(a.input + ": cannot open the input file");
  }
  std::istream& in = a.input == "-" ? std::cin : file;
  const std::string name = a.input == "-" ? "<stdin>" : a.input;
  std::string line;
  int64_t graded = 0;
  double sums[3] = {0, 0, 0};
  for (int64_t n = 1; std::getline(in, line); n++) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    grade_line(*task, r, a, line, name + ":" + std::to_string(n), n, sums);
    graded++;
  }
  if (graded == 0) throw Error(name + ": no lines to grade");
  std::fprintf(stderr, "graded %lld completions: accuracy %.4f, format %.4f, mean reward %.4f\n", (long long)graded,
               sums[0] / double(graded), sums[1] / double(graded), sums[2] / double(graded));
}
}  // namespace

void register_grade(CLI::App& app) {
  auto a = std::make_shared<GradeArgs>();
  auto* cmd = app.add_subcommand("grade", "score completions with a task's checker (one JSON object per line)");
  cmd->add_option("--task", a->task, "task spec: arithmetic, countdown, gsm8k, jsonl:FILE (knobs: NAME:k=v,...)")
      ->required();
  cmd->add_option("--input", a->input,
                  "JSONL of {\"completion\", \"answer\"} (countdown: \"numbers\", \"target\"); "
                  "- for stdin")
      ->required();
  cmd->add_option("--format-rule", a->format_rule, "r1-zero (<think>..</think> <answer>..</answer>) or think")
      ->capture_default_str();
  cmd->add_flag("--started-in-think", a->started_in_think,
                "the prompts ended with <think>: completions start inside the reasoning (per line: "
                "\"started_in_think\")");
  a->reward.add_to(cmd);
  cmd->footer(
      "Output per line: line, extracted (the answer read, or null), key, accuracy (0/1), format (0/1), reward, "
      "components {accuracy, format, length}, note.\nAnswer rules: see src/rl/answer.h (tags, boxed, ####, last "
      "number where allowed; two different answers count as none).");
  cmd->callback([a] { run_grade(*a); });
}

}  // namespace seek::cli
