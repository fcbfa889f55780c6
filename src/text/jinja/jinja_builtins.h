// What the template language provides beyond syntax: attribute and item access with the Python-style string and
// dict methods (jinja_access.cpp), operators (jinja_operators.cpp), filters and tests (jinja_filters.cpp) and global
// functions (jinja_globals.cpp). These throw EvalError without a position; the evaluator adds line and column.
#pragma once
#include <stdexcept>
#include <string>

#include "text/jinja/jinja_value.h"

namespace seek::jinja {

struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Guards against runaway templates: no string or rendered output beyond this many bytes, no list beyond this
// many items.
constexpr size_t kMaxStringBytes = size_t(64) << 20;
constexpr size_t kMaxListItems = size_t(1) << 20;
void check_string_size(size_t bytes);

Value get_attribute(const Value& object, const std::string& name);  // object.name
Value get_item(const Value& object, const Value& key);              // object[key]
Value get_slice(const Value& object, const Value& start, const Value& stop, const Value& step);

Value binary_op(const std::string& op, const Value& a, const Value& b);  // everything but and/or
Value unary_op(const std::string& op, const Value& v);                   // not, -, +

// The elements a for loop visits: list items, dict keys, string characters; undefined loops zero times.
Array iterate(const Value& v);

Value apply_filter(const std::string& name, const Value& operand, const CallArgs& args);
bool apply_test(const std::string& name, const Value& operand, const CallArgs& args);

// range, namespace, dict, raise_exception, strftime_now.
void add_globals(Object& globals);

// Shared by sort filters: the reference engine's ordering (numbers with numbers, strings case-insensitively
// unless asked, none with none; other mixes are errors).
int compare_values(const Value& a, const Value& b, bool case_sensitive);

}  // namespace seek::jinja
