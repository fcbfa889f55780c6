// Task specs, generators and worked solutions (rl/task.h). The generated problems' answers and every step of the
// worked solutions are recomputed here with plain integer arithmetic and a small evaluator of our own in this
// file (not the task's Rational code), and the solutions are graded by the task's checker: correct ones must get
// accuracy 1 and format 1, wrong ones accuracy 0.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <sstream>

#include "core/error.h"
#include "rl/corpus.h"
#include "rl/task.h"

using namespace seek;

namespace {

// a op b for fractions p/q as (num, den) pairs in long double-free integer arithmetic (__int128)
struct Q {
  __int128 n, d;
};
Q qmake(__int128 n, __int128 d) {
  if (d < 0) n = -n, d = -d;
  return {n, d};
}
bool qeq(Q a, Q b) { return a.n * b.d == b.n * a.d; }
Q qop(Q a, char op, Q b) {
  switch (op) {
    case '+': return qmake(a.n * b.d + b.n * a.d, a.d * b.d);
    case '-': return qmake(a.n * b.d - b.n * a.d, a.d * b.d);
    case '*': return qmake(a.n * b.n, a.d * b.d);
    default: return qmake(a.n * b.d, a.d * b.n);
  }
}
// "12", "-5", "(7/3)", "7/3", "-7/3"
Q qparse(std::string s) {
  if (!s.empty() && s.front() == '(') s = s.substr(1, s.size() - 2);
  size_t slash = s.find('/');
  if (slash == std::string::npos) return {std::stoll(s), 1};
  return qmake(std::stoll(s.substr(0, slash)), std::stoll(s.substr(slash + 1)));
}

// Evaluates "a+b*c-d" (integers, + - * /) with the usual precedence: a second, independent implementation.
Q eval_flat(const std::string& e) {
  std::vector<Q> vals;
  std::string ops;
  size_t i = 0;
  while (i < e.size()) {
    size_t j = i;
    while (j < e.size() && isdigit(static_cast<unsigned char>(e[j]))) j++;
    vals.push_back({std::stoll(e.substr(i, j - i)), 1});
    if (j < e.size()) ops += e[j];
    i = j + 1;
  }
  std::vector<Q> sum{vals[0]};  // terms after * and /
  std::string addops;
  for (size_t k = 0; k < ops.size(); k++) {
    if (ops[k] == '*' || ops[k] == '/')
      sum.back() = qop(sum.back(), ops[k], vals[k + 1]);
    else
      sum.push_back(vals[k + 1]), addops += ops[k];
  }
  Q r = sum[0];
  for (size_t k = 0; k < addops.size(); k++) r = qop(r, addops[k], sum[k + 1]);
  return r;
}

struct Steps {
  std::vector<std::string> a, b, c;
  std::vector<char> op;
  std::string answer;
};
// "<think>A op B=C, A op B=C</think> <answer>X</answer>"
Steps parse_solution(const std::string& s) {
  Steps st;
  size_t t0 = s.find("<think>"), t1 = s.find("</think>");
  size_t a0 = s.find("<answer>"), a1 = s.find("</answer>");
  EXPECT_TRUE(t0 != std::string::npos && t1 != std::string::npos && a0 != std::string::npos && a1 != std::string::npos)
      << s;
  st.answer = s.substr(a0 + 8, a1 - a0 - 8);
  std::stringstream think(s.substr(t0 + 7, t1 - t0 - 7));
  for (std::string step; std::getline(think, step, ',');) {
    while (!step.empty() && step.front() == ' ') step.erase(step.begin());
    size_t eq = step.find('=');
    std::string lhs = step.substr(0, eq);
    // the operator: the first + - * / after the first character that is outside parentheses
    size_t k = 1, depth = lhs[0] == '(' ? 1 : 0;
    for (; k < lhs.size(); k++) {
      if (lhs[k] == '(') depth++;
      if (lhs[k] == ')') depth--;
      if (depth == 0 && std::string("+-*/").find(lhs[k]) != std::string::npos) break;
    }
    st.a.push_back(lhs.substr(0, k));
    st.op.push_back(lhs[k]);
    st.b.push_back(lhs.substr(k + 1));
    st.c.push_back(step.substr(eq + 1));
  }
  return st;
}

int wrong_steps(const Steps& st) {
  int bad = 0;
  for (size_t i = 0; i < st.a.size(); i++)
    bad += !qeq(qop(qparse(st.a[i]), st.op[i], qparse(st.b[i])), qparse(st.c[i]));
  return bad;
}

std::set<std::string> ids(const std::vector<Problem>& ps) {
  std::set<std::string> s;
  for (auto& p : ps) s.insert(p.id);
  return s;
}

}  // namespace

