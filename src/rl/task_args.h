// The parsed form of a task spec "NAME[:ARGS]" (see task.h), for the task constructors: each reads the keys it
// knows, with range checks; finish() rejects keys nobody read. Errors name the spec.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rl/task.h"

namespace seek {

class TaskArgs {
 public:
  explicit TaskArgs(const std::string& spec);
  const std::string& name() const { return name_; }
  const std::string& spec() const { return spec_; }
  const std::optional<std::string>& path() const { return path_; }
  void use_path() { path_read_ = true; }  // the task takes a path (else finish() rejects one)

  int64_t integer(const std::string& key, int64_t def, int64_t lo, int64_t hi);
  bool flag(const std::string& key, bool def);
  std::string text(const std::string& key, const std::string& def);
  AnswerRules answer_rules(bool def_last_number, bool def_percent);  // last_number=, percent=
  void finish() const;  // throws for keys no one read, or a path given to a task that takes none

 private:
  std::string spec_, name_;
  std::optional<std::string> path_;
  std::map<std::string, std::string> kv_;
  std::set<std::string> read_;
  bool path_read_ = false;
};

// n problems of `split` from a generator: draws with a seeded Rng until n problems whose held-out bit matches the
// split are found (problem ids are their canonical text), each id once when `distinct`. Throws Error naming the
// spec when the task's space is too small.
std::vector<Problem> draw_problems(const std::string& spec, uint64_t seed, int64_t n, TaskSplit split, bool distinct,
                                   const std::function<Problem(Rng&)>& draw);
bool is_held_out(const std::string& canonical);  // stable_hash(canonical) % 10 == 0

std::unique_ptr<Task> make_arithmetic_task(TaskArgs& a);
std::unique_ptr<Task> make_countdown_task(TaskArgs& a);
std::unique_ptr<Task> make_gsm8k_task(TaskArgs& a);
std::unique_ptr<Task> make_jsonl_task(TaskArgs& a);

}  // namespace seek
