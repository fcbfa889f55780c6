// Regular expressions for pre-tokenization, compiled by PCRE2 (UTF mode, Unicode properties, JIT).
// Tokenizer files write their patterns in the reference tokenizer's regex dialect, so each pattern
// is first translated where the dialects differ: \s is Unicode White_Space, \w is a Unicode word character
// (letters, marks, digits, connectors), \h is a hex digit, `(?m)` means
// "dot matches newline", and ^/$ match at line boundaries. Matching follows the reference iteration rules: an
// empty match directly after the previous match is skipped, and the search resumes one character later.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;
struct pcre2_real_match_context_8;
struct pcre2_real_jit_stack_8;

namespace seek {

// Per-thread matching state (PCRE2 match data and a JIT stack); reusable across all Regex objects.
class RegexScratch {
 public:
  RegexScratch();
  ~RegexScratch();
  RegexScratch(const RegexScratch&) = delete;
  RegexScratch& operator=(const RegexScratch&) = delete;

 private:
  friend class Regex;
  void release();
  pcre2_real_match_data_8* md_ = nullptr;
  pcre2_real_match_context_8* mctx_ = nullptr;
  pcre2_real_jit_stack_8* jit_stack_ = nullptr;
};

class Regex {
 public:
  Regex() = default;
  // Compiles a pattern in the reference dialect. `where` names the pattern's origin for error messages
  // (e.g. "tokenizer.json: pre_tokenizer.pretokenizers[2].pattern.Regex").
  static Regex compile(const std::string& pattern, const std::string& where);
  // A pattern matching `text` literally.
  static Regex literal(std::string_view text, const std::string& where);

  bool valid() const { return code_ != nullptr; }
  const std::string& pattern() const { return pattern_; }

  // Leftmost match in subject at or after `start` (lookbehind sees the whole subject). Subject must be valid
  // UTF-8. Returns false if there is none; throws Error if the matcher runs out of resources.
  bool find(std::string_view subject, size_t start, RegexScratch& scratch, size_t& begin, size_t& end) const;

  // Calls f(begin, end) for every match, with the reference iteration rules for empty matches.
  template <class F>
  void for_each_match(std::string_view s, RegexScratch& scratch, F&& f) const {
    size_t pos = 0, last_end = 0;
    bool have_last = false;
    while (pos <= s.size()) {
      size_t b, e;
      if (!find(s, pos, scratch, b, e)) return;
      if (b == e) {
        pos = next_char(s, e);
        if (have_last && last_end == e) continue;
      } else {
        pos = e;
      }
      have_last = true;
      last_end = e;
      f(b, e);
    }
  }

 private:
  static size_t next_char(std::string_view s, size_t i);
  std::string pattern_;
  std::shared_ptr<pcre2_real_code_8> code_;
  bool jit_ = false;
};

// Translates a pattern from the reference dialect to PCRE2 syntax (exposed for tests). Throws Error naming
// `where` for constructs PCRE2 cannot express.
std::string translate_regex(const std::string& pattern, const std::string& where);

}  // namespace seek
