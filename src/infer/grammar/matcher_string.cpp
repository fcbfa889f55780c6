// JSON strings (RFC 8259 section 7): raw UTF-8 (well-formed: no overlongs, no surrogates, nothing above U+10FFFF),
// no raw control characters, the escapes \" \\ \/ \b \f \n \r \t and \uXXXX (a high surrogate only when a low one
// follows; a lone low surrogate is refused). Lengths count code points (a surrogate pair is one), as JSON Schema
// validators do. The decoded text is fed to the pattern DFA (patterns take raw text and the short escapes only:
// no \u) and to the excluded-keys trie.
//
// Frame: a = phase (bits 0-2) | hex digits (3-5) | UTF-8 bytes pending (6-7) | first-continuation range (8-10);
//        x = code points (low 32) | \u value (32-47) | pending high surrogate (48-63);
//        y = DFA state (low 32) | excluded-keys trie node (high 32, kNone once no key can match).
#include "infer/grammar/matcher.h"

namespace seek::grammar {

namespace {
enum : uint32_t { kStart = 0, kBody = 1, kEsc = 2, kHex = 3, kLowSlash = 4, kLowU = 5, kLowHex = 6, kClosed = 7 };

uint32_t phase(const Frame& f) { return f.a & 7; }
uint32_t hex_count(const Frame& f) { return (f.a >> 3) & 7; }
uint32_t pending(const Frame& f) { return (f.a >> 6) & 3; }
uint32_t range_code(const Frame& f) { return (f.a >> 8) & 7; }
void set(Frame& f, uint32_t ph, uint32_t hex = 0, uint32_t pend = 0, uint32_t range = 0) {
  f.a = ph | hex << 3 | pend << 6 | range << 8;
}
uint32_t count(const Frame& f) { return uint32_t(f.x); }
uint32_t hex_value(const Frame& f) { return uint32_t(f.x >> 32) & 0xFFFF; }
uint32_t high_surrogate(const Frame& f) { return uint32_t(f.x >> 48); }
void set_x(Frame& f, uint32_t n, uint32_t hex, uint32_t high) {
  f.x = uint64_t(n) | uint64_t(hex) << 32 | uint64_t(high) << 48;
}

// The allowed range of the first continuation byte after each kind of lead byte.
bool in_first_range(uint32_t code, uint8_t b) {
  switch (code) {
    case 1: return b >= 0xA0 && b <= 0xBF;  // after E0 (no overlongs)
    case 2: return b >= 0x80 && b <= 0x9F;  // after ED (no surrogates)
    case 3: return b >= 0x90 && b <= 0xBF;  // after F0 (no overlongs)
    case 4: return b >= 0x80 && b <= 0x8F;  // after F4 (nothing above U+10FFFF)
    default: return b >= 0x80 && b <= 0xBF;
  }
}

// Continuation bytes and first-continuation range of a lead byte; false for bytes that cannot lead.
bool lead_byte(uint8_t b, uint32_t& cont, uint32_t& range) {
  range = 0;
  if (b >= 0xC2 && b <= 0xDF) return cont = 1, true;
  if (b == 0xE0) return cont = 2, range = 1, true;
  if (b == 0xED) return cont = 2, range = 2, true;
  if (b >= 0xE1 && b <= 0xEF) return cont = 2, true;
  if (b == 0xF0) return cont = 3, range = 3, true;
  if (b >= 0xF1 && b <= 0xF3) return cont = 3, true;
  if (b == 0xF4) return cont = 3, range = 4, true;
  return false;
}

int hex_digit(int b) {
  if (b >= '0' && b <= '9') return b - '0';
  if (b >= 'a' && b <= 'f') return b - 'a' + 10;
  if (b >= 'A' && b <= 'F') return b - 'A' + 10;
  return -1;
}

char short_escape(int b) {
  switch (b) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
  }
  return 0;
}

// Feeds one byte of the decoded text to the pattern and the excluded-keys trie; false when the pattern dies.
bool decoded(const Grammar& g, const StrSpec& s, Frame& f, uint8_t b) {
  uint32_t dfa_state = uint32_t(f.y), key = uint32_t(f.y >> 32);
  if (s.dfa >= 0) {
    int32_t nx = g.dfas[size_t(s.dfa)].next[dfa_state][b];
    if (nx < 0) return false;
    dfa_state = uint32_t(nx);
  }
  if (s.exclude >= 0 && key != kNone) key = g.key_sets[size_t(s.exclude)].nodes[key].next[b];
  f.y = uint64_t(dfa_state) | uint64_t(key) << 32;
  return true;
}

bool decoded_cp(const Grammar& g, const StrSpec& s, Frame& f, uint32_t cp) {
  uint8_t buf[4];
  int n;
  if (cp < 0x80) {
    buf[0] = uint8_t(cp), n = 1;
  } else if (cp < 0x800) {
    buf[0] = uint8_t(0xC0 | cp >> 6), buf[1] = uint8_t(0x80 | (cp & 0x3F)), n = 2;
  } else if (cp < 0x10000) {
    buf[0] = uint8_t(0xE0 | cp >> 12), buf[1] = uint8_t(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = uint8_t(0x80 | (cp & 0x3F)), n = 3;
  } else {
    buf[0] = uint8_t(0xF0 | cp >> 18), buf[1] = uint8_t(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = uint8_t(0x80 | ((cp >> 6) & 0x3F)), buf[3] = uint8_t(0x80 | (cp & 0x3F)), n = 4;
  }
  for (int i = 0; i < n; i++)
    if (!decoded(g, s, f, buf[i])) return false;
  return true;
}

bool may_close(const Grammar& g, const StrSpec& s, const Frame& f) {
  if (count(f) < s.min_len) return false;
  if (s.dfa >= 0 && !g.dfas[size_t(s.dfa)].accept[uint32_t(f.y)]) return false;
  uint32_t key = uint32_t(f.y >> 32);
  if (s.exclude >= 0 && key != kNone && g.key_sets[size_t(s.exclude)].nodes[key].terminal) return false;
  return true;
}

// Some short escape keeps the pattern alive (patterns take no \u escapes).
bool escape_viable(const Grammar& g, const StrSpec& s, const Frame& f) {
  if (s.dfa < 0) return true;
  for (int b : {'"', '\\', '/', 'b', 'f', 'n', 'r', 't'}) {
    Frame t = f;
    if (decoded(g, s, t, uint8_t(short_escape(b)))) return true;
  }
  return false;
}

// The range of code points a \u escape with `k` hex digits so far (value v) can still become.
bool hex_prefix_ok(uint32_t v, uint32_t k, bool low) {
  uint32_t shift = 4 * (4 - k), lo = v << shift, hi = lo + (1u << shift) - 1;
  if (low) return lo <= 0xDFFF && hi >= 0xDC00;  // must end inside DC00-DFFF
  return !(lo >= 0xDC00 && hi <= 0xDFFF);        // not a lone low surrogate
}
}  // namespace

bool Matcher::step_str(Config& c, int byte, std::vector<Config>& out) {
  const Grammar& g = *grammar_;
  const StrSpec& s = g.nodes[c.top.node].str;
  Frame& f = c.top;
  if (byte < 0) return false;
  const uint8_t b = uint8_t(byte);
  const uint32_t n = count(f);
  switch (phase(f)) {
    case kStart:
      if (b != '"') return false;
      set(f, kBody);
      f.x = 0;
      f.y = uint64_t(s.dfa >= 0 ? uint32_t(g.dfas[size_t(s.dfa)].start) : 0u) |
            (s.exclude >= 0 ? 0ull : uint64_t(kNone) << 32);
      break;
    case kBody:
      if (pending(f)) {
        if (!in_first_range(range_code(f), b) || !decoded(g, s, f, b)) return false;
        set(f, kBody, 0, pending(f) - 1, 0);
      } else if (b == '"') {
        if (!may_close(g, s, f)) return false;
        set(f, kClosed);
      } else if (b == '\\') {
        if (n >= s.max_len || !escape_viable(g, s, f)) return false;
        set_x(f, n + 1, 0, 0);
        set(f, kEsc);
      } else if (b < 0x20) {
        return false;
      } else if (b < 0x80) {
        if (n >= s.max_len || !decoded(g, s, f, b)) return false;
        set_x(f, n + 1, 0, 0);
      } else {
        uint32_t cont, range;
        if (!lead_byte(b, cont, range) || n >= s.max_len || !decoded(g, s, f, b)) return false;
        set_x(f, n + 1, 0, 0);
        set(f, kBody, 0, cont, range);
      }
      break;
    case kEsc:
      if (short_escape(b)) {
        if (!decoded(g, s, f, uint8_t(short_escape(b)))) return false;
        set(f, kBody);
      } else if (b == 'u' && s.dfa < 0) {
        set(f, kHex);
      } else {
        return false;
      }
      break;
    case kHex:
    case kLowHex: {
      const bool low = phase(f) == kLowHex;
      int d = hex_digit(b);
      if (d < 0) return false;
      uint32_t v = hex_value(f) << 4 | uint32_t(d), k = hex_count(f) + 1;
      if (!hex_prefix_ok(v, k, low)) return false;
      if (k < 4) {
        set_x(f, n, v, high_surrogate(f));
        set(f, phase(f), k);
      } else if (!low && v >= 0xD800 && v <= 0xDBFF) {
        set_x(f, n, 0, v);
        set(f, kLowSlash);
      } else {
        uint32_t cp = low ? 0x10000 + ((high_surrogate(f) - 0xD800) << 10) + (v - 0xDC00) : v;
        if (!decoded_cp(g, s, f, cp)) return false;
        set_x(f, n, 0, 0);
        set(f, kBody);
      }
      break;
    }
    case kLowSlash:
      if (b != '\\') return false;
      set(f, kLowU);
      break;
    case kLowU:
      if (b != 'u') return false;
      set(f, kLowHex);
      break;
    default: return false;
  }
  emit(c, out);
  return false;
}

bool Matcher::plain_string_body(const Config& c, uint32_t cps) const {
  if (c.top.node == kNone) return false;
  const Node& n = grammar_->nodes[c.top.node];
  if (n.kind != Kind::Str || phase(c.top) != kBody || pending(c.top) || n.str.dfa >= 0) return false;
  if (n.str.exclude >= 0 && uint32_t(c.top.y >> 32) != kNone) return false;
  return n.str.max_len == kNone || uint64_t(count(c.top)) + cps <= n.str.max_len;
}

uint64_t Matcher::str_min(const Frame& f) const {
  const Grammar& g = *grammar_;
  const StrSpec& s = g.nodes[f.node].str;
  const uint32_t n = count(f);
  auto body_rest = [&](const Frame& t) -> uint64_t {  // from the body with nothing pending: chars + quote
    uint64_t more =
        s.dfa >= 0 ? g.dfas[size_t(s.dfa)].min_to_accept[uint32_t(t.y)] : (n < s.min_len ? s.min_len - n : 0);
    uint32_t key = uint32_t(t.y >> 32);
    if (more == 0 && s.exclude >= 0 && key != kNone && g.key_sets[size_t(s.exclude)].nodes[key].terminal) more = 1;
    return more + 1;
  };
  switch (phase(f)) {
    case kStart: return g.min_units[f.node];
    case kBody:
      if (pending(f) && s.dfa >= 0) return body_rest(f);  // the DFA counts the pending bytes itself
      return pending(f) + body_rest(f);
    case kEsc: return 1 + body_rest(f);
    case kHex: return (4 - hex_count(f)) + body_rest(f);
    case kLowSlash: return 6 + body_rest(f);
    case kLowU: return 5 + body_rest(f);
    case kLowHex: return (4 - hex_count(f)) + body_rest(f);
    default: return 0;
  }
}

}  // namespace seek::grammar
