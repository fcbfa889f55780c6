#include "text/jinja/jinja_strings.h"

namespace seek::jinja {

char32_t utf8_next(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t extra = 0;
  char32_t cp = b0;
  if (b0 >= 0xC0 && b0 < 0xE0) {
    extra = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 < 0xF0) {
    extra = 2;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 < 0xF8) {
    extra = 3;
    cp = b0 & 0x07;
  }
  if (extra == 0 || i + extra >= s.size()) {
    ++i;
    return b0;
  }
  for (size_t k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += extra + 1;
  return cp;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::vector<std::string> utf8_chars(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    utf8_next(s, i);
    out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) utf8_next(s, i);
  return n;
}

bool is_space(char32_t cp) {
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return true;
  switch (cp) {
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF: return true;
    default: return cp >= 0x2000 && cp <= 0x200A;
  }
}

namespace {

bool strip_member(char32_t cp, const std::string* chars) {
  if (!chars) return is_space(cp);
  for (size_t i = 0; i < chars->size();) {
    if (utf8_next(*chars, i) == cp) return true;
  }
  return false;
}

// One case-mapping rule: code points [lo, hi] map to cp + delta.
struct CaseRange {
  char32_t lo, hi;
  int delta;
};

char32_t map_case(char32_t cp, bool upper) {
  static constexpr CaseRange kToUpper[] = {
      {'a', 'z', -32},     {0xE0, 0xF6, -32},   {0xF8, 0xFE, -32},   {0x3B1, 0x3C1, -32},
      {0x3C3, 0x3CB, -32}, {0x3C2, 0x3C2, -31}, {0x430, 0x44F, -32}, {0x450, 0x45F, -80},
  };
  static constexpr CaseRange kToLower[] = {
      {'A', 'Z', 32},     {0xC0, 0xD6, 32},   {0xD8, 0xDE, 32},   {0x391, 0x3A1, 32},
      {0x3A3, 0x3AB, 32}, {0x410, 0x42F, 32}, {0x400, 0x40F, 80},
  };
  if (upper) {
    if (cp == 0xFF) return 0x178;
    for (const auto& r : kToUpper)
      if (cp >= r.lo && cp <= r.hi) return static_cast<char32_t>(static_cast<int>(cp) + r.delta);
  } else {
    if (cp == 0x178) return 0xFF;
    for (const auto& r : kToLower)
      if (cp >= r.lo && cp <= r.hi) return static_cast<char32_t>(static_cast<int>(cp) + r.delta);
  }
  return cp;
}

std::string map_all(std::string_view s, bool upper) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = utf8_next(s, i);
    if (upper && cp == 0xDF) {
      out += "SS";  // German sharp s has no single uppercase letter
      continue;
    }
    utf8_append(out, map_case(cp, upper));
  }
  return out;
}

bool is_ascii_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string trim_left(std::string_view s, const std::string* chars) {
  size_t i = 0;
  while (i < s.size()) {
    size_t next = i;
    if (!strip_member(utf8_next(s, next), chars)) break;
    i = next;
  }
  return std::string(s.substr(i));
}

std::string trim_right(std::string_view s, const std::string* chars) {
  // Walk forward remembering where the trailing run of strippable characters began.
  size_t keep = 0;
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = utf8_next(s, i);
    if (!strip_member(cp, chars)) keep = i;
  }
  return std::string(s.substr(0, keep));
}

std::string to_upper(std::string_view s) { return map_all(s, true); }
std::string to_lower(std::string_view s) { return map_all(s, false); }

std::string title_case(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    const bool at_word_start = is_ascii_word(out[i]) && (i == 0 || !is_ascii_word(out[i - 1]));
    if (at_word_start && out[i] >= 'a' && out[i] <= 'z') out[i] = static_cast<char>(out[i] - 32);
  }
  return out;
}

std::string capitalize(std::string_view s) {
  if (s.empty()) return {};
  size_t i = 0;
  const char32_t first = utf8_next(s, i);
  std::string out;
  if (first == 0xDF) {
    out = "SS";
  } else {
    utf8_append(out, map_case(first, true));
  }
  out.append(s.substr(i));
  return out;
}

std::vector<std::string> split(std::string_view s, const std::string* sep, int64_t maxsplit) {
  std::vector<std::string> out;
  if (!sep) {
    size_t i = 0;
    while (i < s.size()) {
      // skip whitespace
      size_t word = i;
      while (word < s.size()) {
        size_t next = word;
        if (!is_space(utf8_next(s, next))) break;
        word = next;
      }
      if (word >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
        out.emplace_back(s.substr(word));
        break;
      }
      size_t end = word;
      while (end < s.size()) {
        size_t next = end;
        if (is_space(utf8_next(s, next))) break;
        end = next;
      }
      out.emplace_back(s.substr(word, end - word));
      i = end;
    }
    return out;
  }
  size_t start = 0;
  while (true) {
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) break;
    const size_t hit = s.find(*sep, start);
    if (hit == std::string_view::npos) break;
    out.emplace_back(s.substr(start, hit - start));
    start = hit + sep->size();
  }
  out.emplace_back(s.substr(start));
  return out;
}

std::string replace(std::string_view s, std::string_view from, std::string_view to, int64_t count) {
  std::string out;
  if (count == 0) return std::string(s);
  int64_t left = count < 0 ? INT64_MAX : count;
  if (from.empty()) {
    // Insert `to` before every character and at the end, `count` times at most.
    size_t i = 0;
    while (true) {
      if (left > 0) {
        out.append(to);
        --left;
      }
      if (i >= s.size()) break;
      const size_t start = i;
      utf8_next(s, i);
      out.append(s.substr(start, i - start));
    }
    return out;
  }
  size_t start = 0;
  while (left > 0) {
    const size_t hit = s.find(from, start);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(start, hit - start));
    out.append(to);
    start = hit + from.size();
    --left;
  }
  out.append(s.substr(start));
  return out;
}

}  // namespace seek::jinja
