// The format rules (rl/format.h), the reward and its components (rl/reward.h), and grading end to end for
// numeric tasks: no answer, two answers, format violations, gating, the length penalty. Expected values by hand.
#include <gtest/gtest.h>

#include "core/error.h"
#include "rl/task.h"

using namespace seek;

TEST(RlFormat, R1ZeroWellFormed) {
  auto ok = [](const char* s, bool in_think = false) { return well_formed(s, in_think, FormatRule::r1_zero); };
  EXPECT_TRUE(ok("<think>3+4=7</think> <answer>7</answer>"));
  EXPECT_TRUE(ok("  <think>\nsteps\n</think>\n<answer>7</answer>\n"));
  EXPECT_TRUE(ok("3+4=7</think> <answer>7</answer>", true));                   // the prompt opened <think>
  EXPECT_FALSE(ok("<think>3+4=7</think> <answer>7</answer>", true));           // then a second <think> is nested
  EXPECT_FALSE(ok("3+4=7</think> <answer>7</answer>"));                        // no opening tag
  EXPECT_FALSE(ok("<answer>7</answer>"));                                      // no reasoning
  EXPECT_FALSE(ok("<think> </think> <answer>7</answer>"));                     // empty reasoning
  EXPECT_FALSE(ok("<think>r</think> <answer> </answer>"));                     // empty answer
  EXPECT_FALSE(ok("<think>r</think> 7"));                                      // answer not in tags
  EXPECT_FALSE(ok("<think>r</think> so <answer>7</answer>"));                  // text between the blocks
  EXPECT_FALSE(ok("<think>r</think> <answer>7</answer> and more"));            // text after the answer
  EXPECT_FALSE(ok("<think>r</think> <answer>7</answer><answer>8</answer>"));   // two answers
  EXPECT_FALSE(ok("<think>r <answer>7</answer></think> <answer>7</answer>"));  // tags inside reasoning
  EXPECT_FALSE(ok("<think>r</think> <answer>7"));                              // unclosed (stop string not put back)
  EXPECT_FALSE(ok("<think>a</think><think>b</think> <answer>7</answer>"));
  EXPECT_FALSE(ok("x <think>r</think> <answer>7</answer>"));  // text before <think>
}

TEST(RlFormat, ThinkRule) {
  auto ok = [](const char* s, bool in_think = false) { return well_formed(s, in_think, FormatRule::think); };
  EXPECT_TRUE(ok("Let me see.\n</think>\n\nThe answer is \\boxed{4}.", true));
  EXPECT_TRUE(ok("<think>r</think> 4"));
  EXPECT_FALSE(ok("Let me see. The answer is 4.", true));  // reasoning never closed
  EXPECT_FALSE(ok("r</think>  ", true));                   // nothing after the reasoning
  EXPECT_FALSE(ok("r</think> 4 </think>", true));
  EXPECT_THROW(parse_format_rule("xml"), Error);
}

TEST(RlReward, ComponentsGatingAndLength) {
  RewardConfig r;  // accuracy 1, format 0.1
  RewardParts p = combine_reward(1, 1, std::nullopt, r);
  EXPECT_DOUBLE_EQ(p.total, 1.1);
  p = combine_reward(1, 0, std::nullopt, r);
  EXPECT_DOUBLE_EQ(p.total, 1.0);
  r.gate_on_format = true;
  p = combine_reward(1, 0, std::nullopt, r);
  EXPECT_DOUBLE_EQ(p.accuracy, 0.0);
  EXPECT_DOUBLE_EQ(p.total, 0.0);
  r.length_max = 100;
  r.length_buffer = 20;
  r.length_weight = 0.5;
  EXPECT_THROW(combine_reward(1, 1, std::nullopt, r), Error);
  EXPECT_DOUBLE_EQ(combine_reward(1, 1, 80, r).length, 0.0);
  EXPECT_DOUBLE_EQ(combine_reward(1, 1, 90, r).length, -0.25);  // half-way into the buffer: 0.5 * 10/20
  EXPECT_DOUBLE_EQ(combine_reward(1, 1, 100, r).length, -0.5);
  EXPECT_DOUBLE_EQ(combine_reward(1, 1, 101, r).length, -0.5);
  EXPECT_DOUBLE_EQ(combine_reward(1, 1, 90, r).total, 1.1 - 0.25);
  nlohmann::json j = combine_reward(0, 1, 90, r).json();
  EXPECT_EQ(j.size(), 3u);
  EXPECT_DOUBLE_EQ(j["format"].get<double>(), 0.1);
}

