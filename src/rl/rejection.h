// R1's rejection sampling filters (spec §6, pipeline step 3): which sampled completions become SFT data. A
// completion is kept only when it passes all five; each is checked on its own, so one completion can fail several.
//
//   incorrect       the task's exact checker did not accept the answer (accuracy reward 0)
//   format          the format check failed (rl/format.h: r1-zero for R1-Zero prompts, think for chat prompts)
//   truncated       generation ran out of tokens or context (finish length / context)
//   runaway         longer than max_chars characters (code points), or caught in a loop (has_repeat_loop)
//   mixed_language  the chain of thought is not in the question's language: more than max_foreign of its counted
//                   words (rl/language.h) are in a script other than the question's dominant one (when the question
//                   has no words, the chain of thought's own dominant script, so the rule is then "mixes scripts")
//
// The chain of thought (chain_of_thought) is the text inside the first <think> block ("<think>" counts as written
// when the prompt opened it), up to "</think>" or the end; a completion without "<think>" is all chain of thought.
//
// A loop (has_repeat_loop): some block of p bytes (1 <= p <= 256), not all whitespace, repeated back to back
// at least 4 times, the repeats covering at least 64 bytes: "I think I think I think I think ", 64 "=" in a row,
// a sentence written four times over. Indentation and blank lines are not loops; neither are repeats with
// changes (numbers that count up), which a simple rule cannot tell from honest work.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rl/language.h"

namespace seek {

struct RejectionRules {
  int64_t max_chars = 20000;  // a longer completion is a runaway
  double max_foreign = 0.1;   // mixed language above this share of foreign words in the chain of thought
  void validate() const;      // throws Error naming the option (--max-chars, --max-foreign)
};

std::string_view chain_of_thought(std::string_view completion, bool started_in_think);
bool has_repeat_loop(std::string_view text);
int64_t count_chars(std::string_view text);  // code points (bytes that do not continue a UTF-8 sequence)

// The filters' verdict on one completion.
struct Screening {
  bool incorrect = false, format = false, truncated = false, runaway = false, mixed_language = false;
  bool kept() const { return !incorrect && !format && !truncated && !runaway && !mixed_language; }
  std::vector<std::string> reasons() const;  // the failed filters' names, in the order above
};

struct ScreenInput {
  std::string_view question;  // the problem as asked (its script is the target language)
  std::string_view completion;
  bool started_in_think = false;
  int accuracy = 0, format = 0;  // the task's grade of the completion
  bool truncated = false;        // ran out of tokens or context
};

Screening screen_completion(const ScreenInput& in, const RejectionRules& rules);

// The assistant turn of an SFT sample, as the model wrote it: when the prompt opened "<think>" (the template's
// generation prompt ended in it), that opening from the prompt text (e.g. "<think>\n") and then the completion;
// otherwise the completion with its leading whitespace dropped (R1-Zero prompts end in "Assistant:").
std::string assistant_content(std::string_view prompt_text, bool started_in_think, std::string_view completion);

}  // namespace seek
