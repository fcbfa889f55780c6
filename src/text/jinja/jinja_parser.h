// Tokens -> syntax tree. Operator precedence follows the reference renderer (lowest first): `a if c else b`,
// or, and, not, comparisons and `in`, + - ~, * / // %, **, `is` tests, `|` filters, unary signs, then
// calls/attributes/subscripts. Syntax errors are seek::Error naming the original line and column.
#pragma once
#include <vector>

#include "text/jinja/jinja_ast.h"
#include "text/jinja/jinja_lexer.h"

namespace seek::jinja {

Block parse(const std::vector<Token>& tokens, const SourceInfo& src);

}  // namespace seek::jinja
