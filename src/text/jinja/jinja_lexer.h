// Template source -> tokens. The whitespace options are applied to the raw text first (trim_blocks: drop the
// newline after a block tag; lstrip_blocks: drop spaces/tabs before a block tag at the start of a line), exactly as
// the reference renderer does, then `{%-`/`-%}` strip whitespace while tokenizing. Every token keeps its offset
// in the original source so errors name the original line and column.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace seek::jinja {

enum class Tok {
  text,            // literal template text
  number,          // 12, 1.5, -3 (a sign directly before digits in operand position is part of the literal)
  string,          // 'a' "b" (escapes already decoded)
  identifier,      // names and keywords (if, for, in, not, and, ...)
  equals,          // =
  lparen,          // (
  rparen,          // )
  open_stmt,       // {%
  close_stmt,      // %}
  open_expr,       // {{
  close_expr,      // }}
  lbracket,        // [
  rbracket,        // ]
  lbrace,          // {
  rbrace,          // }
  comma,           // ,
  dot,             // .
  colon,           // :
  pipe,            // |
  additive,        // + - ~
  multiplicative,  // * / // %
  power,           // **
  comparison,      // < > <= >= == !=
  unary,           // a lone + or - in operand position
  comment,         // {# ... #}
};

const char* token_name(Tok t);

struct Token {
  Tok type;
  std::string text;
  size_t offset;  // in the original source
};

struct LexOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// Where an offset lies in the source, for messages ("name:line:col").
struct SourceInfo {
  std::string name;                        // file name or "chat template"
  std::string source;                      // original text
  std::string where(size_t offset) const;  // "name:LINE:COL"
};

// Throws seek::Error naming the position for unterminated strings/comments and unexpected characters.
std::vector<Token> tokenize(const SourceInfo& src, const LexOptions& opts = {});

}  // namespace seek::jinja
