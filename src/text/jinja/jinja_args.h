// Argument helpers for builtin functions, methods and filters: fetch by position or keyword, check types.
#pragma once
#include <string>

#include "text/jinja/jinja_builtins.h"

namespace seek::jinja {

// The argument at `index` or the keyword `name`; null when neither was given.
inline const Value* arg(const CallArgs& a, size_t index, const char* name) {
  if (index < a.positional.size()) return &a.positional[index];
  return a.kwarg(name);
}

inline const std::string& require_string(const Value& v, const std::string& what) {
  if (!v.is_string()) throw EvalError(what + " must be a string, got a " + v.type_name());
  return v.as_string();
}

inline int64_t require_int(const Value& v, const std::string& what) {
  if (v.is(Value::Kind::integer)) return v.as_int();
  if (v.is(Value::Kind::boolean)) return v.as_bool() ? 1 : 0;
  throw EvalError(what + " must be an integer, got a " + v.type_name());
}

inline bool flag(const CallArgs& a, size_t index, const char* name, bool fallback) {
  const Value* v = arg(a, index, name);
  return v ? v->truthy() : fallback;
}

}  // namespace seek::jinja
