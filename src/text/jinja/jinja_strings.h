// UTF-8 string helpers for the template engine: whitespace classes, trimming, case mapping, splitting and
// code-point indexing. Templates index and slice strings by character (code point), as Python does.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seek::jinja {

// Decodes the code point at s[i] and advances i. Invalid bytes decode as themselves (one byte each), so the
// helpers never loop forever or throw on malformed text.
char32_t utf8_next(std::string_view s, size_t& i);
void utf8_append(std::string& out, char32_t cp);
std::vector<std::string> utf8_chars(std::string_view s);  // one string per code point
size_t utf8_length(std::string_view s);                   // number of code points

// Whitespace as the template language's reference engine sees it: ASCII space/tab/newlines/\v/\f plus the
// Unicode space separators, U+2028/2029 and U+FEFF.
bool is_space(char32_t cp);

// Trimming: with `chars` absent, strip whitespace; with `chars` given, strip any of its code points (Python's
// str.strip(chars) semantics).
std::string trim_left(std::string_view s, const std::string* chars = nullptr);
std::string trim_right(std::string_view s, const std::string* chars = nullptr);
inline std::string trim(std::string_view s, const std::string* chars = nullptr) {
  return trim_left(trim_right(s, chars), chars);
}

// Case mapping for ASCII, Latin-1, Greek and Cyrillic letters (other scripts have no case or are left alone).
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
std::string title_case(std::string_view s);  // uppercase the first ASCII letter/digit of every ASCII word
std::string capitalize(std::string_view s);  // uppercase the first character, leave the rest

// Python str.split(sep, maxsplit): sep == nullptr splits on runs of whitespace and drops empty ends.
std::vector<std::string> split(std::string_view s, const std::string* sep, int64_t maxsplit);
// Python str.replace(old, new, count); count < 0 means all.
std::string replace(std::string_view s, std::string_view from, std::string_view to, int64_t count);

}  // namespace seek::jinja
