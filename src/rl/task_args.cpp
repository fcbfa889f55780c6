#include "rl/task_args.h"

#include <unordered_set>

#include "core/error.h"

namespace seek {

TaskArgs::TaskArgs(const std::string& spec) : spec_(spec) {
  size_t colon = spec.find(':');
  name_ = spec.substr(0, colon);
  if (name_.empty()) throw Error("task spec '" + spec + "': no task name (e.g. arithmetic, countdown, gsm8k)");
  if (colon == std::string::npos) return;
  std::string rest = spec.substr(colon + 1);
  size_t b = 0;
  while (b <= rest.size()) {
    size_t e = rest.find(',', b);
    if (e == std::string::npos) e = rest.size();
    std::string item = rest.substr(b, e - b);
    b = e + 1;
    if (item.empty()) {
      if (e == rest.size()) break;
      throw Error("task spec '" + spec + "': empty item between commas");
    }
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      if (path_) throw Error("task spec '" + spec + "': two paths ('" + *path_ + "' and '" + item + "')");
      path_ = item;
    } else {
      std::string k = item.substr(0, eq);
      if (k.empty()) throw Error("task spec '" + spec + "': '" + item + "' has no key");
      if (kv_.count(k)) throw Error("task spec '" + spec + "': key '" + k + "' given twice");
      kv_[k] = item.substr(eq + 1);
    }
    if (e == rest.size()) break;
  }
}

int64_t TaskArgs::integer(const std::string& key, int64_t def, int64_t lo, int64_t hi) {
  read_.insert(key);
  auto it = kv_.find(key);
  if (it == kv_.end()) return def;
  const std::string& v = it->second;
  size_t used = 0;
  long long x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || x < lo || x > hi)
    throw Error("task spec '" + spec_ + "': " + key + "=" + v + " must be an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  return x;
}

bool TaskArgs::flag(const std::string& key, bool def) {
  read_.insert(key);
  auto it = kv_.find(key);
  if (it == kv_.end()) return def;
  if (it->second == "1" || it->second == "true") return true;
  if (it->second == "0" || it->second == "false") return false;
  throw Error("task spec '" + spec_ + "': " + key + "=" + it->second + " must be 0 or 1");
}

std::string TaskArgs::text(const std::string& key, const std::string& def) {
  read_.insert(key);
  auto it = kv_.find(key);
  return it == kv_.end() ? def : it->second;
}

AnswerRules TaskArgs::answer_rules(bool def_last_number, bool def_percent) {
  AnswerRules r;
  r.last_number = flag("last_number", def_last_number);
  r.percent = flag("percent", def_percent);
  return r;
}

void TaskArgs::finish() const {
  if (path_ && !path_read_)
    throw Error("task spec '" + spec_ + "': '" + *path_ + "' is not key=value (task " + name_ + " takes no path)");
  std::string known;
  for (const std::string& k : read_) known += (known.empty() ? "" : ", ") + k;
  for (auto& [k, v] : kv_)
    if (!read_.count(k)) throw Error("task spec '" + spec_ + "': unknown key '" + k + "' (known: " + known + ")");
}

bool is_held_out(const std::string& canonical) { return stable_hash(canonical) % 10 == 0; }

std::vector<Problem> draw_problems(const std::string& spec, uint64_t seed, int64_t n, TaskSplit split, bool distinct,
                                   const std::function<Problem(Rng&)>& draw) {
  if (n < 0) throw Error("task " + spec + ": number of problems must be >= 0");
  Rng rng(derive_seed(seed, split == TaskSplit::test ? 1 : 0));
  std::vector<Problem> out;
  std::unordered_set<std::string> seen;
  const int64_t max_draws = 10000 + 200 * n;  // held-out draws succeed 1 in 10
  for (int64_t d = 0; int64_t(out.size()) < n; d++) {
    if (d >= max_draws)
      throw Error("task " + spec + ": only " + std::to_string(out.size()) + " distinct " + task_split_name(split) +
                  " problems found in " + std::to_string(max_draws) + " draws, " + std::to_string(n) +
                  " asked; make the task larger (more digits, terms or numbers)");
    Problem p = draw(rng);
    if (is_held_out(p.id) != (split == TaskSplit::test) || (distinct && !seen.insert(p.id).second)) continue;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace seek
