#include "text/tokenizer/pretokenize.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace seek {

const char* const kByteLevelPattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

SplitBehavior split_behavior_from_name(const std::string& name, const std::string& where) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (n == "removed") return SplitBehavior::Removed;
  if (n == "isolated") return SplitBehavior::Isolated;
  if (n == "mergedwithprevious") return SplitBehavior::MergedWithPrevious;
  if (n == "mergedwithnext") return SplitBehavior::MergedWithNext;
  if (n == "contiguous") return SplitBehavior::Contiguous;
  throw Error(where + ": unknown split behavior '" + name +
              "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

void PreTokenizer::add_split(Regex re, SplitBehavior behavior, bool invert, const std::string& where) {
  if (byte_level_) throw Error(where + ": a pre-tokenizer after ByteLevel is not supported (ByteLevel must be last)");
  Step st;
  st.re = std::move(re);
  st.behavior = behavior;
  st.invert = invert;
  steps_.push_back(std::move(st));
}

void PreTokenizer::add_byte_level(bool add_prefix_space, bool use_regex, const std::string& where) {
  if (byte_level_) throw Error(where + ": more than one ByteLevel pre-tokenizer");
  Step st;
  if (use_regex) st.re = Regex::compile(kByteLevelPattern, where);
  st.prefix_space = add_prefix_space;
  steps_.push_back(std::move(st));
  byte_level_ = true;
}

// Cuts `piece` at the matches of st.re and hands each resulting non-empty part to out(begin, end), following
// the step's behavior. Segments (gaps and matches, empty matches included) go through a small state machine
// so that nothing is allocated.
template <class Out>
void PreTokenizer::split(const Step& st, std::string_view piece, PreTokenizeScratch& scratch, Out&& out) const {
  struct Machine {
    SplitBehavior beh;
    Out& out;
    bool pending = false, prev_match = false;
    size_t ps = 0, pe = 0;
    void emit(size_t b, size_t e) {
      if (e > b) out(b, e);
    }
    void flush() {
      if (pending) emit(ps, pe);
      pending = false;
    }
    void segment(size_t b, size_t e, bool m) {
      switch (beh) {
        case SplitBehavior::Isolated: emit(b, e); break;
        case SplitBehavior::Removed:
          if (!m) emit(b, e);
          break;
        case SplitBehavior::MergedWithPrevious:  // a match joins the part before it, unless that was a match
          if (m && !prev_match && pending) {
            pe = e;
          } else {
            flush();
            pending = true, ps = b, pe = e;
          }
          break;
        case SplitBehavior::Contiguous:  // consecutive matches join
          if (m == prev_match && pending) {
            pe = e;
          } else {
            flush();
            pending = true, ps = b, pe = e;
          }
          break;
        case SplitBehavior::MergedWithNext:  // a match joins the part after it, unless that is a match
          if (pending) {
            if (!m) {
              emit(ps, e);
              pending = false;
            } else {
              emit(ps, pe);
              ps = b, pe = e;
            }
          } else if (m) {
            pending = true, ps = b, pe = e;
          } else {
            emit(b, e);
          }
          break;
      }
      prev_match = m;
    }
  };
  Machine mc{st.behavior, out};
  size_t prev = 0;
  st.re.for_each_match(piece, scratch.regex, [&](size_t b, size_t e) {
    if (prev != b) mc.segment(prev, b, st.invert);
    mc.segment(b, e, !st.invert);
    prev = e;
  });
  if (prev != piece.size()) mc.segment(prev, piece.size(), st.invert);
  mc.flush();
}

void PreTokenizer::run_step(size_t k, std::string_view piece, PreTokenizeScratch& scratch, PieceSink sink) const {
  if (k == steps_.size()) {
    sink(piece);
    return;
  }
  const Step& st = steps_[k];
  bool last = k + 1 == steps_.size();
  if (byte_level_ && last) {
    std::string_view p = piece;
    if (st.prefix_space && piece[0] != ' ') {
      scratch.prefixed.assign(1, ' ');
      scratch.prefixed.append(piece);
      p = scratch.prefixed;
    }
    if (!st.re.valid()) {
      sink(p);
    } else {
      split(st, p, scratch, [&](size_t b, size_t e) { sink(p.substr(b, e - b)); });
    }
    return;
  }
  split(st, piece, scratch, [&](size_t b, size_t e) { run_step(k + 1, piece.substr(b, e - b), scratch, sink); });
}

void PreTokenizer::run(std::string_view text, PreTokenizeScratch& scratch, PieceSink sink) const {
  if (text.empty()) return;
  run_step(0, text, scratch, sink);
}

}  // namespace seek
