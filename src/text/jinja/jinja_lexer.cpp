#include "text/jinja/jinja_lexer.h"

#include <array>
#include <cstdint>
#include <utility>

#include "core/error.h"
#include "text/jinja/jinja_strings.h"

namespace seek::jinja {

const char* token_name(Tok t) {
  static constexpr std::array<const char*, 25> names = {
      "text", "number",   "string",   "name", "'='",        "'('",  "')'",    "'{%'", "'%}'",
      "'{{'", "'}}'",     "'['",      "']'",  "'{'",        "'}'",  "','",    "'.'",  "':'",
      "'|'",  "operator", "operator", "'**'", "comparison", "sign", "comment"};
  return names[static_cast<size_t>(t)];
}

std::string SourceInfo::where(size_t offset) const {
  size_t line = 1, col = 1;
  const size_t end = offset < source.size() ? offset : source.size();
  for (size_t i = 0; i < end;) {
    if (source[i] == '\n') {
      ++line;
      col = 1;
      ++i;
    } else {
      utf8_next(source, i);
      ++col;
    }
  }
  return name + ":" + std::to_string(line) + ":" + std::to_string(col);
}

namespace {

// Text plus, for every byte, its offset in the original source (one extra entry for the end).
struct Mapped {
  std::string text;
  std::vector<size_t> at;

  void push(const Mapped& from, size_t i) {
    text += from.text[i];
    at.push_back(from.at[i]);
  }
  void push_range(const Mapped& from, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) push(from, i);
  }
  void finish(const Mapped& from) { at.push_back(from.at.back()); }
};

bool space_at(std::string_view s, size_t i, size_t* next) {
  size_t j = i;
  const bool sp = is_space(utf8_next(s, j));
  if (sp && next) *next = j;
  return sp;
}

size_t skip_spaces(std::string_view s, size_t i) {
  size_t next = i;
  while (i < s.size() && space_at(s, i, &next)) i = next;
  return i;
}

bool line_terminator_before(std::string_view s, size_t i) {
  if (i == 0) return true;
  const char c = s[i - 1];
  if (c == '\n' || c == '\r') return true;
  // U+2028 / U+2029 end lines too (E2 80 A8 / E2 80 A9)
  return i >= 3 && s.substr(i - 3, 2) == "\xE2\x80" && (s[i - 1] == '\xA8' || s[i - 1] == '\xA9');
}

// lstrip_blocks: spaces and tabs at the start of a line go when a `{%`, `{#` or `{-` follows.
Mapped lstrip_blocks(const Mapped& in) {
  Mapped out;
  const std::string& s = in.text;
  size_t i = 0;
  while (i < s.size()) {
    if (line_terminator_before(s, i)) {
      size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j + 1 < s.size() && s[j] == '{' && (s[j + 1] == '%' || s[j + 1] == '#' || s[j + 1] == '-')) {
        out.push_range(in, j, j + 2);
        i = j + 2;
        continue;
      }
    }
    out.push(in, i++);
  }
  out.finish(in);
  return out;
}

// trim_blocks: the newline right after `%}`, `#}` or `-}` goes.
Mapped trim_blocks(const Mapped& in) {
  Mapped out;
  const std::string& s = in.text;
  size_t i = 0;
  while (i < s.size()) {
    if (i + 2 < s.size() && (s[i] == '%' || s[i] == '#' || s[i] == '-') && s[i + 1] == '}' && s[i + 2] == '\n') {
      out.push_range(in, i, i + 2);
      i += 3;
      continue;
    }
    out.push(in, i++);
  }
  out.finish(in);
  return out;
}

// `{% generation %}` / `{% endgeneration %}` mark assistant text for training masks; rendering drops the tags
// (and the whitespace around them unless the tag has no `-` on that side).
bool generation_tag(std::string_view s, size_t i, bool* lstrip, bool* rstrip, size_t* end) {
  if (s.substr(i, 2) != "{%") return false;
  size_t j = i + 2;
  *lstrip = j < s.size() && s[j] == '-';
  if (*lstrip) ++j;
  j = skip_spaces(s, j);
  if (s.substr(j, 3) == "end") j += 3;
  if (s.substr(j, 10) != "generation") return false;
  j = skip_spaces(s, j + 10);
  *rstrip = j < s.size() && s[j] == '-';
  if (*rstrip) ++j;
  if (s.substr(j, 2) != "%}") return false;
  *end = j + 2;
  return true;
}

Mapped drop_generation_tags(const Mapped& in) {
  const std::string& s = in.text;
  if (s.find("generation") == std::string::npos) return in;
  Mapped out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t j = skip_spaces(s, i);
    bool lstrip = false, rstrip = false;
    size_t end = 0;
    if (j < s.size() && generation_tag(s, j, &lstrip, &rstrip, &end)) {
      const size_t after = skip_spaces(s, end);
      if (!lstrip) out.push_range(in, i, j);
      if (!rstrip) out.push_range(in, end, after);
      i = after;
      continue;
    }
    if (j > i) {
      out.push_range(in, i, j);
      i = j;
      continue;
    }
    out.push(in, i++);
  }
  out.finish(in);
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

