// Text normalizers of a tokenizer.json: canonical Unicode normalization (NFC, NFD) and the simple string
// rewrites (Prepend, Replace, Strip), applied in sequence to each piece of text between added tokens.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer/pretokenize_regex.h"

namespace seek {

// Canonical normalization of valid UTF-8 text.
std::string unicode_nfc(std::string_view s);
std::string unicode_nfd(std::string_view s);
// True when the text is certainly in NFC already (no code point that NFC could change or combine).
bool unicode_nfc_quick_check(std::string_view s);

class Normalizer {
 public:
  enum class Kind { NFC, NFD, Prepend, Replace, Strip };
  struct Step {
    Kind kind = Kind::NFC;
    std::string text;    // Prepend: the prefix; Replace: the replacement
    Regex pattern;       // Replace: what to replace
    bool left = false;   // Strip: strip White_Space on the left
    bool right = false;  // Strip: ... on the right
  };

  bool empty() const { return steps_.empty(); }
  void add(Step s) { steps_.push_back(std::move(s)); }

  // Normalizes `in`. Returns `in` itself when nothing changed, otherwise a view of `buf`.
  std::string_view apply(std::string_view in, std::string& buf, RegexScratch& scratch) const;

 private:
  std::vector<Step> steps_;
};

}  // namespace seek