TEST(RlTasks, SpecsAndTheirErrors) {
  EXPECT_EQ(make_task("arithmetic")->spec(), "arithmetic:digits=2,terms=2,ops=+-*,last_number=0,percent=0");
  EXPECT_EQ(make_task("arithmetic:ops=*+,digits=3")->spec(),
            "arithmetic:digits=3,terms=2,ops=+*,last_number=0,percent=0");
  EXPECT_EQ(make_task("countdown:numbers=4")->spec(), "countdown:numbers=4,max=20,target_max=100,integer=0,use_all=0");
  auto err = [](const std::string& spec, const char* needle) {
    try {
      make_task(spec);
      ADD_FAILURE() << spec << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(spec), std::string::npos) << e.what();
    }
  };
  err("algebra", "unknown task 'algebra'");
  err("arithmetic:digit=3", "unknown key 'digit'");
  err("arithmetic:digits=0", "digits=0");
  err("arithmetic:digits=x", "digits=x");
  err("arithmetic:ops=+^", "ops=+^");
  err("arithmetic:digits=9,terms=3", "64 bits");
  err("arithmetic:foo.txt", "takes no path");
  err("countdown:numbers=9", "numbers=9");
  err("countdown:use_all=2", "use_all=2");
  err("jsonl", "needs a file");
  err("arithmetic:digits=2,digits=3", "given twice");
}

TEST(RlTasks, GeneratorsAreDeterministicAndSplitsNeverOverlap) {
  for (const char* spec : {"arithmetic:digits=1,terms=3", "arithmetic", "arithmetic:digits=3,terms=3,ops=+-*/",
                           "countdown", "countdown:numbers=4,max=50,target_max=500"}) {
    auto t = make_task(spec);
    auto a = t->problems(7, 60, TaskSplit::train), b = t->problems(7, 60, TaskSplit::train);
    ASSERT_EQ(a.size(), 60u);
    for (size_t i = 0; i < a.size(); i++) EXPECT_EQ(a[i].id, b[i].id) << spec;
    EXPECT_EQ(ids(a).size(), 60u) << spec << ": problems of one draw are distinct";
    EXPECT_NE(ids(t->problems(8, 60, TaskSplit::train)), ids(a)) << spec << ": another seed, other problems";
    std::set<std::string> train, test;
    for (uint64_t seed = 0; seed < 5; seed++) {
      for (auto& id : ids(t->problems(seed, 60, TaskSplit::train))) train.insert(id);
      for (auto& id : ids(t->problems(seed + 100, 40, TaskSplit::test))) test.insert(id);
    }
    EXPECT_GT(test.size(), 30u) << spec;
    for (auto& id : test) EXPECT_EQ(train.count(id), 0u) << spec << ": held-out problem " << id << " in train";
  }
}

