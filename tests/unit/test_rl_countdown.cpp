// The countdown checker (rl/countdown.h) and the countdown task's grading: hand-made expressions for every rule
// (numbers reused, numbers not given, glued digits, division by zero, non-integer intermediates under both rules,
// unary minus, false equations), values computed by hand.
#include <gtest/gtest.h>

#include "rl/countdown.h"
#include "rl/task.h"

using namespace seek;

namespace {
CountdownResult check(const std::string& e, std::vector<int64_t> nums, bool integer = false, bool all = false) {
  return check_countdown(e, nums, CountdownRules{integer, all});
}
}  // namespace

TEST(RlCountdown, ValidExpressionsAreEvaluatedExactly) {
  auto r = check("(25 - 5) * 4 + 3", {3, 4, 5, 25});
  ASSERT_TRUE(r.valid) << r.note;
  EXPECT_EQ(*r.value, Rational(83));
  EXPECT_EQ(*check("3 × 4 ÷ 2", {2, 3, 4}).value, Rational(6));
  EXPECT_EQ(*check("3 \\times (4 \\div 2)", {2, 3, 4}).value, Rational(6));
  EXPECT_EQ(*check("$8 \xE2\x88\x92 3$", {3, 8}).value, Rational(5));  // U+2212 minus, math dollars
  EXPECT_EQ(*check("10 - 2 - 3", {2, 3, 10}).value, Rational(5));      // left associative
  EXPECT_EQ(*check("12 / 2 / 3", {2, 3, 12}).value, Rational(2));
  EXPECT_EQ(*check("2 + 3 * 4", {2, 3, 4}).value, Rational(14));  // precedence
  // at most once: a subset of the numbers is fine
  EXPECT_TRUE(check("5 * 4", {3, 4, 5}).valid);
  // a number given twice may be used twice
  EXPECT_TRUE(check("5 * 5", {5, 5, 2}).valid);
}

TEST(RlCountdown, NonIntegerIntermediatesDependOnTheRule) {
  // 6 / (1 - 3/4) = 24
  auto r = check("6 / (1 - 3 / 4)", {1, 3, 4, 6});
  ASSERT_TRUE(r.valid) << r.note;
  EXPECT_EQ(*r.value, Rational(24));
  auto strict = check("6 / (1 - 3 / 4)", {1, 3, 4, 6}, /*integer=*/true);
  EXPECT_FALSE(strict.valid);
  EXPECT_NE(strict.note.find("non-integer"), std::string::npos) << strict.note;
  EXPECT_TRUE(check("8 / 4 * 3", {3, 4, 8}, true).valid);  // exact divisions are fine
  // a non-integer final value is a value, just not a whole target
  EXPECT_EQ(*check("7 / 2", {2, 7}).value, Rational(7, 2));
}

TEST(RlCountdown, NumberRulesAndMalformedExpressions) {
  auto bad = [](const std::string& e, std::vector<int64_t> nums, const char* why, bool all = false) {
    auto r = check(e, nums, false, all);
    EXPECT_FALSE(r.valid) << e;
    EXPECT_NE(r.note.find(why), std::string::npos) << e << ": " << r.note;
  };
  bad("5 + 5", {5, 3}, "used too often");
  bad("5 + 7", {5, 3}, "not given: 7");
  bad("12 + 3", {1, 2, 3}, "not given: 12");  // digits glued together
  bad("5 / (3 - 3)", {5, 3, 3}, "division by zero");
  bad("-5 + 8", {5, 8}, "unary -");
  bad("8 + (-5)", {5, 8}, "unary -");
  bad("2(3 + 4)", {2, 3, 4}, "implicit multiplication");
  bad("2.5 * 2", {2, 5}, "whole numbers");
  bad("(3 + 4", {3, 4}, "unbalanced");
  bad("3 + 4)", {3, 4}, "unexpected ')'");
  bad("3 +", {3}, "incomplete");
  bad("", {3}, "incomplete");
  bad("3 + x", {3}, "unexpected 'x'");
  bad("3 + 4", {3, 4, 5}, "not used: 5", /*all=*/true);
  bad("3 + 4 = 8", {3, 4}, "false equation");
  bad("3 = 4 = 7", {3, 4}, "more than one");
}

TEST(RlCountdown, EquationsAreAcceptedWhenTrue) {
  EXPECT_EQ(*check("3 + 4 = 7", {3, 4}).value, Rational(7));
  EXPECT_EQ(*check("7 = 3 + 4", {3, 4}).value, Rational(7));
}

TEST(RlCountdown, TaskGradesAgainstTheTarget) {
  auto task = make_task("countdown");
  Problem p = task->problem_from_json({{"numbers", {3, 4, 5, 25}}, {"target", 83}}, "test");
  RewardConfig r;
  auto g = task->grade("<think>25-5=20, 20*4=80, 80+3=83</think> <answer>(25-5)*4+3</answer>", p, r);
  EXPECT_EQ(g.accuracy, 1) << g.note;
  EXPECT_EQ(g.format, 1);
  EXPECT_EQ(g.key, "=83");
  g = task->grade("<think>x</think> <answer>(25-5)*4</answer>", p, r);
  EXPECT_EQ(g.accuracy, 0);
  EXPECT_EQ(g.note, "wrong value: 80");
  g = task->grade("<think>x</think> <answer>25*3+4+4</answer>", p, r);  // 83, but 4 used twice
  EXPECT_EQ(g.accuracy, 0);
  EXPECT_NE(g.note.find("used too often"), std::string::npos);
  // two different expressions that both reach the target agree (same key); one wrong one makes them conflict
  g = task->grade("<think>x</think> \\boxed{(25-5)*4+3} \\boxed{3+4*(25-5)}", p, r);
  EXPECT_EQ(g.accuracy, 1) << g.note;
  g = task->grade("<think>x</think> \\boxed{(25-5)*4+3} \\boxed{25+3}", p, r);
  EXPECT_EQ(g.accuracy, 0);
  EXPECT_FALSE(g.extracted);
  // the last number is not an answer for countdown
  g = task->grade("<think>x</think> the answer is 83", p, r);
  EXPECT_EQ(g.accuracy, 0);
  EXPECT_EQ(g.note, "no answer");
}
