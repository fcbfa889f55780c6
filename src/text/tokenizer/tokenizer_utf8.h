// UTF-8 helpers for the tokenizer: decoding, validation, lossy repair with U+FFFD (the "maximal subpart"
// rule, as the reference tokenizer's decoder applies), and the byte-level alphabet that maps each byte to a
// printable code point so byte-level BPE vocabularies can be stored as text.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace seek::utf8 {

// Decodes the code point at s[i] from text already known to be valid UTF-8; returns its length in bytes.
inline size_t decode_valid(std::string_view s, size_t i, char32_t& cp) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  unsigned char c = p[0];
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if (c < 0xE0) {
    cp = (char32_t(c & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (c < 0xF0) {
    cp = (char32_t(c & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  cp = (char32_t(c & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) | (char32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  return 4;
}

void append(std::string& out, char32_t cp);

// Length of the well-formed sequence starting at s[i]; 0 if s[i] does not start one. When the bytes that are
// there form a valid but cut-short prefix, *incomplete (if given) is set to true and 0 is returned.
// *bad_len receives how many bytes to replace by one U+FFFD (the maximal subpart, at least 1).
size_t sequence_length(std::string_view s, size_t i, size_t* bad_len, bool* incomplete);

// Offset of the first byte that is not part of well-formed UTF-8, or s.size() if the text is valid.
size_t first_invalid(std::string_view s);

// Appends bytes to out, replacing ill-formed parts by U+FFFD. With hold_incomplete, a valid but incomplete
// sequence at the very end is not written; the return value is how many bytes were consumed (the rest is the
// held-back tail). Without it, everything is consumed.
size_t append_lossy(std::string& out, std::string_view bytes, bool hold_incomplete);

// Unicode White_Space (what the reference tokenizer's regex \s and its whitespace tests use).
inline bool is_white_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

// The byte-level alphabet: bytes 0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF stand for themselves, every other byte b is
// U+0100 + (its rank among those others).
char32_t byte_to_char(uint8_t b);
// Inverse of byte_to_char: the byte a code point stands for, or -1 if it is not in the alphabet.
int char_to_byte(char32_t cp);

}  // namespace seek::utf8
