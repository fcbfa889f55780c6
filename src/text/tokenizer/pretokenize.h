// Pre-tokenization: cutting normalized text into the pieces ("words") that BPE encodes one by one, as the
// reference tokenizer's Split / ByteLevel / Digits / Whitespace pre-tokenizers do when run in sequence. Each step
// cuts every piece produced by the step before it; empty pieces are dropped.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer/pretokenize_regex.h"

namespace seek {

// What a Split step does with the parts its pattern matches (the reference's SplitDelimiterBehavior).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
// Parses "Removed", "Isolated", ... (case-insensitive); throws Error naming `where`.
SplitBehavior split_behavior_from_name(const std::string& name, const std::string& where);

// The regex the byte-level pre-tokenizer uses when use_regex is true (the original byte-level BPE's).
extern const char* const kByteLevelPattern;

// A callable taking one pre-token (raw UTF-8 bytes) without owning it; cheaper than std::function.
class PieceSink {
 public:
  template <class F>
  PieceSink(F& f) : obj_(&f), call_([](void* o, std::string_view p) { (*static_cast<F*>(o))(p); }) {}
  void operator()(std::string_view piece) const { call_(obj_, piece); }

 private:
  void* obj_;
  void (*call_)(void*, std::string_view);
};

struct PreTokenizeScratch {
  RegexScratch regex;
  std::string prefixed;  // a piece with the byte-level prefix space added
};

class PreTokenizer {
 public:
  void add_split(Regex re, SplitBehavior behavior, bool invert, const std::string& where);
  // The byte-level step: optionally prefixes each piece with a space, optionally cuts it with kByteLevelPattern.
  // It must be the last step (later steps would see byte-level characters); throws Error otherwise.
  void add_byte_level(bool add_prefix_space, bool use_regex, const std::string& where);

  bool byte_level() const { return byte_level_; }
  bool empty() const { return steps_.empty(); }

  // Calls sink(piece) for every pre-token of `text` (valid UTF-8), in order.
  void run(std::string_view text, PreTokenizeScratch& scratch, PieceSink sink) const;

 private:
  struct Step {
    Regex re;  // invalid for a byte-level step without regex
    SplitBehavior behavior = SplitBehavior::Isolated;
    bool invert = false;
    bool prefix_space = false;  // byte-level step only
  };
  template <class Out>
  void split(const Step& st, std::string_view piece, PreTokenizeScratch& scratch, Out&& out) const;
  void run_step(size_t k, std::string_view piece, PreTokenizeScratch& scratch, PieceSink sink) const;

  std::vector<Step> steps_;
  bool byte_level_ = false;
};

}  // namespace seek
