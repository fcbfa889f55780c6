#include "infer/reasoning.h"

#include <algorithm>

namespace seek {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_ws(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_ws(s[i])) ++i;
  return i;
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view trim(std::string_view s) { return rtrim(s.substr(skip_ws(s))); }

// Bytes at the end of `s` that start a UTF-8 character whose remaining bytes have not arrived yet.
size_t incomplete_utf8_tail(std::string_view s) {
  const size_t n = s.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead byte
    if (c < 0xC0) return 0;            // ASCII
    const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    return back < need ? back : 0;
  }
  return 0;
}

// While in reasoning: what must wait for more text — a partial "</think>" at the end, the whitespace before it
// (dropped if the tag completes), or an unfinished UTF-8 character.
size_t reasoning_hold(std::string_view s) {
  size_t partial = 0;
  for (size_t k = std::min(kClose.size() - 1, s.size()); k > 0; --k) {
    if (s.substr(s.size() - k) == kClose.substr(0, k)) {
      partial = k;
      break;
    }
  }
  size_t j = s.size() - partial;
  while (j > 0 && is_ws(s[j - 1])) --j;
  const size_t hold = s.size() - j;
  return hold ? hold : incomplete_utf8_tail(s);
}

}  // namespace

ReasoningSplitter::ReasoningSplitter(bool started_in_reasoning)
    : state_(started_in_reasoning ? State::reasoning_lead : State::start) {}

void ReasoningSplitter::emit(std::vector<TextEvent>& out, TextKind kind, std::string_view text) {
  if (text.empty()) return;
  if (!out.empty() && out.back().kind == kind) {
    out.back().text.append(text);
  } else {
    out.push_back(TextEvent{kind, std::string(text)});
  }
}

std::vector<TextEvent> ReasoningSplitter::feed(std::string_view chunk) {
  pending_.append(chunk);
  std::vector<TextEvent> out;
  run(out, false);
  return out;
}

std::vector<TextEvent> ReasoningSplitter::finish() {
  std::vector<TextEvent> out;
  run(out, true);
  return out;
}

void ReasoningSplitter::run(std::vector<TextEvent>& out, bool final) {
  while (true) {
    switch (state_) {
      case State::start: {
        const size_t i = skip_ws(pending_);
        const std::string_view rest = std::string_view(pending_).substr(i);
        if (rest.substr(0, kOpen.size()) == kOpen) {
          pending_.erase(0, i + kOpen.size());
          state_ = State::reasoning_lead;
          continue;
        }
        if (!final && kOpen.substr(0, rest.size()) == rest) return;  // could still become "<think>"
        state_ = State::answer;  // no tag: all of it, leading whitespace included, is answer
        continue;
      }
      case State::reasoning_lead:
      case State::answer_lead: {
        pending_.erase(0, skip_ws(pending_));
        if (pending_.empty()) return;
        state_ = state_ == State::reasoning_lead ? State::reasoning : State::answer;
        continue;
      }
      case State::reasoning: {
        const size_t close = pending_.find(kClose);
        if (close != std::string::npos) {
          emit(out, TextKind::reasoning, rtrim(std::string_view(pending_).substr(0, close)));
          pending_.erase(0, close + kClose.size());
          state_ = State::answer_lead;
          continue;
        }
        if (final) {
          emit(out, TextKind::reasoning, rtrim(pending_));
          pending_.clear();
          return;
        }
        const size_t keep = pending_.size() - reasoning_hold(pending_);
        emit(out, TextKind::reasoning, std::string_view(pending_).substr(0, keep));
        pending_.erase(0, keep);
        return;
      }
      case State::answer: {
        const size_t keep = pending_.size() - (final ? 0 : incomplete_utf8_tail(pending_));
        emit(out, TextKind::answer, std::string_view(pending_).substr(0, keep));
        pending_.erase(0, keep);
        return;
      }
    }
  }
}

SplitText split_reasoning(std::string_view text, bool started_in_reasoning) {
  size_t pos = 0;
  if (!started_in_reasoning) {
    const size_t i = skip_ws(text);
    if (text.substr(i, kOpen.size()) != kOpen) return {"", std::string(text)};
    pos = i + kOpen.size();
  }
  const size_t close = text.find(kClose, pos);
  if (close == std::string_view::npos) return {std::string(trim(text.substr(pos))), ""};
  const std::string_view answer = text.substr(close + kClose.size());
  return {std::string(trim(text.substr(pos, close - pos))), std::string(answer.substr(skip_ws(answer)))};
}

bool prompt_opens_reasoning(std::string_view prompt) {
  const std::string_view p = rtrim(prompt);
  return p.size() >= kOpen.size() && p.substr(p.size() - kOpen.size()) == kOpen;
}

}  // namespace seek
