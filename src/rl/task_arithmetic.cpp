// arithmetic[:digits=D,terms=N,ops=+-*]: N whole numbers of D digits joined by operators drawn from ops, evaluated
// with the usual precedence (* and / before + and -, left to right); the answer is the exact value (a fraction
// where / leaves one). Worked solutions show one "a op b = c" step per operator in evaluation order.
#include <algorithm>

#include "core/error.h"
#include "rl/task_args.h"

namespace seek {

using json = nlohmann::json;

namespace {

struct Step {
  Rational a, b, result;
  char op;
};

Rational apply(const Rational& a, char op, const Rational& b) {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    default: return a / b;
  }
}

// An operand as a step writes it: fractions in parentheses so "(7/3)*6" cannot be misread.
std::string operand(const Rational& r) {
  if (r.is_integer()) return r.str();
  std::string s = "(";
  s += r.str();
  s += ')';
  return s;
}

// Evaluation in precedence order. With slip_step >= 0, that step's result is off by slip (what a careless solver
// writes); later steps compute correctly from the wrong value.
std::vector<Step> evaluate(std::vector<Rational> vals, std::string ops, int slip_step = -1, int64_t slip = 0) {
  std::vector<Step> steps;
  for (std::string_view pass : {"*/", "+-"}) {
    for (size_t i = 0; i < ops.size();) {
      if (pass.find(ops[i]) == std::string_view::npos) {
        i++;
        continue;
      }
      Step s{vals[i], vals[i + 1], apply(vals[i], ops[i], vals[i + 1]), ops[i]};
      if (int(steps.size()) == slip_step) s.result = s.result + Rational(slip);
      vals[i] = s.result;
      vals.erase(vals.begin() + long(i) + 1);
      ops.erase(ops.begin() + long(i));
      steps.push_back(s);
    }
  }
  return steps;
}

class ArithmeticTask : public Task {
 public:
  ArithmeticTask(AnswerRules rules, int digits, int terms, std::string ops)
      : Task(rules), digits_(digits), terms_(terms), ops_(std::move(ops)) {}

  std::string name() const override { return "arithmetic"; }
  std::string spec() const override {
    return "arithmetic:digits=" + std::to_string(digits_) + ",terms=" + std::to_string(terms_) + ",ops=" + ops_ +
           ",last_number=" + (rules_.last_number ? "1" : "0") + ",percent=" + (rules_.percent ? "1" : "0");
  }
  bool generated() const override { return true; }

  std::vector<Problem> problems(uint64_t seed, int64_t n, TaskSplit split, bool distinct) const override {
    return draw_problems(spec(), seed, n, split, distinct, [&](Rng& rng) { return draw(rng); });
  }

  Problem problem_from_json(const json& j, const std::string& where) const override {
    return Task::problem_from_json(j, where);
  }

  std::optional<std::string> worked_solution(const Problem& p, Rng& rng, bool correct) const override {
    if (!p.meta.contains("operands") || !p.meta.contains("ops")) return std::nullopt;
    std::vector<Rational> vals;
    for (auto& v : p.meta.at("operands")) vals.emplace_back(v.get<int64_t>());
    const std::string ops = p.meta.at("ops").get<std::string>();
    const Rational truth = evaluate(vals, ops).back().result;
    for (int attempt = 0; attempt < 20; attempt++) {
      std::vector<Step> steps;
      try {
        if (correct) {
          steps = evaluate(vals, ops);
        } else {
          static const int64_t kSlips[] = {1, 2, 10, -1, -2, -10};
          int at = int(rng.below(uint64_t(ops.size())));
          int64_t slip = kSlips[rng.below(6)];
          Rational orig = evaluate(vals, ops)[size_t(at)].result;
          if ((orig + Rational(slip)) < Rational(0) && !(orig < Rational(0))) continue;  // keep the sign
          steps = evaluate(vals, ops, at, slip);
          if (steps.back().result == truth) continue;  // the slip cancelled out (e.g. multiplied by 0)
        }
      } catch (const RationalError&) {
        continue;
      }
      std::string think;
      for (const Step& s : steps) {
        if (!think.empty()) think += ", ";
        think += operand(s.a);
        think += s.op;
        think += operand(s.b);
        think += '=';
        think += s.result.str();
      }
      return "<think>" + think + "</think> <answer>" + steps.back().result.str() + "</answer>";
    }
    return std::nullopt;
  }

 private:
  int64_t operand_value(Rng& rng, bool divisor) const {
    int64_t lo = 1, hi = 9;
    for (int d = 1; d < digits_; d++) lo *= 10, hi = hi * 10 + 9;
    if (digits_ == 1) lo = divisor ? 1 : 0;
    return rng.range(lo, hi);
  }

  Problem draw(Rng& rng) const {
    for (;;) try {
        return draw_once(rng);
      } catch (const RationalError&) {  // a value beyond 64 bits: draw again
      }
  }

  Problem draw_once(Rng& rng) const {
    std::vector<int64_t> v;
    std::string ops, expr, question;
    for (int t = 0; t < terms_; t++) {
      char op = t ? ops_[rng.below(ops_.size())] : 0;
      if (t) ops += op;
      v.push_back(operand_value(rng, op == '/'));
      if (t) {
        expr += op;
        question += ' ';
        question += op;
        question += ' ';
      }
      expr += std::to_string(v.back());
      question += std::to_string(v.back());
    }
    std::vector<Rational> vals(v.begin(), v.end());
    Problem p;
    p.id = "arithmetic:" + expr;
    p.question = "Compute " + question;
    p.answer = evaluate(vals, ops).back().result.str();
    p.meta = {{"operands", v}, {"ops", ops}, {"expression", expr}};
    return p;
  }

  int digits_, terms_;
  std::string ops_;
};

}  // namespace

std::unique_ptr<Task> make_arithmetic_task(TaskArgs& a) {
  int digits = int(a.integer("digits", 2, 1, 9));
  int terms = int(a.integer("terms", 2, 2, 8));
  std::string ops = a.text("ops", "+-*");
  if (ops.empty() || ops.find_first_not_of("+-*/") != std::string::npos)
    throw Error("task spec '" + a.spec() + "': ops=" + ops + " must be a non-empty set of + - * /");
  std::string uniq;
  for (char c : std::string("+-*/"))
    if (ops.find(c) != std::string::npos) uniq += c;
  if (uniq.find_first_of("*/") != std::string::npos && digits * terms > 18)
    throw Error("task spec '" + a.spec() + "': digits x terms must be <= 18 with * or / (results must fit 64 bits)");
  return std::make_unique<ArithmeticTask>(a.answer_rules(false, false), digits, terms, uniq);
}

}  // namespace seek
