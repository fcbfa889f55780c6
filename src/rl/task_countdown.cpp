// countdown[:numbers=3,max=20,target_max=100,integer=0,use_all=0]: reach the target with the given numbers and
// + - * / (checker rules in countdown.h). Each problem is generated from a random solution that uses every number
// and only positive whole intermediate results, so every problem is solvable under any of the rules.
#include <algorithm>

#include "core/error.h"
#include "rl/countdown.h"
#include "rl/task_args.h"

namespace seek {

using json = nlohmann::json;

namespace {

int prec(char op) { return op == '+' || op == '-' ? 1 : op ? 2 : 3; }  // 0: a plain number

struct Term {
  std::string text;
  char op = 0;  // top-level operator
  int64_t value = 0;
};

std::string wrap(const Term& t, bool need) { return need ? "(" + t.text + ")" : t.text; }

Term join(const Term& a, char op, const Term& b, int64_t value) {
  bool left = prec(a.op) < prec(op);
  bool right = prec(b.op) < prec(op) || (prec(b.op) == prec(op) && (op == '-' || op == '/'));
  return {wrap(a, left) + op + wrap(b, right), op, value};
}

int64_t apply(int64_t a, char op, int64_t b) {
  return op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b;
}

// One solution: steps [i, j, op] over a pool (the numbers, each step removing entries i and j and appending the
// result). Replays it; with wrong_step >= 0 that step's operator is replaced by wrong_op in the expression, while
// the written steps keep the original results (the solver's slip).
struct Replay {
  std::string expression;
  std::vector<std::string> steps;
};
Replay replay(const std::vector<int64_t>& numbers, const json& steps, int wrong_step = -1, char wrong_op = 0) {
  std::vector<Term> pool;
  for (int64_t n : numbers) pool.push_back({std::to_string(n), 0, n});
  Replay r;
  for (size_t s = 0; s < steps.size(); s++) {
    size_t i = steps[s][0].get<size_t>(), j = steps[s][1].get<size_t>();
    char op = steps[s][2].get<std::string>()[0];
    char shown = int(s) == wrong_step ? wrong_op : op;
    Term a = pool[i], b = pool[j];
    int64_t v = apply(a.value, op, b.value);
    r.steps.push_back(std::to_string(a.value) + shown + std::to_string(b.value) + "=" + std::to_string(v));
    pool.erase(pool.begin() + long(std::max(i, j)));
    pool.erase(pool.begin() + long(std::min(i, j)));
    pool.push_back(join(a, shown, b, v));
  }
  r.expression = pool.back().text;
  return r;
}

class CountdownTask : public Task {
 public:
  CountdownTask(AnswerRules rules, int numbers, int max, int64_t target_max, CountdownRules cr)
      : Task(rules), numbers_(numbers), max_(max), target_max_(target_max), cr_(cr) {}

  std::string name() const override { return "countdown"; }
  std::string spec() const override {
    return "countdown:numbers=" + std::to_string(numbers_) + ",max=" + std::to_string(max_) +
           ",target_max=" + std::to_string(target_max_) + ",integer=" + (cr_.integer_only ? "1" : "0") +
           ",use_all=" + (cr_.use_all ? "1" : "0");
  }
  bool generated() const override { return true; }

  std::vector<Problem> problems(uint64_t seed, int64_t n, TaskSplit split, bool distinct) const override {
    return draw_problems(spec(), seed, n, split, distinct, [&](Rng& rng) { return draw(rng); });
  }

  Problem problem_from_json(const json& j, const std::string& where) const override {
    if (!j.contains("numbers") || !j["numbers"].is_array() || j["numbers"].empty())
      throw Error(where + ": countdown needs \"numbers\", a non-empty array of whole numbers");
    if (!j.contains("target") || !j["target"].is_number_integer())
      throw Error(where + ": countdown needs \"target\", a whole number");
    std::vector<int64_t> nums;
    for (auto& v : j["numbers"]) {
      if (!v.is_number_integer()) throw Error(where + ": \"numbers\" must hold whole numbers only");
      nums.push_back(v.get<int64_t>());
    }
    Problem p;
    p.answer = std::to_string(j["target"].get<int64_t>());
    p.meta = {{"numbers", nums}, {"target", j["target"]}};
    if (j.contains("question") && j["question"].is_string()) p.question = j["question"].get<std::string>();
    return p;
  }