struct Symbol {
  std::string_view text;
  Tok type;
};
// Longest symbols first where one is a prefix of another.
constexpr Symbol kSymbols[] = {
    {"{%", Tok::open_stmt},     {"%}", Tok::close_stmt},
    {"{{", Tok::open_expr},     {"}}", Tok::close_expr},
    {"(", Tok::lparen},         {")", Tok::rparen},
    {"{", Tok::lbrace},         {"}", Tok::rbrace},
    {"[", Tok::lbracket},       {"]", Tok::rbracket},
    {",", Tok::comma},          {".", Tok::dot},
    {":", Tok::colon},          {"|", Tok::pipe},
    {"<=", Tok::comparison},    {">=", Tok::comparison},
    {"==", Tok::comparison},    {"!=", Tok::comparison},
    {"<", Tok::comparison},     {">", Tok::comparison},
    {"+", Tok::additive},       {"-", Tok::additive},
    {"~", Tok::additive},       {"**", Tok::power},
    {"*", Tok::multiplicative}, {"//", Tok::multiplicative},
    {"/", Tok::multiplicative}, {"%", Tok::multiplicative},
    {"=", Tok::equals},
};

class Lexer {
 public:
  Lexer(const SourceInfo& info, Mapped m) : info_(info), m_(std::move(m)), s_(m_.text) {}

