#include "rl/rejection.h"

#include <algorithm>

#include "core/error.h"

namespace seek {

namespace {
constexpr std::string_view kThink = "<think>", kEndThink = "</think>";
constexpr size_t kLoopMaxPeriod = 256, kLoopMinCopies = 4, kLoopMinSpan = 64;

bool all_space(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}
}  // namespace

void RejectionRules::validate() const {
  if (max_chars < 1) throw Error("--max-chars must be >= 1");
  if (!(max_foreign >= 0 && max_foreign <= 1)) throw Error("--max-foreign must be in [0, 1]");
}

std::string_view chain_of_thought(std::string_view completion, bool started_in_think) {
  size_t start = 0;
  if (!started_in_think) {
    const size_t open = completion.find(kThink);
    if (open == std::string_view::npos) return completion;
    start = open + kThink.size();
  }
  const size_t close = completion.find(kEndThink, start);
  return completion.substr(start, close == std::string_view::npos ? std::string_view::npos : close - start);
}

// For each period p, `run` counts the bytes in a row equal to the byte p before them: text[i - run - p + 1 .. i]
// then has period p and holds (run + p) / p copies of its block.
bool has_repeat_loop(std::string_view text) {
  const size_t n = text.size();
  for (size_t p = 1; p <= kLoopMaxPeriod && p * kLoopMinCopies <= n; p++) {
    const size_t need = std::max(p * kLoopMinCopies, kLoopMinSpan);
    size_t run = 0;
    for (size_t i = p; i < n; i++) {
      run = text[i] == text[i - p] ? run + 1 : 0;
      if (run + p >= need && !all_space(text.substr(i + 1 - p, p))) return true;
    }
  }
  return false;
}

int64_t count_chars(std::string_view text) {
  return std::count_if(text.begin(), text.end(), [](char c) { return (uint8_t(c) & 0xC0) != 0x80; });
}

std::vector<std::string> Screening::reasons() const {
  std::vector<std::string> r;
  if (incorrect) r.push_back("incorrect");
  if (format) r.push_back("format");
  if (truncated) r.push_back("truncated");
  if (runaway) r.push_back("runaway");
  if (mixed_language) r.push_back("mixed_language");
  return r;
}

Screening screen_completion(const ScreenInput& in, const RejectionRules& rules) {
  Screening s;
  s.incorrect = in.accuracy == 0;
  s.format = in.format == 0;
  s.truncated = in.truncated;
  s.runaway = count_chars(in.completion) > rules.max_chars || has_repeat_loop(in.completion);
  const std::string_view cot = chain_of_thought(in.completion, in.started_in_think);
  Script target = dominant_script(in.question);
  if (target == Script::none) target = dominant_script(cot);
  s.mixed_language = foreign_fraction(cot, target) > rules.max_foreign;
  return s;
}

std::string assistant_content(std::string_view prompt_text, bool started_in_think, std::string_view completion) {
  if (started_in_think) {
    const size_t open = prompt_text.rfind(kThink);
    const std::string_view opening = open == std::string_view::npos ? kThink : prompt_text.substr(open);
    return std::string(opening) + std::string(completion);
  }
  const size_t b = completion.find_first_not_of(" \t\r\n");
  return b == std::string_view::npos ? std::string() : std::string(completion.substr(b));
}

}  // namespace seek
