// Splits generated text into reasoning and answer. Reasoning models write "<think>\n...\n</think>\n\n" before
// the answer; when the prompt itself ended with "<think>\n" (R1's generation prompt), generation starts inside
// the reasoning and only the closing tag appears.
//
// Rules (the streaming splitter and split_reasoning agree on every input):
//  - Not started in reasoning: an opening "<think>" counts only at the very start (after optional whitespace);
//    otherwise everything is answer, verbatim (a model without tags yields only answer).
//  - Reasoning runs to the first "</think>" (or the end of the text). The tags are dropped, and so is the
//    whitespace at both ends of the reasoning and at the start of the answer ("\n\n" after "</think>").
//  - After "</think>" everything is answer, even further tags.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace seek {

enum class TextKind { reasoning, answer };

struct TextEvent {
  TextKind kind;
  std::string text;  // never empty
};

// Feed chunks as they are generated (split anywhere, even inside a tag or a UTF-8 character); each call returns
// what can already be decided. Text is held back only while it could still turn out to be a tag or whitespace
// that gets dropped, and a UTF-8 character is never split across events.
class ReasoningSplitter {
 public:
  explicit ReasoningSplitter(bool started_in_reasoning = false);

  std::vector<TextEvent> feed(std::string_view chunk);
  std::vector<TextEvent> finish();  // end of generation: flush whatever was held back

  bool in_reasoning() const { return state_ == State::reasoning_lead || state_ == State::reasoning; }

 private:
  enum class State { start, reasoning_lead, reasoning, answer_lead, answer };
  void emit(std::vector<TextEvent>& out, TextKind kind, std::string_view text);
  void run(std::vector<TextEvent>& out, bool final);

  State state_;
  std::string pending_;  // text received but not yet decided
};

struct SplitText {
  std::string reasoning;
  std::string answer;
};

SplitText split_reasoning(std::string_view text, bool started_in_reasoning = false);

// True when a rendered prompt ends with an opening "<think>" (plus whitespace), i.e. generation will start inside
// the reasoning.
bool prompt_opens_reasoning(std::string_view prompt);

}  // namespace seek
