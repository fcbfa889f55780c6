// The reasoning/answer splitter. Expected splits are written by hand from the rules in infer/reasoning.h; the
// streaming splitter must give the same result for every way of cutting the text into chunks (every single cut
// point, every pair of cut points, byte by byte), must never emit empty events, never put reasoning after
// answer, and never split a UTF-8 character across events.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "infer/reasoning.h"

using seek::ReasoningSplitter;
using seek::SplitText;
using seek::TextEvent;
using seek::TextKind;

namespace {

struct Case {
  std::string text;
  bool started_in_reasoning;
  std::string reasoning, answer;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      // R1-style output with the conventional newlines
      {"<think>\nLet me see.\n</think>\n\nThe answer is 4.", false, "Let me see.", "The answer is 4."},
      // generation began inside reasoning (the prompt ended with "<think>\n")
      {"Let me see.\n</think>\n\nThe answer is 4.", true, "Let me see.", "The answer is 4."},
      {"\nhmm</think>ok", true, "hmm", "ok"},
      // no tags at all: a plain model, everything verbatim (leading whitespace included)
      {"  Hello\nworld  ", false, "", "  Hello\nworld  "},
      {"", false, "", ""},
      {"", true, "", ""},
      // empty reasoning
      {"<think>\n\n</think>\n\nHi", false, "", "Hi"},
      {"<think></think>", false, "", ""},
      // whitespace before the opening tag is dropped
      {"\n <think>a</think>b", false, "a", "b"},
      // an opening tag that is not at the start is just text
      {"Hi <think>x</think> y", false, "", "Hi <think>x</think> y"},
      // unterminated reasoning (generation stopped): all reasoning, trimmed
      {"<think>\nstep 1\nstep 2\n", false, "step 1\nstep 2", ""},
      {"still thinking </thi", true, "still thinking </thi", ""},
      // partial tags that turn out not to be tags
      {"<think>a </thinking> b</think>c", false, "a </thinking> b", "c"},
      {"<thinking>x", false, "", "<thinking>x"},
      {"<thin", false, "", "<thin"},
      // after the close everything is answer, further tags included
      {"<think>r</think>\n\na</think>b<think>c", false, "r", "a</think>b<think>c"},
      // inner whitespace and trailing answer whitespace are kept
      {"<think> a \n\n b \n</think> \t\n answer \n", false, "a \n\n b", "answer \n"},
      // multi-byte text around and inside
      {"<think>\n思考🤔 é\n</think>\n\n答案：四 👍", false, "思考🤔 é", "答案：四 👍"},
      {"推理</think>\n\n答", true, "推理", "答"},
  };
  return all;
}

// Runs the streaming splitter over the chunks and checks the event invariants.
SplitText stream(const std::vector<std::string>& chunks, bool started) {
  ReasoningSplitter s(started);
  SplitText out;
  bool saw_answer = false;
  auto take = [&](const std::vector<TextEvent>& events) {
    for (const auto& e : events) {
      EXPECT_FALSE(e.text.empty());
      // A UTF-8 character is never cut: the event neither starts with a continuation byte nor ends inside one.
      EXPECT_NE(static_cast<unsigned char>(e.text.front()) & 0xC0, 0x80) << e.text;
      if (e.kind == TextKind::reasoning) {
        EXPECT_FALSE(saw_answer) << "reasoning after answer";
        out.reasoning += e.text;
      } else {
        saw_answer = true;
        out.answer += e.text;
      }
    }
  };
  for (const auto& c : chunks) take(s.feed(c));
  take(s.finish());
  return out;
}

bool utf8_complete(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (i + n > s.size()) return false;
    i += n;
  }
  return true;
}

}  // namespace

TEST(Reasoning, WholeStringSplit) {
  for (const auto& c : cases()) {
    const SplitText got = seek::split_reasoning(c.text, c.started_in_reasoning);
    EXPECT_EQ(got.reasoning, c.reasoning) << c.text;
    EXPECT_EQ(got.answer, c.answer) << c.text;
  }
}

TEST(Reasoning, EverySplitPointGivesTheWholeStringResult) {
  for (const auto& c : cases()) {
    const SplitText whole = seek::split_reasoning(c.text, c.started_in_reasoning);
    for (size_t i = 0; i <= c.text.size(); ++i) {
      const SplitText got = stream({c.text.substr(0, i), c.text.substr(i)}, c.started_in_reasoning);
      EXPECT_EQ(got.reasoning, whole.reasoning) << c.text << " cut at " << i;
      EXPECT_EQ(got.answer, whole.answer) << c.text << " cut at " << i;
    }
  }
}

TEST(Reasoning, EveryPairOfSplitPoints) {
  for (const auto& c : cases()) {
    const SplitText whole = seek::split_reasoning(c.text, c.started_in_reasoning);
    for (size_t i = 0; i <= c.text.size(); ++i) {
      for (size_t j = i; j <= c.text.size(); ++j) {
        const SplitText got =
            stream({c.text.substr(0, i), c.text.substr(i, j - i), c.text.substr(j)}, c.started_in_reasoning);
        ASSERT_EQ(got.reasoning, whole.reasoning) << c.text << " cut at " << i << "," << j;
        ASSERT_EQ(got.answer, whole.answer) << c.text << " cut at " << i << "," << j;
      }
    }
  }
}

TEST(Reasoning, ByteByByteNeverSplitsCharacters) {
  for (const auto& c : cases()) {
    std::vector<std::string> bytes;
    for (char ch : c.text) bytes.emplace_back(1, ch);
    ReasoningSplitter s(c.started_in_reasoning);
    std::string reasoning, answer;
    for (const auto& b : bytes) {
      for (const auto& e : s.feed(b)) {
        EXPECT_TRUE(utf8_complete(e.text)) << c.text;
        (e.kind == TextKind::reasoning ? reasoning : answer) += e.text;
      }
    }
    for (const auto& e : s.finish()) (e.kind == TextKind::reasoning ? reasoning : answer) += e.text;
    EXPECT_EQ(reasoning, c.reasoning) << c.text;
    EXPECT_EQ(answer, c.answer) << c.text;
  }
}

TEST(Reasoning, StreamsWithoutWaitingForTheEnd) {
  // Decided text comes out as soon as it is decided, not at finish().
  ReasoningSplitter s(false);
  auto ev = s.feed("<think>\nfirst step");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, TextKind::reasoning);
  EXPECT_EQ(ev[0].text, "first step");
  EXPECT_TRUE(s.in_reasoning());
  ev = s.feed("\n</thi");  // could be the close tag: held back
  EXPECT_TRUE(ev.empty());
  ev = s.feed("nk>\n\nAns");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, TextKind::answer);
  EXPECT_EQ(ev[0].text, "Ans");
  EXPECT_FALSE(s.in_reasoning());
  // A plain model's answer is not held back.
  ReasoningSplitter plain(false);
  ev = plain.feed("Hello");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].text, "Hello");
}

TEST(Reasoning, PromptOpensReasoning) {
  EXPECT_TRUE(seek::prompt_opens_reasoning("<｜User｜>hi<｜Assistant｜><think>\n"));
  EXPECT_TRUE(seek::prompt_opens_reasoning("x<think>"));
  EXPECT_FALSE(seek::prompt_opens_reasoning("<｜User｜>hi<｜Assistant｜>"));
  EXPECT_FALSE(seek::prompt_opens_reasoning("<think></think>"));
  EXPECT_FALSE(seek::prompt_opens_reasoning(""));
}
