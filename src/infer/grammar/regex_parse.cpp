// ECMA-262 pattern syntax (the `u` flag's strict form) for the subset regex.h lists.
#include <algorithm>

#include "core/error.h"
#include "infer/grammar/regex_ast.h"

namespace seek::grammar {

CpRanges normalize(CpRanges r) {
  std::sort(r.begin(), r.end());
  CpRanges out;
  for (auto [lo, hi] : r) {
    if (!out.empty() && lo <= out.back().second + 1)
      out.back().second = std::max(out.back().second, hi);
    else
      out.push_back({lo, hi});
  }
  return out;
}

CpRanges all_code_points() { return {{0, 0xD7FF}, {0xE000, 0x10FFFF}}; }

CpRanges complement(const CpRanges& r) {
  CpRanges out;
  uint32_t next = 0;
  for (auto [lo, hi] : normalize(r)) {
    if (lo > next) out.push_back({next, lo - 1});
    next = hi + 1;
  }
  if (next <= 0x10FFFF) out.push_back({next, 0x10FFFF});
  // Drop the surrogates: they are not characters of a decoded string.
  CpRanges clean;
  for (auto [lo, hi] : out) {
    if (hi < 0xD800 || lo > 0xDFFF) {
      clean.push_back({lo, hi});
      continue;
    }
    if (lo < 0xD800) clean.push_back({lo, 0xD7FF});
    if (hi > 0xDFFF) clean.push_back({0xE000, hi});
  }
  return clean;
}

namespace {
const CpRanges kDigit = {{'0', '9'}};
const CpRanges kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const CpRanges kSpace = {{'\t', '\r'},     {' ', ' '},       {0xA0, 0xA0},     {0x1680, 0x1680}, {0x2000, 0x200A},
                         {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
const CpRanges kDot = complement({{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}});

class Parser {
 public:
  Parser(const std::string& pattern, const std::string& what) : what_(what) {
    for (size_t i = 0; i < pattern.size();) cps_.push_back(decode(pattern, i));
  }

  ParsedRegex run() {
    ParsedRegex r;
    if (peek() == '^') pos_++, r.anchored_start = true;
    size_t end = cps_.size();
    if (end > pos_ && cps_[end - 1] == '$' && !escaped_at(end - 1)) r.anchored_end = true, cps_.pop_back();
    r.root = alternation();
    if (pos_ < cps_.size()) fail("unexpected ')'");
    return r;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(what_ + ": unsupported or invalid regular expression (" + why + ")");
  }
  uint32_t decode(const std::string& s, size_t& i) const {
    unsigned char c = s[i];
    int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + size_t(n) > s.size()) fail("invalid UTF-8");
    uint32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (int k = 1; k < n; k++) cp = cp << 6 | (uint8_t(s[i + size_t(k)]) & 0x3F);
    i += size_t(n);
    return cp;
  }
  bool escaped_at(size_t i) const {  // an odd run of backslashes before i
    size_t n = 0;
    while (i > n && cps_[i - n - 1] == '\\') n++;
    return n % 2 == 1;
  }
  int64_t peek() const { return pos_ < cps_.size() ? int64_t(cps_[pos_]) : -1; }
  uint32_t next() {
    if (pos_ >= cps_.size()) fail("unexpected end");
    return cps_[pos_++];
  }

  ReNode alternation() {
    ReNode alt;
    alt.kind = ReNode::Alt;
    alt.kids.push_back(concatenation());
    while (peek() == '|') {
      pos_++;
      alt.kids.push_back(concatenation());
    }
    return alt.kids.size() == 1 ? std::move(alt.kids[0]) : alt;
  }

  ReNode concatenation() {
    ReNode cat;
    cat.kind = ReNode::Cat;
    while (peek() >= 0 && peek() != '|' && peek() != ')') cat.kids.push_back(quantified(atom()));
    return cat;
  }

  uint32_t number() {
    uint64_t v = 0;
    if (peek() < '0' || peek() > '9') fail("expected a number in {}");
    while (peek() >= '0' && peek() <= '9') v = std::min<uint64_t>(v * 10 + (next() - '0'), 100000);
    return uint32_t(v);
  }

  ReNode quantified(ReNode a) {
    uint32_t lo, hi;
    int64_t c = peek();
    if (c == '*')
      lo = 0, hi = kUnbounded;
    else if (c == '+')
      lo = 1, hi = kUnbounded;
    else if (c == '?')
      lo = 0, hi = 1;
    else if (c == '{') {
      pos_++;
      lo = hi = number();
      if (peek() == ',') {
        pos_++;
        hi = peek() == '}' ? kUnbounded : number();
      }
      if (peek() != '}') fail("expected '}'");
      if (hi < lo) fail("{n,m} with m < n");
    } else {
      return a;
    }
    pos_++;
    if (peek() == '?') pos_++;  // lazy: same language
    if (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{') fail("nothing to repeat");
    ReNode r;
    r.kind = ReNode::Rep;
    r.min = lo, r.max = hi;
    r.kids.push_back(std::move(a));
    return r;
  }

  static ReNode set_node(CpRanges r) {
    ReNode n;
    n.kind = ReNode::Set;
    n.set = normalize(std::move(r));
    return n;
  }

  ReNode atom() {
    uint32_t c = next();
    switch (c) {
      case '(': {
        if (peek() == '?') {
          pos_++;
          uint32_t k = next();
          if (k == '<' && peek() != '=' && peek() != '!') {
            while (next() != '>') {
            }
          } else if (k != ':') {
            fail("lookaround (?" + std::string(1, char(k)) + " ...)");
          }
        }
        ReNode inner = alternation();
        if (next() != ')') fail("expected ')'");
        return inner;
      }
      case '[': return set_node(char_class());
      case '.': return set_node(kDot);
      case '\\': return set_node(escape(false));
      case '^':
      case '$': fail(std::string(1, char(c)) + " anchor inside the pattern");
      case '*':
      case '+':
      case '?': fail("nothing to repeat");
      case ')':
      case ']':
      case '{':
      case '}':
      case '|': fail(std::string("lone '") + char(c) + "'");
      default: return set_node({{c, c}});
    }
  }

  uint32_t hex(int digits) {
    uint32_t v = 0;
    for (int i = 0; i < digits; i++) {
      uint32_t c = next();
      int d = c >= '0' && c <= '9'   ? int(c - '0')
              : c >= 'a' && c <= 'f' ? int(c - 'a' + 10)
              : c >= 'A' && c <= 'F' ? int(c - 'A' + 10)
                                     : -1;
      if (d < 0) fail("bad hex escape");
      v = v << 4 | uint32_t(d);
    }
    return v;
  }

  // After a backslash: a class escape (\d ...) or one code point.
  CpRanges escape(bool in_class) {
    uint32_t c = next();
    switch (c) {
      case 'd': return kDigit;
      case 'D': return complement(kDigit);
      case 'w': return kWord;
      case 'W': return complement(kWord);
      case 's': return kSpace;
      case 'S': return complement(kSpace);
      case 't': return {{'\t', '\t'}};
      case 'n': return {{'\n', '\n'}};
      case 'r': return {{'\r', '\r'}};
      case 'f': return {{'\f', '\f'}};
      case 'v': return {{'\v', '\v'}};
      case '0':
        if (peek() >= '0' && peek() <= '9') fail("octal escape");
        return {{0, 0}};
      case 'x': {
        uint32_t v = hex(2);
        return {{v, v}};
      }
      case 'u': {
        uint32_t v = unicode_escape();
        return {{v, v}};
      }
      case 'c': {
        uint32_t l = next();
        if (!((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z'))) fail("bad \\c escape");
        return {{l % 32, l % 32}};
      }
      case 'b':
        if (in_class) return {{'\b', '\b'}};
        fail("word boundary \\b");
      case '-':
        if (in_class) return {{'-', '-'}};
        fail("identity escape \\-");
      default: break;
    }
    const std::string syntax = "^$\\.*+?()[]{}|/";
    if (c < 0x80 && syntax.find(char(c)) != std::string::npos) return {{c, c}};
    if (c >= '1' && c <= '9') fail("backreference");
    fail(std::string("escape \\") + (c < 0x80 ? std::string(1, char(c)) : std::string("?")));
  }

  uint32_t unicode_escape() {
    uint32_t v;
    if (peek() == '{') {
      pos_++;
      v = 0;
      int n = 0;
      while (peek() != '}') v = (v << 4) | hex(1), n++;
      pos_++;
      if (n == 0 || v > 0x10FFFF) fail("bad \\u{...} escape");
    } else {
      v = hex(4);
      // A surrogate pair written as two escapes is one code point.
      if (v >= 0xD800 && v <= 0xDBFF && peek() == '\\' && pos_ + 1 < cps_.size() && cps_[pos_ + 1] == 'u') {
        size_t save = pos_;
        pos_ += 2;
        uint32_t lo = hex(4);
        if (lo >= 0xDC00 && lo <= 0xDFFF)
          v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
        else
          pos_ = save;
      }
    }
    if (v >= 0xD800 && v <= 0xDFFF) fail("lone surrogate escape");
    return v;
  }

  CpRanges char_class() {
    bool negate = false;
    if (peek() == '^') pos_++, negate = true;
    CpRanges out;
    while (peek() != ']') {
      if (peek() < 0) fail("unterminated [");
      CpRanges a = class_atom();
      if (peek() == '-' && pos_ + 1 < cps_.size() && cps_[pos_ + 1] != ']') {
        pos_++;
        CpRanges b = class_atom();
        if (a.size() != 1 || b.size() != 1 || a[0].first != a[0].second || b[0].first != b[0].second)
          fail("class range with a class escape");
        if (b[0].first < a[0].first) fail("class range out of order");
        out.push_back({a[0].first, b[0].first});
      } else {
        out.insert(out.end(), a.begin(), a.end());
      }
    }
    pos_++;
    out = normalize(out);
    return negate ? complement(out) : out;
  }

  CpRanges class_atom() {
    uint32_t c = next();
    if (c == '\\') return escape(true);
    return {{c, c}};
  }

  std::string what_;
  std::vector<uint32_t> cps_;
  size_t pos_ = 0;
};
}  // namespace

ParsedRegex parse_regex(const std::string& pattern, const std::string& what) { return Parser(pattern, what).run(); }

}  // namespace seek::grammar