TEST(RlTasks, TooSmallATaskIsAnErrorNotAHang) {
  // one-digit sums: 100 problems, about 10 held out
  auto t = make_task("arithmetic:digits=1,terms=2,ops=+");
  try {
    t->problems(0, 50, TaskSplit::test);
    ADD_FAILURE() << "50 distinct held-out problems from about 10";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("distinct test problems"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t->problems(0, 50, TaskSplit::test, /*distinct=*/false).size(), 50u);
}

TEST(RlTasks, ArithmeticAnswersAreRight) {
  auto t = make_task("arithmetic:digits=3,terms=4,ops=+-*/");
  for (const Problem& p : t->problems(3, 200, TaskSplit::train)) {
    const std::string e = p.meta["expression"];
    EXPECT_TRUE(qeq(eval_flat(e), qparse(p.answer))) << e << " = " << p.answer;
    EXPECT_EQ(p.id, "arithmetic:" + e);
  }
}

TEST(RlTasks, WorkedSolutionsGradeAndRecompute) {
  RewardConfig r;
  for (const char* spec : {"arithmetic", "arithmetic:digits=2,terms=4,ops=+-*/", "countdown",
                           "countdown:numbers=4,max=30,target_max=300,integer=1,use_all=1"}) {
    auto t = make_task(spec);
    Rng rng(11);
    int wrong_written = 0;
    for (const Problem& p : t->problems(5, 100, TaskSplit::train)) {
      auto good = t->worked_solution(p, rng, true);
      ASSERT_TRUE(good) << spec << " " << p.id;
      Grade g = t->grade(*good, p, r);
      EXPECT_EQ(g.accuracy, 1) << *good << " for " << p.id << ": " << g.note;
      EXPECT_EQ(g.format, 1) << *good;
      Steps st = parse_solution(*good);
      EXPECT_EQ(wrong_steps(st), 0) << *good;
      if (std::string(spec).rfind("arithmetic", 0) == 0)
        EXPECT_TRUE(qeq(qparse(st.c.back()), qparse(p.answer))) << *good;
      else
        EXPECT_EQ(st.c.back(), p.answer) << *good;  // the chain reaches the target
      auto bad = t->worked_solution(p, rng, false);
      if (!bad) continue;
      wrong_written++;
      g = t->grade(*bad, p, r);
      EXPECT_EQ(g.accuracy, 0) << *bad << " for " << p.id;
      EXPECT_EQ(g.format, 1) << *bad;
      EXPECT_EQ(wrong_steps(parse_solution(*bad)), 1) << *bad << ": exactly one slip";
    }
    EXPECT_GE(wrong_written, 95) << spec;
  }
}

TEST(RlTasks, CorpusHasTheAskedFractionWrongAndNoHeldOutProblem) {
  auto t = make_task("arithmetic");
  CorpusOptions o;
  o.n = 400;
  o.wrong_fraction = 0.25;
  o.seed = 3;
  auto items = make_corpus(*t, o);
  ASSERT_EQ(items.size(), 400u);
  int wrong = 0;
  std::set<std::string> held;
  for (uint64_t s = 0; s < 3; s++)
    for (auto& id : ids(t->problems(s, 200, TaskSplit::test))) held.insert(id);
  RewardConfig r;
  for (const CorpusItem& it : items) {
    wrong += !it.correct;
    EXPECT_EQ(held.count(it.problem.id), 0u);
    EXPECT_EQ(it.text().rfind("A conversation between User and Assistant.", 0), 0u);
    EXPECT_EQ(t->grade(it.completion, it.problem, r).accuracy, it.correct ? 1 : 0) << it.completion;
  }
  EXPECT_EQ(wrong, 100);
  o.open_think = true;
  for (const CorpusItem& it : make_corpus(*t, o)) {
    EXPECT_EQ(it.prompt.substr(it.prompt.size() - 18), "Assistant: <think>") << it.prompt;
    GradeOptions go;
    go.started_in_think = true;
    Grade g = t->grade(it.completion, it.problem, r, go);
    EXPECT_EQ(g.format, 1) << it.completion;
    EXPECT_EQ(g.accuracy, it.correct ? 1 : 0);
  }
  EXPECT_THROW(make_corpus(*make_task("jsonl:x.jsonl"), o), Error);
}
