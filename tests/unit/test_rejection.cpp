// Rejection sampling's filters (rl/rejection.h, rl/language.h) on hand-written completions: each filter catches
// what it is for (a wrong answer, a broken format, a truncated sample, a runaway loop or length, a chain of thought
// in another language) and lets honest completions through; graded by the real arithmetic task's checker. Also
// the SFT sample's assistant turn (the <think> opening the prompt supplied) and that seek sft's reader takes a
// line with its "meta".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "rl/rejection.h"
#include "rl/sft_data.h"
#include "rl/task.h"
#include "text/chat/chat_template.h"

using namespace seek;

namespace {

const std::string kQuestion = "Compute 7 + 4 + 5";

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; i++) out += s;
  return out;
}

// A completion of kQuestion (reference answer 16) through the task's checker and the filters; chat prompts (think
// format) that opened <think>, as the R1 template does.
Screening screen(const std::string& completion, bool truncated = false, const RejectionRules& rules = {}) {
  auto task = make_task("arithmetic");
  Problem p;
  p.question = kQuestion;
  p.answer = "16";
  RewardConfig r;
  r.format_rule = FormatRule::think;
  GradeOptions o;
  o.started_in_think = true;
  const Grade g = task->grade(completion, p, r, o);
  return screen_completion({kQuestion, completion, true, g.accuracy, g.format, truncated}, rules);
}

using Reasons = std::vector<std::string>;

}  // namespace

TEST(Rejection, CorrectAndWellFormedIsKept) {
  const Screening s = screen("7 + 4 = 11, 11 + 5 = 16.\n</think>\n\nThe answer is \\boxed{16}.");
  EXPECT_TRUE(s.kept()) << ::testing::PrintToString(s.reasons());
  EXPECT_EQ(s.reasons(), Reasons{});
}

TEST(Rejection, WrongAnswer) {
  const Screening s = screen("7 + 4 = 11, 11 + 5 = 17.\n</think>\n\n\\boxed{17}");
  EXPECT_EQ(s.reasons(), Reasons{"incorrect"});
}

TEST(Rejection, BrokenFormat) {
  // R1's empty reasoning ("<think>\n\n</think>"): the answer is right, the format is not
  EXPECT_EQ(screen("\n</think>\n\n\\boxed{16}").reasons(), Reasons{"format"});
  // reasoning that never closed has no answer either
  EXPECT_EQ(screen("7 + 4 = 11, so \\boxed{16}").reasons(), (Reasons{"incorrect", "format"}));
}

TEST(Rejection, Truncated) {
  // a sample cut by the token limit is dropped even when its text happens to grade well
  EXPECT_EQ(screen("7 + 4 + 5 = 16\n</think>\n\n\\boxed{16}", true).reasons(), Reasons{"truncated"});
}

TEST(Rejection, RunawayRepeat) {
  const std::string loop = repeat("Wait, let me check again. ", 4);  // 104 bytes, the same sentence 4 times
  EXPECT_TRUE(has_repeat_loop(loop));
  EXPECT_EQ(screen("7 + 4 = 11. " + loop + "11 + 5 = 16\n</think>\n\n\\boxed{16}").reasons(), Reasons{"runaway"});
  EXPECT_TRUE(has_repeat_loop("x" + repeat("=", 64)));
  EXPECT_TRUE(has_repeat_loop(repeat("ok ", 22)));  // 66 bytes of one short word
}

TEST(Rejection, HonestRepetitionIsNoLoop) {
  EXPECT_FALSE(has_repeat_loop(repeat("Wait, let me check again. ", 3)));             // three times is not yet a loop
  EXPECT_FALSE(has_repeat_loop(repeat("=", 63)));                                     // shorter than 64 bytes
  EXPECT_FALSE(has_repeat_loop("a\n" + repeat(" ", 200) + "b" + repeat("\n", 100)));  // whitespace only
  std::string counting;  // a repeated shape whose numbers change
  for (int i = 0; i < 40; i++) counting += "step " + std::to_string(i) + ": add 1. ";
  EXPECT_FALSE(has_repeat_loop(counting));
  EXPECT_FALSE(has_repeat_loop("7 + 4 = 11, 11 + 5 = 16. Checking: 16 - 5 = 11, 11 - 4 = 7. So 16."));
}

