#include "rl/task.h"

#include "core/error.h"
#include "rl/task_args.h"

namespace seek {

using json = nlohmann::json;

TaskSplit parse_task_split(const std::string& s) {
  if (s == "train") return TaskSplit::train;
  if (s == "test") return TaskSplit::test;
  throw Error("split '" + s + "': expected train or test");
}

const char* task_split_name(TaskSplit s) { return s == TaskSplit::train ? "train" : "test"; }

json Grade::json() const {
  return {{"extracted", extracted ? nlohmann::json(*extracted) : nlohmann::json(nullptr)},
          {"key", key ? nlohmann::json(*key) : nlohmann::json(nullptr)},
          {"accuracy", accuracy},
          {"format", format},
          {"reward", reward},
          {"components", components},
          {"note", note}};
}

Problem Task::problem_from_json(const json& j, const std::string& where) const {
  Problem p;
  if (!j.contains("answer")) throw Error(where + ": missing field \"answer\"");
  const json& a = j["answer"];
  if (a.is_string())
    p.answer = a.get<std::string>();
  else if (a.is_number())
    p.answer = a.dump();
  else
    throw Error(where + ": field \"answer\" must be a string or a number");
  if (j.contains("question") && j["question"].is_string()) p.question = j["question"].get<std::string>();
  return p;
}

Verdict Task::judge(const Candidates& c, const Problem& p) const {
  Verdict v;
  if (c.answers.empty()) return v.note = "no answer", v;
  const std::string key = answer_key(c.answers[0], rules_);
  for (size_t i = 1; i < c.answers.size(); i++)
    if (answer_key(c.answers[i], rules_) != key) {
      v.note = "conflicting answers:";
      for (size_t k = 0; k < c.answers.size(); k++) {
        v.note += k ? " | " : " ";
        v.note += c.answers[k];
      }
      return v;
    }
  v.extracted = c.answers[0];
  v.key = key;
  v.correct = answers_match(c.answers[0], p.answer, rules_);
  v.note = v.correct ? "ok" : "wrong answer";
  return v;
}

Grade Task::grade(const std::string& completion, const Problem& p, const RewardConfig& r, const GradeOptions& o) const {
  Grade g;
  Verdict v = judge(find_candidates(answer_region(completion, o.started_in_think), rules_), p);
  g.extracted = v.extracted;
  g.key = v.key;
  g.note = v.note;
  g.accuracy = v.correct ? 1 : 0;
  g.format = well_formed(completion, o.started_in_think, r.format_rule) ? 1 : 0;
  RewardParts parts = combine_reward(g.accuracy, g.format, o.n_tokens, r);
  g.reward = parts.total;
  g.components = parts.json();
  return g;
}

std::optional<std::string> Task::worked_solution(const Problem&, Rng&, bool) const { return std::nullopt; }

std::unique_ptr<Task> make_task(const std::string& spec) {
  TaskArgs a(spec);
  std::unique_ptr<Task> t;
  if (a.name() == "arithmetic")
    t = make_arithmetic_task(a);
  else if (a.name() == "countdown")
    t = make_countdown_task(a);
  else if (a.name() == "gsm8k")
    t = make_gsm8k_task(a);
  else if (a.name() == "jsonl")
    t = make_jsonl_task(a);
  else
    throw Error("task spec '" + spec + "': unknown task '" + a.name() +
                "' (known: arithmetic, countdown, gsm8k, jsonl:FILE)");
  a.finish();
  return t;
}

}  // namespace seek
