// Syntax tree of a parsed template. One node type with a kind tag keeps the parser and evaluator simple; the
// fields a kind uses are listed beside it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "text/jinja/jinja_value.h"

namespace seek::jinja {

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Block = std::vector<NodePtr>;

enum class NodeKind {
  // statements
  text,          // name = the text
  output,        // kids[0] = expression inside {{ }}
  if_,           // kids[0] = test, body, alt (an elif is a nested if_ alone in alt)
  for_,          // kids[0] = target, kids[1] = iterable, kids[2] = loop filter or null, body, alt = else block
  set,           // kids[0] = target, kids[1] = value or null (block set: body)
  macro,         // name, params, body
  call_block,    // kids[0] = call expression, params = caller's parameters, body
  filter_block,  // kids[0] = filter expression applied to the rendered body (operand is null), body
  break_,
  continue_,
  // expressions
  literal,    // value
  name,       // name
  list,       // kids = items
  tuple,      // kids = items
  dict,       // kids = key0, value0, key1, value1, ...
  attribute,  // kids[0] = object, name = attribute (obj.name), or value = integer for obj.0
  index,      // kids[0] = object, kids[1] = subscript
  slice,      // kids[0] = object, kids[1..3] = start, stop, step (each may be null)
  call,       // kids[0] = callee, args
  filter,     // kids[0] = operand, name, args (has_args says whether parentheses were written)
  test,       // kids[0] = operand, name, negate, args
  unary,      // name = "not" | "-" | "+", kids[0]
  binary,     // name = operator, kids[0], kids[1]
  ternary,    // kids[0] = condition, kids[1] = if true, kids[2] = if false
  select,     // `a if cond` with no else: kids[0] = a, kids[1] = cond; undefined when cond is false
};

struct Arg {
  enum class Kind { positional, keyword, spread, kwspread };
  Kind kind = Kind::positional;
  std::string name;  // keyword name / parameter name
  NodePtr value;     // argument value / parameter default (may be null for a parameter without default)
};

struct Node {
  NodeKind kind;
  size_t offset = 0;  // in the original source, for error messages
  std::string name;
  Value value;
  bool negate = false;
  bool has_args = false;
  std::vector<NodePtr> kids;
  std::vector<Arg> args;
  Block body, alt;

  Node(NodeKind k, size_t off) : kind(k), offset(off) {}
};

}  // namespace seek::jinja