TEST(Rejection, RunawayLength) {
  const std::string c = "7 + 4 + 5 = 16\n</think>\n\n\\boxed{16}";
  RejectionRules rules;
  rules.max_chars = int64_t(c.size());
  EXPECT_TRUE(screen(c, false, rules).kept());
  rules.max_chars = int64_t(c.size()) - 1;
  EXPECT_EQ(screen(c, false, rules).reasons(), Reasons{"runaway"});
  EXPECT_EQ(count_chars("7加4等于11"), 7);  // characters, not bytes
  rules.max_chars = 0;
  EXPECT_THROW(rules.validate(), Error);
}

TEST(Rejection, MixedLanguage) {
  // an English question, reasoning that drifts into Chinese
  const Screening s = screen("First add seven and four: eleven. 然后加五得十六。\n</think>\n\n\\boxed{16}");
  EXPECT_EQ(s.reasons(), Reasons{"mixed_language"});
  // the answer after </think> is not the chain of thought
  EXPECT_TRUE(screen("First add seven and four, then five.\n</think>\n\n答案是 \\boxed{16}").kept());
  // a few foreign words among many are tolerated up to max_foreign
  const std::string cot = "Seven plus four makes eleven and eleven plus five makes sixteen 十";
  EXPECT_TRUE(screen(cot + "\n</think>\n\n\\boxed{16}").kept());  // 1 of 12 words: 0.083
  RejectionRules strict;
  strict.max_foreign = 0.05;
  EXPECT_EQ(screen(cot + "\n</think>\n\n\\boxed{16}", false, strict).reasons(), Reasons{"mixed_language"});
}

TEST(Rejection, NotationIsNotLanguage) {
  // variables (one letter, any script) and LaTeX commands are notation
  EXPECT_EQ(script_words("Let x = \\frac{π}{θ} and n be the radius"), std::vector<Script>(5, Script::latin));
  EXPECT_DOUBLE_EQ(foreign_fraction("The area is πr² with π ≈ 3.14159", Script::latin), 0.0);
  // a Greek word is a foreign word
  EXPECT_DOUBLE_EQ(foreign_fraction("the word λόγος means word", Script::latin), 0.2);
  // Chinese reasoning with LaTeX and a variable stays Chinese
  EXPECT_EQ(dominant_script("设 x 为半径，则面积为 \\pi x^2"), Script::cjk);
  EXPECT_DOUBLE_EQ(foreign_fraction("设 x 为半径，则面积为 \\pi x^2", Script::cjk), 0.0);
}

TEST(Rejection, Scripts) {
  EXPECT_EQ(letter_script(U'a'), Script::latin);
  EXPECT_EQ(letter_script(U'é'), Script::latin);
  EXPECT_EQ(letter_script(U'Ж'), Script::cyrillic);
  EXPECT_EQ(letter_script(U'ש'), Script::hebrew);
  EXPECT_EQ(letter_script(U'ب'), Script::arabic);
  EXPECT_EQ(letter_script(U'क'), Script::devanagari);
  EXPECT_EQ(letter_script(U'ก'), Script::thai);
  EXPECT_EQ(letter_script(U'한'), Script::hangul);
  EXPECT_EQ(letter_script(U'字'), Script::cjk);
  EXPECT_EQ(letter_script(U'カ'), Script::cjk);
  for (char32_t c : {U'7', U' ', U'+', U'。', U'，', U'×', U'÷', U'٣', U'०'}) EXPECT_EQ(letter_script(c), Script::none);
  // CJK characters are words each; other scripts' words are runs of letters; marks continue a word
  EXPECT_EQ(script_words("十六 sixteen"), (std::vector<Script>{Script::cjk, Script::cjk, Script::latin}));
  EXPECT_EQ(script_words("cafe\xCC\x81 ok"), (std::vector<Script>{Script::latin, Script::latin}));
  EXPECT_EQ(script_words("Привет, world"), (std::vector<Script>{Script::cyrillic, Script::latin}));
  EXPECT_EQ(dominant_script("12 + 34"), Script::none);
  EXPECT_EQ(script_words("bad \xFF\xFE bytes"), (std::vector<Script>{Script::latin, Script::latin}));
}

