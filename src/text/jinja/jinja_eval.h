// Evaluates a parsed template against a context of variables. Scoping follows the reference renderer: a for
// loop has one scope for all its iterations (assignments inside do not leak out), `if` has none, macros see
// the scope they were defined in. Runaway templates stop with an error: bounded work, nesting and output.
#pragma once
#include <string>

#include "text/jinja/jinja_ast.h"
#include "text/jinja/jinja_lexer.h"

namespace seek::jinja {

struct EvalLimits {
  size_t max_steps = 50'000'000;  // node evaluations per render
  int max_depth = 400;            // nested evaluations (macro recursion included)
};

// Throws seek::Error naming the template position for runtime errors (type errors, raise_exception, limits).
std::string evaluate(const Block& program, const SourceInfo& src, const Object& context, const EvalLimits& limits = {});

}  // namespace seek::jinja
