// Answer extraction and numeric equivalence (rl/answer.h). Every expectation is written by hand from the rules in
// the header: where answers are looked for, which spans count, and when two answers are the same number.
#include <gtest/gtest.h>

#include "rl/answer.h"

using namespace seek;

namespace {
const AnswerRules kStrict{false, false};
const AnswerRules kLenient{true, true};

std::vector<std::string> candidates(const std::string& completion, const AnswerRules& r, bool in_think = false) {
  return find_candidates(answer_region(completion, in_think), r).answers;
}
}  // namespace

TEST(RlAnswer, RegionIsAfterTheLastThinkClose) {
  EXPECT_EQ(answer_region("<think>x=3</think> 5", false), " 5");
  EXPECT_EQ(answer_region("a</think>b</think>c", false), "c");
  EXPECT_EQ(answer_region("reasoning 3</think>\n\n4", true), "\n\n4");
  // reasoning that never closed has no answer region
  EXPECT_EQ(answer_region("still thinking, maybe \\boxed{3}", true), "");
  EXPECT_EQ(answer_region("<think>still thinking \\boxed{3}", false), "");
  EXPECT_EQ(answer_region("plain text \\boxed{3}", false), "plain text \\boxed{3}");
}

TEST(RlAnswer, NestedBoxedBraces) {
  EXPECT_EQ(find_boxed("so \\boxed{\\frac{3}{4}} done"), std::vector<std::string>{"\\frac{3}{4}"});
  EXPECT_EQ(find_boxed("\\boxed{{a}{b{c}}}"), std::vector<std::string>{"{a}{b{c}}"});
  EXPECT_EQ(find_boxed("\\boxed {7} and \\fbox{8}"), (std::vector<std::string>{"7", "8"}));
  EXPECT_TRUE(find_boxed("\\boxed{\\frac{1}{2}").empty());  // unclosed: ignored
  EXPECT_TRUE(find_boxed("\\boxed 5").empty());             // no braces: not a box
}

TEST(RlAnswer, AnswerTagsWinOverBoxedAndBoxedInsideATagCounts) {
  EXPECT_EQ(candidates("<think>r</think> \\boxed{4} <answer> 5 </answer>", kStrict), std::vector<std::string>{"5"});
  EXPECT_EQ(candidates("<answer>the answer is \\boxed{12}</answer>", kStrict), std::vector<std::string>{"12"});
  // a closing tag without an opening one is no answer; an opening tag inside an unclosed one is ignored
  EXPECT_TRUE(candidates("5</answer>", kStrict).empty());
  EXPECT_EQ(candidates("<answer>1 <answer>2</answer>", kStrict), std::vector<std::string>{"2"});
  // empty tags are no answer
  EXPECT_TRUE(candidates("<answer>  </answer>", kStrict).empty());
}

TEST(RlAnswer, GsmMarkerAndLastNumberFallbackOnlyWhereAllowed) {
  EXPECT_EQ(candidates("9 * 2 = 18\n#### 18\n", kStrict), std::vector<std::string>{"18"});
  EXPECT_TRUE(candidates("so she makes 18 dollars", kStrict).empty());
  EXPECT_EQ(candidates("so she makes 18 dollars", kLenient), std::vector<std::string>{"18"});
  EXPECT_EQ(find_candidates("x", kLenient).source, "none");
}

TEST(RlAnswer, LastNumber) {
  EXPECT_EQ(find_last_number("costs $1,000,000 in total"), "1,000,000");
  EXPECT_EQ(find_last_number("3, 4, 5"), "5");
  EXPECT_EQ(find_last_number("from 5-3 we get -2."), "-2");
  EXPECT_EQ(find_last_number("5-3"), "3");  // a binary minus is not a sign
  EXPECT_EQ(find_last_number("temperature \xE2\x88\x92"
                             "7 degrees"),
            "-7");
  EXPECT_EQ(find_last_number("it is 3/4 of it"), "3/4");
  EXPECT_EQ(find_last_number("pi is 3.14."), "3.14");
  EXPECT_EQ(find_last_number("no digits"), std::nullopt);
}

