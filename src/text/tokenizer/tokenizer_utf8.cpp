#include "text/tokenizer/tokenizer_utf8.h"

#include <array>

namespace seek::utf8 {

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

size_t sequence_length(std::string_view s, size_t i, size_t* bad_len, bool* incomplete) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  unsigned char c = p[i];
  if (incomplete) *incomplete = false;
  if (bad_len) *bad_len = 1;
  if (c < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte (Unicode table 3-7)
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;  // 0x80-0xC1, 0xF5-0xFF never start a sequence
  }
  for (size_t k = 1; k < need; k++) {
    if (i + k >= n) {
      if (incomplete) *incomplete = true;
      if (bad_len) *bad_len = k;
      return 0;
    }
    unsigned char b = p[i + k];
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      if (bad_len) *bad_len = k;
      return 0;
    }
  }
  return need;
}

size_t first_invalid(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    // Skip ASCII eight bytes at a time: most text is mostly ASCII.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    size_t len = sequence_length(s, i, nullptr, nullptr);
    if (len == 0) return i;
    i += len;
  }
  return n;
}

size_t append_lossy(std::string& out, std::string_view bytes, bool hold_incomplete) {
  size_t i = 0, n = bytes.size(), run = 0;
  while (i < n) {
    size_t bad = 1;
    bool incomplete = false;
    size_t len = sequence_length(bytes, i, &bad, &incomplete);
    if (len > 0) {
      i += len;
      continue;
    }
    out.append(bytes.substr(run, i - run));
    if (incomplete && hold_incomplete) return i;
    out.append("\xEF\xBF\xBD");
    i += bad;
    run = i;
  }
  out.append(bytes.substr(run, n - run));
  return n;
}

namespace {
struct ByteAlphabet {
  std::array<char32_t, 256> to_char{};
  std::array<int16_t, 324> to_byte{};  // code points up to U+0143
  ByteAlphabet() {
    to_byte.fill(-1);
    int extra = 0;
    for (int b = 0; b < 256; b++) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char32_t cp = printable ? char32_t(b) : char32_t(256 + extra++);
      to_char[b] = cp;
      to_byte[cp] = int16_t(b);
    }
  }
};
const ByteAlphabet& alphabet() {
  static const ByteAlphabet a;
  return a;
}
}  // namespace

char32_t byte_to_char(uint8_t b) { return alphabet().to_char[b]; }

int char_to_byte(char32_t cp) { return cp < 324 ? alphabet().to_byte[cp] : -1; }

}  // namespace seek::utf8