TEST(RlReward, FromJson) {
  RewardConfig r = RewardConfig::from_json(
      {{"accuracy", 2.0}, {"format", 0.5}, {"gate_on_format", true}, {"format_rule", "think"}, {"length_max", 64}});
  EXPECT_EQ(r.accuracy_weight, 2.0);
  EXPECT_EQ(r.format_rule, FormatRule::think);
  EXPECT_EQ(RewardConfig::from_json(r.to_json()).to_json(), r.to_json());
  EXPECT_THROW(RewardConfig::from_json({{"acuracy", 1}}), Error);
  EXPECT_THROW(RewardConfig::from_json({{"format", "high"}}), Error);
  EXPECT_THROW(RewardConfig::from_json({{"length_max", 10}, {"length_buffer", 20}}), Error);
}

TEST(RlGrade, ArithmeticAndGsmCases) {
  auto arith = make_task("arithmetic");
  auto gsm = make_task("gsm8k");  // the data is only read when problems are asked for
  Problem p;
  p.answer = "1000";
  RewardConfig r;
  struct Case {
    const Task* task;
    std::string completion;
    int accuracy, format;
    std::optional<std::string> extracted;
  };
  const Task* A = arith.get();
  const Task* G = gsm.get();
  const std::vector<Case> cases = {
      {A, "<think>500*2=1000</think> <answer>1000</answer>", 1, 1, "1000"},
      {A, "<think>500*2=1000</think> <answer>1,000</answer>", 1, 1, "1,000"},
      {A, "<think>500*2=1000</think> <answer>1000.0</answer>", 1, 1, "1000.0"},
      {A, "<think>500*2=1000</think> <answer>999</answer>", 0, 1, "999"},
      {A, "<think>500*2=1000</think> 1000", 0, 0, std::nullopt},               // no marked answer, no fallback here
      {G, "<think>500*2=1000</think> 1000", 1, 0, "1000"},                     // GSM8K allows the last number
      {A, "<think>x</think> \\boxed{1000} \\boxed{1000.00}", 1, 0, "1000"},    // two boxes, same number
      {A, "<think>x</think> \\boxed{1000} \\boxed{999}", 0, 0, std::nullopt},  // two answers that differ
      {A, "<think>1000 or so</think>", 0, 0, std::nullopt},                    // nothing after the reasoning
      {A, "<think>thinking about \\boxed{1000}", 0, 0, std::nullopt},          // never closed
      {G, "The total is 500 * 2 = 1000.\n#### 1000", 1, 0, "1000"},
      {G, "\\boxed{\\$1{,}000}", 1, 0, "\\$1{,}000"},
      {A, "<think>r</think> <answer>\\boxed{1000}</answer>", 1, 1, "1000"},
  };
  for (const Case& c : cases) {
    Grade g = c.task->grade(c.completion, p, r);
    EXPECT_EQ(g.accuracy, c.accuracy) << c.completion << ": " << g.note;
    EXPECT_EQ(g.format, c.format) << c.completion;
    EXPECT_EQ(g.extracted, c.extracted) << c.completion;
    EXPECT_DOUBLE_EQ(g.reward, c.accuracy + 0.1 * c.format) << c.completion;
    EXPECT_EQ(g.components.size(), 3u);
  }
  Grade g = arith->grade("<think>x</think> \\boxed{1000} \\boxed{999}", p, r);
  EXPECT_EQ(g.note, "conflicting answers: 1000 | 999");
  EXPECT_FALSE(g.key);
  // negative answers with U+2212
  p.answer = "-5";
  EXPECT_EQ(arith
                ->grade("<think>r</think> <answer>\xE2\x88\x92"
                        "5</answer>",
                        p, r)
                .accuracy,
            1);
  EXPECT_EQ(arith->grade("<think>r</think> <answer>5</answer>", p, r).accuracy, 0);
  // fractions
  p.answer = "3/4";
  EXPECT_EQ(arith->grade("<think>r</think> <answer>\\frac{3}{4}</answer>", p, r).accuracy, 1);
  EXPECT_EQ(arith->grade("<think>r</think> <answer>0.75</answer>", p, r).accuracy, 1);
  EXPECT_EQ(arith->grade("<think>r</think> <answer>0.7</answer>", p, r).accuracy, 0);
  // percent: allowed for GSM8K, not for arithmetic
  p.answer = "25";
  EXPECT_EQ(gsm->grade("#### 25%", p, r).accuracy, 1);
  EXPECT_EQ(arith->grade("<think>r</think> <answer>25%</answer>", p, r).accuracy, 0);
}