  std::vector<Token> run() {
    while (pos_ < s_.size()) {
      if (text_allowed()) {
        const size_t start = pos_;
        while (pos_ < s_.size() && !tag_start(pos_)) ++pos_;
        if (pos_ > start) {
          push(Tok::text, std::string(s_.substr(start, pos_ - start)), start);
          continue;
        }
      }
      if (s_.substr(pos_, 2) == "{#") {
        comment();
        continue;
      }
      if (s_.substr(pos_, 3) == "{%-" || s_.substr(pos_, 3) == "{{-") {
        strip_trailing_text();
        const bool stmt = s_[pos_ + 1] == '%';
        push(stmt ? Tok::open_stmt : Tok::open_expr, stmt ? "{%" : "{{", pos_);
        if (!stmt) brace_depth_ = 0;
        pos_ += 3;
        continue;
      }
      pos_ = skip_spaces(s_, pos_);
      if (pos_ >= s_.size()) break;
      if (s_.substr(pos_, 3) == "-%}" || s_.substr(pos_, 3) == "-}}") {
        const bool stmt = s_[pos_ + 1] == '%';
        push(stmt ? Tok::close_stmt : Tok::close_expr, stmt ? "%}" : "}}", pos_);
        pos_ = skip_spaces(s_, pos_ + 3);
        continue;
      }
      if ((s_[pos_] == '-' || s_[pos_] == '+') && sign_is_unary()) {
        signed_number_or_unary();
        continue;
      }
      if (symbol()) continue;
      const char c = s_[pos_];
      if (c == '\'' || c == '"') {
        string_literal(c);
      } else if (is_digit(c)) {
        number("", pos_);
      } else if (is_word(c)) {
        const size_t start = pos_;
        while (pos_ < s_.size() && is_word(s_[pos_])) ++pos_;
        push(Tok::identifier, std::string(s_.substr(start, pos_ - start)), start);
      } else {
        size_t next = pos_;
        const char32_t cp = utf8_next(s_, next);
        std::string shown;
        utf8_append(shown, cp);
        fail(pos_, "unexpected character '" + shown + "' inside a tag");
      }
    }
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(size_t pos, const std::string& what) const {
    throw Error(info_.where(m_.at[pos]) + ": template syntax error: " + what);
  }

  void push(Tok t, std::string text, size_t pos) { tokens_.push_back(Token{t, std::move(text), m_.at[pos]}); }

  bool text_allowed() const {
    if (tokens_.empty()) return true;
    const Tok t = tokens_.back().type;
    return t == Tok::close_stmt || t == Tok::close_expr || t == Tok::comment;
  }

  bool tag_start(size_t i) const {
    return s_[i] == '{' && i + 1 < s_.size() && (s_[i + 1] == '%' || s_[i + 1] == '{' || s_[i + 1] == '#');
  }

  // `{%-` / `{{-` / `{#-`: whitespace at the end of the preceding text goes (the text too, if nothing is left).
  void strip_trailing_text() {
    if (tokens_.empty() || tokens_.back().type != Tok::text) return;
    tokens_.back().text = trim_right(tokens_.back().text);
    if (tokens_.back().text.empty()) tokens_.pop_back();
  }

  void comment() {
    const size_t start = pos_;
    pos_ += 2;
    const bool strip_before = pos_ < s_.size() && s_[pos_] == '-';
    if (strip_before) ++pos_;
    const size_t close = s_.find("#}", pos_);
    if (close == std::string_view::npos) fail(start, "comment '{#' is never closed with '#}'");
    std::string body(s_.substr(pos_, close - pos_));
    const bool strip_after = !body.empty() && body.back() == '-';
    if (strip_after) body.pop_back();
    if (strip_before) strip_trailing_text();
    push(Tok::comment, std::move(body), start);
    pos_ = close + 2;
    if (strip_after) pos_ = skip_spaces(s_, pos_);
  }

  // A `-`/`+` after an operand is binary; anywhere else it is a sign.
  bool sign_is_unary() const {
    if (tokens_.empty() || tokens_.back().type == Tok::text) fail(pos_, std::string("unexpected '") + s_[pos_] + "'");
    switch (tokens_.back().type) {
      case Tok::identifier:
      case Tok::number:
      case Tok::string:
      case Tok::rparen:
      case Tok::rbracket: return false;
      default: return true;
    }
  }

  void signed_number_or_unary() {
    const size_t start = pos_;
    const char sign = s_[pos_++];
    if (pos_ < s_.size() && is_digit(s_[pos_])) {
      number(std::string(1, sign), start);
    } else {
      push(Tok::unary, std::string(1, sign), start);
    }
  }

  void number(std::string text, size_t start) {
    while (pos_ < s_.size() && is_digit(s_[pos_])) text += s_[pos_++];
    const bool after_dot = !tokens_.empty() && tokens_.back().type == Tok::dot;
    if (!after_dot && pos_ + 1 < s_.size() && s_[pos_] == '.' && is_digit(s_[pos_ + 1])) {
      text += s_[pos_++];
      while (pos_ < s_.size() && is_digit(s_[pos_])) text += s_[pos_++];
    }
    push(Tok::number, std::move(text), start);
  }

  bool symbol() {
    for (const auto& sym : kSymbols) {
      if (sym.type == Tok::close_expr && brace_depth_ > 0) continue;  // `}}` closing a dict literal
      if (s_.substr(pos_, sym.text.size()) != sym.text) continue;
      push(sym.type, std::string(sym.text), pos_);
      if (sym.type == Tok::open_expr) brace_depth_ = 0;
      if (sym.type == Tok::lbrace) ++brace_depth_;
      if (sym.type == Tok::rbrace) --brace_depth_;
      pos_ += sym.text.size();
      return true;
    }
    return false;
  }

  int hex_value(char c) const {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  void string_literal(char quote) {
    const size_t start = pos_++;
    std::string out;
    char32_t pending_high = 0;  // a \uD8xx waiting for its low surrogate
    auto flush_high = [&] {
      if (pending_high) utf8_append(out, 0xFFFD);
      pending_high = 0;
    };
    while (true) {
      if (pos_ >= s_.size()) fail(start, "string literal is never closed");
      const char c = s_[pos_];
      if (c == quote) break;
      if (c != '\\') {
        flush_high();
        out += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= s_.size()) fail(start, "string literal is never closed");
      const char e = s_[pos_ + 1];
      pos_ += 2;
      if (e == 'x' || e == 'u') {
        const size_t len = e == 'x' ? 2 : 4;
        char32_t cp = 0;
        for (size_t k = 0; k < len; ++k) {
          const int h = pos_ + k < s_.size() ? hex_value(s_[pos_ + k]) : -1;
          if (h < 0)
            fail(pos_ - 2, std::string("invalid escape \\") + e + " (expected " + std::to_string(len) + " hex digits)");
          cp = cp * 16 + char32_t(h);
        }
        pos_ += len;
        if (cp >= 0xD800 && cp < 0xDC00) {
          flush_high();
          pending_high = cp;
        } else if (cp >= 0xDC00 && cp < 0xE000 && pending_high) {
          utf8_append(out, 0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00));
          pending_high = 0;
        } else {
          flush_high();
          utf8_append(out, cp >= 0xD800 && cp < 0xE000 ? 0xFFFD : cp);
        }
        continue;
      }
      flush_high();
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        default: fail(pos_ - 2, std::string("unknown escape sequence \\") + e);
      }
    }
    flush_high();
    ++pos_;  // closing quote
    push(Tok::string, std::move(out), start);
  }

  const SourceInfo& info_;
  Mapped m_;
  std::string_view s_;
  size_t pos_ = 0;
  int brace_depth_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(const SourceInfo& src, const LexOptions& opts) {
  Mapped m;
  m.text = src.source;
  m.at.resize(m.text.size() + 1);
  for (size_t i = 0; i <= m.text.size(); ++i) m.at[i] = i;
  // A single trailing newline is not part of the output (the default of the reference engine).
  if (!m.text.empty() && m.text.back() == '\n') {
    m.text.pop_back();
    m.at.erase(m.at.end() - 2);
  }
  if (opts.lstrip_blocks) m = lstrip_blocks(m);
  if (opts.trim_blocks) m = trim_blocks(m);
  m = drop_generation_tags(m);
  return Lexer(src, std::move(m)).run();
}

}  // namespace seek::jinja