TEST(Rejection, QuestionWithoutWordsUsesTheReasoningsOwnScript) {
  auto screen_q = [](const std::string& q, const std::string& c) {
    return screen_completion({q, c, true, 1, 1, false}, RejectionRules{}).mixed_language;
  };
  EXPECT_FALSE(screen_q("12 + 34 = ?", "twelve plus thirty four is forty six\n</think>\n\n46"));
  EXPECT_FALSE(screen_q("12 + 34 = ?", "十二加三十四等于四十六\n</think>\n\n46"));
  EXPECT_TRUE(screen_q("12 + 34 = ?", "twelve plus thirty four 等于四十六\n</think>\n\n46"));  // 4 of 9
  // a Chinese question with Chinese reasoning is consistent; English reasoning is not
  EXPECT_FALSE(screen_q("计算 12 加 34", "十二加三十四等于四十六\n</think>\n\n46"));
  EXPECT_TRUE(screen_q("计算 12 加 34", "twelve plus thirty four is forty six\n</think>\n\n46"));
}

TEST(Rejection, ChainOfThought) {
  EXPECT_EQ(chain_of_thought("a b\n</think>\n\nc", true), "a b\n");
  EXPECT_EQ(chain_of_thought(" <think>r</think> <answer>5</answer>", false), "r");
  EXPECT_EQ(chain_of_thought("never closed", true), "never closed");
  EXPECT_EQ(chain_of_thought("no tags at all", false), "no tags at all");
}

TEST(Rejection, AssistantContentAsTheModelWroteIt) {
  // the R1 template's generation prompt opened "<think>\n": the trained turn starts with it
  EXPECT_EQ(assistant_content("<｜User｜>q<｜Assistant｜><think>\n", true, "r\n</think>\n\n\\boxed{5}"),
            "<think>\nr\n</think>\n\n\\boxed{5}");
  // R1-Zero's plain template, with and without the opened tag
  EXPECT_EQ(assistant_content("... User: q. Assistant: <think>", true, "r</think> <answer>5</answer>"),
            "<think>r</think> <answer>5</answer>");
  EXPECT_EQ(assistant_content("... User: q. Assistant:", false, " <think>r</think> <answer>5</answer>"),
            "<think>r</think> <answer>5</answer>");
}

TEST(Rejection, SftReaderTakesALineWithMeta) {
  const nlohmann::json line = {
      {"messages",
       {{{"role", "user"}, {"content", kQuestion}},
        {{"role", "assistant"}, {"content", "<think>\n7 + 4 + 5 = 16\n</think>\n\n\\boxed{16}"}}}},
      {"meta", {{"task", "arithmetic"}, {"id", kQuestion}, {"sample", 0}, {"accuracy", 1}}}};
  const rl::SftText t = rl::render_sft_sample(ChatTemplate::builtin(BuiltinChat::deepseek_r1), line, "test:1");
  EXPECT_TRUE(t.prompt.ends_with("<｜Assistant｜>")) << t.prompt;
  EXPECT_EQ(t.completion, "<think>\n7 + 4 + 5 = 16\n</think>\n\n\\boxed{16}<｜end▁of▁sentence｜>");
}