  std::optional<std::string> worked_solution(const Problem& p, Rng& rng, bool correct) const override {
    if (!p.meta.contains("steps")) return std::nullopt;
    const auto nums = p.meta.at("numbers").get<std::vector<int64_t>>();
    const json& steps = p.meta.at("steps");
    std::optional<Replay> r;
    if (correct) r = replay(nums, steps);
    for (int attempt = 0; !r && attempt < 20; attempt++) {
      int at = int(rng.below(steps.size()));
      char op = "+-*/"[rng.below(4)];
      if (op == steps[size_t(at)][2].get<std::string>()[0]) continue;
      Replay w = replay(nums, steps, at, op);
      CountdownResult c = check_countdown(w.expression, nums, cr_);
      if (!(c.valid && *c.value == Rational(p.meta.at("target").get<int64_t>()))) r = w;  // else: still right
    }
    if (!r) return std::nullopt;
    std::string think;
    for (const std::string& s : r->steps) {
      if (!think.empty()) think += ", ";
      think += s;
    }
    return "<think>" + think + "</think> <answer>" + r->expression + "</answer>";
  }

 protected:
  Verdict judge(const Candidates& c, const Problem& p) const override {
    Verdict v;
    if (c.answers.empty()) return v.note = "no answer", v;
    const auto nums = p.meta.at("numbers").get<std::vector<int64_t>>();
    std::optional<Rational> target;
    try {
      target = Rational(std::stoll(p.answer));
    } catch (const std::exception&) {
    }
    std::vector<CountdownResult> res;
    std::vector<std::string> keys;
    for (const std::string& a : c.answers) {
      res.push_back(check_countdown(a, nums, cr_));
      std::string compact;
      for (char ch : a)
        if (ch != ' ') compact += ch;
      std::string key = res.back().valid ? "=" : "invalid:";
      key += res.back().valid ? res.back().value->str() : compact;
      keys.push_back(key);
    }
    for (size_t i = 1; i < keys.size(); i++)
      if (keys[i] != keys[0]) {
        v.note = "conflicting answers:";
        for (size_t k = 0; k < c.answers.size(); k++) {
          v.note += k ? " | " : " ";
          v.note += c.answers[k];
        }
        return v;
      }
    v.extracted = c.answers[0];
    v.key = keys[0];
    v.correct = res[0].valid && target && *res[0].value == *target;
    v.note = !res[0].valid ? res[0].note : v.correct ? "ok" : "wrong value: " + res[0].value->str();
    return v;
  }

 private:
  // Random solution over all the numbers with positive whole intermediate results and a target in
  // [1, target_max]; retried until one is found.
  Problem draw(Rng& rng) const {
    for (int attempt = 0; attempt < 100000; attempt++) {
      std::vector<int64_t> nums;
      for (int i = 0; i < numbers_; i++) nums.push_back(rng.range(1, max_));
      std::vector<int64_t> pool = nums;
      json steps = json::array();
      bool ok = true;
      while (pool.size() > 1 && ok) {
        size_t i = rng.below(pool.size()), j = rng.below(pool.size() - 1);
        if (j >= i) j++;
        char op = "+-*/"[rng.below(4)];
        int64_t a = pool[i], b = pool[j];
        if ((op == '-' && a <= b) || (op == '/' && a % b != 0) ||
            (op == '*' && a > 1000000 / std::max<int64_t>(b, 1))) {
          ok = attempt % 4 != 3;  // mostly retry the step; sometimes start over with new numbers
          continue;
        }
        steps.push_back(json::array({i, j, std::string(1, op)}));
        pool.erase(pool.begin() + long(std::max(i, j)));
        pool.erase(pool.begin() + long(std::min(i, j)));
        pool.push_back(apply(a, op, b));
      }
      if (!ok || pool[0] < 1 || pool[0] > target_max_) continue;
      std::vector<int64_t> sorted = nums;
      std::sort(sorted.begin(), sorted.end());
      std::string list, id = "countdown:";
      for (size_t k = 0; k < nums.size(); k++) {
        if (k) list += ", ";
        list += std::to_string(nums[k]);
      }
      for (size_t k = 0; k < sorted.size(); k++) {
        if (k) id += ',';
        id += std::to_string(sorted[k]);
      }
      Problem p;
      p.id = id + "->" + std::to_string(pool[0]);
      p.question = "Use the numbers [" + list + "] to make " + std::to_string(pool[0]) + " with + - * /, each number " +
                   (cr_.use_all ? "exactly once" : "at most once");
      p.answer = std::to_string(pool[0]);
      p.meta = {{"numbers", nums}, {"target", pool[0]}, {"steps", steps}};
      p.meta["solution"] = replay(nums, steps).expression;
      return p;
    }
    throw Error("task " + spec() + ": cannot generate problems (targets above target_max)");
  }

  int numbers_, max_;
  int64_t target_max_;
  CountdownRules cr_;
};

}  // namespace

std::unique_ptr<Task> make_countdown_task(TaskArgs& a) {
  int numbers = int(a.integer("numbers", 3, 2, 6));
  int max = int(a.integer("max", 20, 1, 1000));
  int64_t target_max = a.integer("target_max", 100, 1, 1000000);
  CountdownRules cr;
  cr.integer_only = a.flag("integer", false);
  cr.use_all = a.flag("use_all", false);
  return std::make_unique<CountdownTask>(a.answer_rules(false, false), numbers, max, target_max, cr);
}

}  // namespace seek