TEST(RlAnswer, NumericEquivalence) {
  auto eq = [](const char* a, const char* b, AnswerRules r = {false, false}) { return answers_match(a, b, r); };
  EXPECT_TRUE(eq("1,000", "1000"));
  EXPECT_TRUE(eq("1000.0", "1000"));
  EXPECT_TRUE(eq("1,000.00", "1000"));
  EXPECT_TRUE(eq("\\frac{3}{4}", "0.75"));
  EXPECT_TRUE(eq("\\dfrac{3}{4}", "3/4"));
  EXPECT_TRUE(eq(".75", "3/4"));
  EXPECT_TRUE(eq("6/8", "0.75"));
  EXPECT_TRUE(eq("\\frac{-3}{4}", "-0.75"));
  EXPECT_TRUE(eq("-\\frac{3}{4}", "-3/4"));
  EXPECT_TRUE(
      eq("\xE2\x88\x92"
         "5",
         "-5"));  // U+2212
  EXPECT_TRUE(eq("$18", "18"));
  EXPECT_TRUE(eq("\\$18.00", "18"));
  EXPECT_TRUE(eq(" 18 dollars ", "18"));
  EXPECT_TRUE(eq("18 \\text{ dollars}", "18"));
  EXPECT_TRUE(eq("\\text{18}", "18"));
  EXPECT_TRUE(eq("x = 5", "5"));
  EXPECT_TRUE(eq("5.", "5"));
  EXPECT_TRUE(eq("(5)", "5"));
  EXPECT_TRUE(eq("90^\\circ", "90"));
  EXPECT_TRUE(eq("1{,}000", "1000"));
  EXPECT_TRUE(eq("3 km/h", "3"));
  EXPECT_TRUE(eq("+7", "7"));
  // exact, not approximate
  EXPECT_FALSE(eq("0.33", "1/3"));
  EXPECT_FALSE(eq("0.333333333", "1/3"));
  EXPECT_FALSE(eq("5", "-5"));
  EXPECT_FALSE(eq("1,00", "100"));  // not a group of three
  EXPECT_FALSE(eq("1,0000", "10000"));
  EXPECT_FALSE(eq("5 - 3", "5"));    // an expression, not a number with a unit
  EXPECT_FALSE(eq("1 1/2", "1.5"));  // mixed numbers are not numbers
  EXPECT_FALSE(eq("1/0", "0"));
  EXPECT_FALSE(eq("", "0"));
}

TEST(RlAnswer, PercentOnlyWhereTheTaskSaysSo) {
  const AnswerRules pct{false, true};
  EXPECT_TRUE(answers_match("50%", "50", pct));
  EXPECT_TRUE(answers_match("50\\%", "50", pct));
  EXPECT_TRUE(answers_match("50%", "0.5", pct));
  EXPECT_TRUE(answers_match("0.5", "50%", pct));
  EXPECT_FALSE(answers_match("50%", "5", pct));
  EXPECT_FALSE(answers_match("50%", "50", kStrict));  // not a number under this task
  EXPECT_FALSE(answers_match("50%", "0.5", kStrict));
  EXPECT_EQ(answer_key("50%", pct), "50");
}

TEST(RlAnswer, KeysAndTextAnswers) {
  EXPECT_EQ(answer_key("1,000.0", kStrict), "1000");
  EXPECT_EQ(answer_key("\\frac{6}{8}", kStrict), "3/4");
  EXPECT_EQ(answer_key("  Paris. ", kStrict), "text:paris");
  EXPECT_TRUE(answers_match("\\text{Paris}", "paris", kStrict));
  EXPECT_TRUE(answers_match("New   York", "new york", kStrict));
  EXPECT_FALSE(answers_match("Paris", "London", kStrict));
  EXPECT_FALSE(answers_match("5", "five", kStrict));  // a number never equals text
  EXPECT_TRUE(answers_match("\\frac{1}{\\sqrt{2}}", "\\frac{1}{\\sqrt{2}}", kStrict));
}

TEST(RlAnswer, ParseNumberRejectsJunk) {
  EXPECT_FALSE(parse_number("five", false));
  EXPECT_FALSE(parse_number("5 apples and 3 oranges", false));
  EXPECT_FALSE(parse_number("1e3", false));
  EXPECT_FALSE(parse_number("--5", false));
  EXPECT_FALSE(parse_number("99999999999999999999999", false));  // too large: not a number, never a crash
  auto n = parse_number("  -12.5 cm ", false);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->value, Rational(-25, 2));
}
