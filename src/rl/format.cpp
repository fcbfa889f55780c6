#include "rl/format.h"

#include "core/error.h"
#include "rl/answer.h"

namespace seek {

namespace {
constexpr std::string_view kThink = "<think>", kEndThink = "</think>", kAnswer = "<answer>", kEndAnswer = "</answer>";

bool has_tag(std::string_view s, bool answer_tags) {
  for (std::string_view t : {kThink, kEndThink})
    if (s.find(t) != std::string_view::npos) return true;
  if (answer_tags)
    for (std::string_view t : {kAnswer, kEndAnswer})
      if (s.find(t) != std::string_view::npos) return true;
  return false;
}

// Strips `tag` (after leading whitespace) from the front of s; false if it is not there.
bool take_prefix(std::string_view& s, std::string_view tag) {
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r')) b++;
  if (s.substr(b, tag.size()) != tag) return false;
  s.remove_prefix(b + tag.size());
  return true;
}
}  // namespace

FormatRule parse_format_rule(const std::string& name) {
  if (name == "r1-zero" || name == "r1_zero") return FormatRule::r1_zero;
  if (name == "think") return FormatRule::think;
  throw Error("format rule '" + name + "': expected r1-zero or think");
}

const char* format_rule_name(FormatRule r) { return r == FormatRule::r1_zero ? "r1-zero" : "think"; }

bool well_formed(std::string_view completion, bool started_in_think, FormatRule rule) {
  std::string full = (started_in_think ? std::string(kThink) : std::string()) + std::string(completion);
  std::string_view s = full;
  if (!take_prefix(s, kThink)) return false;
  size_t close = s.find(kEndThink);
  if (close == std::string_view::npos) return false;
  std::string_view reasoning = s.substr(0, close), rest = s.substr(close + kEndThink.size());
  if (trim(reasoning).empty() || has_tag(reasoning, rule == FormatRule::r1_zero)) return false;
  if (rule == FormatRule::think) return !trim(rest).empty() && !has_tag(rest, false);
  if (!take_prefix(rest, kAnswer)) return false;
  size_t end = rest.find(kEndAnswer);
  if (end == std::string_view::npos) return false;
  std::string_view answer = rest.substr(0, end), after = rest.substr(end + kEndAnswer.size());
  return !trim(answer).empty() && !has_tag(answer, true) && trim(after).empty();
}

}  // namespace seek
