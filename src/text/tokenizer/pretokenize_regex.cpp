#include "text/tokenizer/pretokenize_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/error.h"

namespace seek {

namespace {

constexpr const char* kWhiteSpace = "\\p{White_Space}";
constexpr const char* kNotWhiteSpace = "\\P{White_Space}";
// The dialect's \w (Unicode's "word" characters, UTS #18); PCRE2's own \w leaves out marks.
constexpr const char* kWordMembers = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}";

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof(buf));
  return n < 0 ? "error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buf), size_t(n));
}

}  // namespace

std::string translate_regex(const std::string& p, const std::string& where) {
  std::string out;
  out.reserve(p.size() + 16);
  int class_depth = 0;  // > 0 inside [...]
  size_t i = 0, n = p.size();
  while (i < n) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 >= n) throw Error(where + ": regex ends with a lone backslash: " + p);
      char e = p[i + 1];
      if (e == 's') {
        out += kWhiteSpace;
      } else if (e == 'S') {
        out += kNotWhiteSpace;
      } else if (e == 'w') {
        out += class_depth ? std::string(kWordMembers) : "[" + std::string(kWordMembers) + "]";
      } else if (e == 'W') {
        if (class_depth) throw Error(where + ": \\W inside a character class is not supported: " + p);
        out += "[^" + std::string(kWordMembers) + "]";
      } else if (e == 'h') {
        out += class_depth ? "0-9a-fA-F" : "[0-9a-fA-F]";
      } else if (e == 'H') {
        if (class_depth) throw Error(where + ": \\H inside a character class is not supported: " + p);
        out += "[^0-9a-fA-F]";
      } else if (e == 'u' && i + 5 < n && is_hex(p[i + 2]) && is_hex(p[i + 3]) && is_hex(p[i + 4]) &&
                 is_hex(p[i + 5])) {
        out += "\\x{" + p.substr(i + 2, 4) + "}";
        i += 6;
        continue;
      } else {
        out += c;
        out += e;
      }
      i += 2;
      continue;
    }
    if (class_depth) {
      if (c == '[' && i + 1 < n && p[i + 1] == ':') {  // POSIX class [:name:], copied whole
        size_t close = p.find(":]", i + 2);
        if (close == std::string::npos) throw Error(where + ": unterminated [: in regex: " + p);
        out.append(p, i, close + 2 - i);
        i = close + 2;
        continue;
      }
      if (c == '[') throw Error(where + ": nested character classes are not supported: " + p);
      if (c == '&' && i + 1 < n && p[i + 1] == '&')
        throw Error(where + ": character class intersection (&&) is not supported: " + p);
      if (c == ']') class_depth = 0;
      out += c;
      i++;
      continue;
    }
    if (c == '[') {
      class_depth = 1;
      out += c;
      i++;
      // A ']' right after '[' or '[^' is a literal member, not the end of the class.
      if (i < n && p[i] == '^') out += p[i++];
      if (i < n && p[i] == ']') out += p[i++];
      continue;
    }
    if (c == '(' && i + 1 < n && p[i + 1] == '?') {
      // Inline options (?imx-imx) or (?imx-imx:...): the dialect's 'm' is PCRE2's 's' (dot matches newline).
      size_t j = i + 2;
      while (j < n && (p[j] == 'i' || p[j] == 'm' || p[j] == 'x' || p[j] == '-')) j++;
      if (j > i + 2 && j < n && (p[j] == ')' || p[j] == ':')) {
        out += "(?";
        for (size_t k = i + 2; k < j; k++) out += p[k] == 'm' ? 's' : p[k];
        i = j;
        continue;
      }
    }
    out += c;
    i++;
  }
  if (class_depth) throw Error(where + ": unterminated character class in regex: " + p);
  return out;
}

Regex Regex::compile(const std::string& pattern, const std::string& where) {
  std::string translated = translate_regex(pattern, where);
  pcre2_compile_context* cctx = pcre2_compile_context_create(nullptr);
  if (!cctx) throw Error(where + ": out of memory compiling regex");
  pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &err, &off, cctx);
  pcre2_compile_context_free(cctx);
  if (!code) {
    throw Error(where + ": invalid regex /" + pattern + "/: " + pcre2_message(err) + " (at offset " +
                std::to_string(off) + " of the translated pattern /" + translated + "/)");
  }
  Regex r;
  r.pattern_ = pattern;
  r.code_ = std::shared_ptr<pcre2_real_code_8>(code, [](pcre2_code* c) { pcre2_code_free(c); });
  r.jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return r;
}

Regex Regex::literal(std::string_view text, const std::string& where) {
  std::string p;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    bool plain = u >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!plain) p += '\\';
    p += c;
  }
  if (p.empty()) throw Error(where + ": empty split pattern");
  return compile(p, where);
}

size_t Regex::next_char(std::string_view s, size_t i) {
  if (i >= s.size()) return s.size() + 1;
  i++;
  while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) i++;
  return i;
}

bool Regex::find(std::string_view s, size_t start, RegexScratch& scratch, size_t& begin, size_t& end) const {
  if (start > s.size()) return false;
  auto subject = reinterpret_cast<PCRE2_SPTR>(s.data());
  int rc = jit_ ? pcre2_jit_match(code_.get(), subject, s.size(), start, PCRE2_NO_UTF_CHECK, scratch.md_, scratch.mctx_)
                : pcre2_match(code_.get(), subject, s.size(), start, PCRE2_NO_UTF_CHECK, scratch.md_, scratch.mctx_);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    throw Error("tokenizer regex /" + pattern_ + "/ failed on a piece of " + std::to_string(s.size()) +
                " bytes: " + pcre2_message(rc));
  }
  // rc == 0 means the ovector was too small for all groups; the whole-match pair is still set.
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(scratch.md_);
  begin = ov[0];
  end = ov[1];
  return true;
}

RegexScratch::RegexScratch() {
  md_ = pcre2_match_data_create(1, nullptr);
  mctx_ = pcre2_match_context_create(nullptr);
  // Long runs (a megabyte of spaces matched by \s+(?!\S)) need far more than the default 32 KiB JIT stack.
  // The stack is reserved address space, touched only as deep as a match goes.
  jit_stack_ = pcre2_jit_stack_create(64 * 1024, 256 * 1024 * 1024, nullptr);
  if (!md_ || !mctx_ || !jit_stack_) {
    release();
    throw Error("out of memory creating regex match state");
  }
  pcre2_jit_stack_assign(mctx_, nullptr, jit_stack_);
}

RegexScratch::~RegexScratch() { release(); }

void RegexScratch::release() {
  if (md_) pcre2_match_data_free(md_);
  if (mctx_) pcre2_match_context_free(mctx_);
  if (jit_stack_) pcre2_jit_stack_free(jit_stack_);
  md_ = nullptr;
  mctx_ = nullptr;
  jit_stack_ = nullptr;
}

}  // namespace seek
