// A task: a source of problems with verifiable answers plus its exact checker (spec §6: rule-based rewards).
//
// Specs (make_task), "NAME" or "NAME:ARGS" with ARGS comma-separated key=value pairs (a dataset's path is the one
// item without "="; paths with commas are not supported):
//   arithmetic[:digits=2,terms=2,ops=+-*]           generated: terms numbers of `digits` digits joined by ops
//   countdown[:numbers=3,max=20,target_max=100,integer=0,use_all=0]   generated: reach the target
//   gsm8k[:PATH]        GSM8K (answer after "####"); PATH a folder with train.jsonl and test.jsonl or one .jsonl
//                       file; default: $SEEK_DATA/gsm8k, ../shared/data/gsm8k or data/gsm8k
//   jsonl:FILE          any {"question", "answer"[, "id"]} per line (the same file for every split)
// Every task also takes last_number=0|1 (fall back to the last number when no answer is marked) and percent=0|1
// ("50%" accepted as a number); the defaults are 0/0 for the generated tasks, 1/1 for gsm8k and jsonl.
//
// Generated tasks draw fresh problems for a seed, always the same for the same seed, n distinct ones per call.
// The split is a function of the problem alone: a problem is held out (TaskSplit::test) iff stable_hash of its
// canonical text falls in the held-out tenth, so train and test draws never share a problem, for any seed and
// any knob values.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "rl/answer.h"
#include "rl/reward.h"
#include "rl/rng.h"

namespace seek {

struct Problem {
  std::string id, question, answer;  // answer: the reference (countdown: the target)
  nlohmann::json meta;               // task-specific (countdown: numbers, target, solution)
};

enum class TaskSplit { train, test };
TaskSplit parse_task_split(const std::string& s);  // "train" | "test"
const char* task_split_name(TaskSplit s);

struct Grade {
  std::optional<std::string> extracted;  // the answer read, as written; null: none, or several that disagree
  std::optional<std::string> key;        // its canonical form, for majority voting (null with extracted)
  int accuracy = 0, format = 0;          // correctness (not gated) and well-formedness, 0/1
  double reward = 0;
  nlohmann::json components;    // the reward's parts by name: accuracy, format, length
  std::string note;             // why: "ok", "no answer", "conflicting answers: 3 | 5", "number not given: 7", ...
  nlohmann::json json() const;  // {extracted, key, accuracy, format, reward, components, note}
};

struct GradeOptions {
  bool started_in_think = false;    // the prompt ended with "<think>": the completion starts inside reasoning
  std::optional<int64_t> n_tokens;  // completion length in tokens (for the length penalty)
};

// What a task's checker concludes from the candidate answers (see answer.h for how they are found).
struct Verdict {
  std::optional<std::string> extracted, key;
  bool correct = false;
  std::string note;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;  // "arithmetic", "countdown", "gsm8k", "jsonl"
  virtual std::string spec() const = 0;  // the full spec, every knob spelled out (make_task(spec()) is the same)
  virtual bool generated() const { return false; }  // fresh draws with disjoint splits

  // n problems of the split for the seed, distinct unless `distinct` is false (a training corpus may repeat);
  // datasets: n <= 0 is the whole file in order, else n lines drawn by the seed. Throws Error naming the spec if
  // there are not n distinct problems.
  virtual std::vector<Problem> problems(uint64_t seed, int64_t n, TaskSplit split, bool distinct = true) const = 0;

  // The problem a `seek grade` input line describes ("answer"; countdown: "numbers" and "target"). Throws Error
  // prefixed with `where` (file:line) for a missing or mistyped field.
  virtual Problem problem_from_json(const nlohmann::json& j, const std::string& where) const;

  Grade grade(const std::string& completion, const Problem& p, const RewardConfig& r, const GradeOptions& o = {}) const;

  // An R1-Zero-format completion for the problem ("<think>steps</think> <answer>x</answer>"): correct, or with an
  // arithmetic slip in one step (the answer then differs from the reference). nullopt when the task cannot write
  // one (datasets) or no wrong variant exists.
  virtual std::optional<std::string> worked_solution(const Problem& p, Rng& rng, bool correct) const;

  const AnswerRules& answer_rules() const { return rules_; }

 protected:
  explicit Task(AnswerRules rules) : rules_(rules) {}
  // Default: every candidate must be the same answer (answer_key), compared with answers_match.
  virtual Verdict judge(const Candidates& c, const Problem& p) const;
  AnswerRules rules_;
};

std::unique_ptr<Task> make_task(const std::string& spec);

}  // namespace seek
