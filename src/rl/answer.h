// Reading the final answer out of a completion, and deciding whether two answers are the same number.
//
// Where answers are looked for (answer_region):
//  - text after the last "</think>" when there is one;
//  - otherwise, if the completion started inside reasoning (the prompt opened "<think>") or contains "<think>",
//    nothing: reasoning that never closed has no answer (a truncated trace does not get credit for a number it
//    happened to write while thinking);
//  - otherwise the whole completion.
//
// Which spans are answers (find_candidates), in this order; the first kind present wins:
//  1. the contents of every "<answer>...</answer>" pair (a \boxed{} inside one counts instead of the whole tag);
//  2. every "\boxed{...}" or "\fbox{...}" (nested braces balanced; an unclosed box is ignored);
//  3. the rest of the line after every "####" (GSM8K's marker);
//  4. only where the task allows it (AnswerRules::last_number): the last number in the region.
// Empty spans are dropped. The task then compares the candidates: if they are all the same answer that is the
// answer; if they differ, the completion has NO answer (extracted = null, graded wrong) — writing several answers
// must not win the reward for one of them. No candidate: no answer, graded wrong.
//
// Numeric equivalence (parse_number): exact rationals, so 1,000 = 1000 = 1000.0, \frac{3}{4} = \dfrac{3}{4} =
// 3/4 = 0.75 = .75, -5 = −5 (U+2212); decimals are exact (0.33 != 1/3). Tolerated around a number: whitespace,
// "$", "\$", "€", "£", "\text{...}" and other text wrappers, "^\circ", LaTeX spacing (\, \! \;), a trailing unit
// made of letters ("18 dollars", "5 cm", "3 km/h"), a trailing full stop, one pair of enclosing parentheses or
// braces, and a "lhs =" prefix (the part after the last "=" is the answer). Thousands separators must be proper
// groups of three ("1,00" is not a number). A percent sign ("50%", "50\%") is accepted only where the task allows
// it (AnswerRules::percent): then p% matches a reference equal to p or to p/100. Mixed numbers ("1 1/2") and
// scientific notation are not numbers. Answers that are not numbers are compared as text: lower case, inner
// whitespace collapsed, the same wrappers removed.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rl/rational.h"

namespace seek {

struct AnswerRules {
  bool last_number = false;  // fall back to the last number when no explicit answer is marked
  bool percent = false;      // "50%" is a number (matching 50 or 0.5)
};

std::string_view answer_region(std::string_view completion, bool started_in_think);

std::vector<std::string> find_answer_tags(std::string_view text);    // contents, in order, untrimmed
std::vector<std::string> find_boxed(std::string_view text);          // contents, in order
std::optional<std::string> find_last_number(std::string_view text);  // as written ("1,000", "-5", "3/4")

struct Candidates {
  std::vector<std::string> answers;  // trimmed, non-empty
  std::string source;                // "answer", "boxed", "####", "last_number" or "none"
};
Candidates find_candidates(std::string_view region, const AnswerRules& rules);

// The answer with wrappers, units and spacing removed (see above); the text parse_number reads.
std::string clean_answer(std::string_view answer);

struct Number {
  Rational value;
  bool percent = false;  // written with a percent sign (value is the number before it)
};
// nullopt when the (cleaned) answer is not a number, or is a percentage and percentages are not allowed.
std::optional<Number> parse_number(std::string_view answer, bool allow_percent);

// The canonical form used to compare and to vote: "3/4" for numbers (a percentage by its number), "text:..."
// for anything else.
std::string answer_key(std::string_view answer, const AnswerRules& rules);

// given (a model's answer) against reference (the task's): equal numbers, a percentage as described above, or
// equal normalized text.
bool answers_match(std::string_view given, std::string_view reference, const AnswerRules& rules);

std::string trim(std::string_view s);  // ASCII whitespace at both ends

}  // namespace seek
