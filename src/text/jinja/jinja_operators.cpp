// Operators, comparison for sorting, and what a for loop iterates over.
#include <cmath>

#include "text/jinja/jinja_builtins.h"
#include "text/jinja/jinja_strings.h"

namespace seek::jinja {

Array iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::array: return v.as_array();
    case Value::Kind::object: {
      Array keys;
      for (const auto& [k, x] : v.as_object().items()) keys.push_back(Value::string(k));
      return keys;
    }
    case Value::Kind::string: {
      Array chars;
      for (auto& c : utf8_chars(v.as_string())) chars.push_back(Value::string(std::move(c)));
      return chars;
    }
    case Value::Kind::undefined: return {};
    default: throw EvalError("cannot loop over a " + v.type_name());
  }
}

int compare_values(const Value& a, const Value& b, bool case_sensitive) {
  auto numeric = [](const Value& v) { return v.is_number() || v.is(Value::Kind::boolean); };
  auto num = [](const Value& v) { return v.is(Value::Kind::boolean) ? double(v.as_bool()) : v.as_number(); };
  if (a.is_none() && b.is_none()) return 0;
  if (a.is_undefined() && b.is_undefined()) return 0;
  if (numeric(a) && numeric(b)) {
    const double x = num(a), y = num(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    const std::string x = case_sensitive ? a.as_string() : to_lower(a.as_string());
    const std::string y = case_sensitive ? b.as_string() : to_lower(b.as_string());
    return x < y ? -1 : x > y ? 1 : 0;
  }
  throw EvalError("cannot compare a " + a.type_name() + " with a " + b.type_name());
}

namespace {

bool numeric_like(const Value& v) { return v.is_number() || v.is(Value::Kind::boolean); }
bool int_like(const Value& v) { return v.is(Value::Kind::integer) || v.is(Value::Kind::boolean); }
int64_t int_of(const Value& v) { return v.is(Value::Kind::boolean) ? int64_t(v.as_bool()) : v.as_int(); }
double num_of(const Value& v) { return v.is(Value::Kind::boolean) ? double(v.as_bool()) : v.as_number(); }

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  const bool ints = int_like(a) && int_like(b);
  if (op == "<" || op == ">" || op == "<=" || op == ">=") {
    const int c = ints ? (int_of(a) < int_of(b)   ? -1
                          : int_of(a) > int_of(b) ? 1
                                                  : 0)
                       : (num_of(a) < num_of(b)   ? -1
                          : num_of(a) > num_of(b) ? 1
                                                  : 0);
    const bool nan = !ints && (std::isnan(num_of(a)) || std::isnan(num_of(b)));
    if (nan) return Value::boolean(false);
    return Value::boolean(op == "<" ? c < 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : c >= 0);
  }
  if (op == "/") {
    if (num_of(b) == 0) throw EvalError("division by zero");
    return Value::floating(num_of(a) / num_of(b));
  }
  if ((op == "//" || op == "%") && num_of(b) == 0) throw EvalError("division by zero");
  if (ints) {
    const int64_t x = int_of(a), y = int_of(b);
    int64_t r = 0;
    if (op == "+" && !__builtin_add_overflow(x, y, &r)) return Value::integer(r);
    if (op == "-" && !__builtin_sub_overflow(x, y, &r)) return Value::integer(r);
    if (op == "*" && !__builtin_mul_overflow(x, y, &r)) return Value::integer(r);
    if (op == "//" && !(x == INT64_MIN && y == -1)) {
      r = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0))) --r;
      return Value::integer(r);
    }
    if (op == "%" && !(x == INT64_MIN && y == -1)) {
      r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) r += y;
      return Value::integer(r);
    }
    if (op == "**" && y >= 0) {
      int64_t acc = 1;
      bool overflow = false;
      for (int64_t k = 0; k < y && !overflow; ++k) {
        overflow = __builtin_mul_overflow(acc, x, &acc);
        if (acc == 0 || acc == 1) break;  // 0**n, 1**n
        if (x == -1) {
          acc = (y % 2) ? -1 : 1;
          break;
        }
      }
      if (!overflow) return Value::integer(acc);
    }
  }
  const double x = num_of(a), y = num_of(b);
  if (op == "+") return Value::floating(x + y);
  if (op == "-") return Value::floating(x - y);
  if (op == "*") return Value::floating(x * y);
  if (op == "//") return Value::floating(std::floor(x / y));
  if (op == "%") {
    double r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return Value::floating(r);
  }
  if (op == "**") {
    if (x == 0 && y < 0) throw EvalError("0 cannot be raised to a negative power");
    const double r = std::pow(x, y);
    if (!std::isfinite(r)) throw EvalError("exponentiation result is not a finite real number");
    return Value::floating(r);
  }
  throw EvalError("unsupported operator '" + op + "' between numbers");
}

std::string concat(const Value& a, const Value& b) {
  if (a.is_string() && b.is_string()) {  // the common case, without temporary copies
    check_string_size(a.as_string().size() + b.as_string().size());
    std::string out;
    out.reserve(a.as_string().size() + b.as_string().size());
    return out.append(a.as_string()).append(b.as_string());
  }
  std::string out = a.to_output();
  out += b.to_output();
  check_string_size(out.size());
  return out;
}

bool contains(const Value& container, const Value& item) {
  if (container.is_array()) {
    for (const Value& v : container.as_array())
      if (equals(v, item)) return true;
    return false;
  }
  if (container.is_string() && item.is_string())
    return container.as_string().find(item.as_string()) != std::string::npos;
  if ((container.is_object() || container.is(Value::Kind::ns)) && item.is_string()) {
    const Object& o = container.is_object() ? container.as_object() : container.as_namespace();
    return o.find(item.as_string()) != nullptr;
  }
  if (container.is_undefined()) return false;
  throw EvalError("cannot test whether a " + item.type_name() + " is in a " + container.type_name());
}

}  // namespace

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return Value::boolean(equals(a, b));
  if (op == "!=") return Value::boolean(!equals(a, b));
  if (op == "~") return Value::string(concat(a, b));
  if (op == "in") return Value::boolean(contains(b, a));
  if (op == "not in") return Value::boolean(!contains(b, a));
  for (const Value* v : {&a, &b})
    if (v->is_undefined() || v->is_none())
      throw EvalError("cannot apply '" + op + "' to " + (v->is_none() ? "none" : "an undefined value") +
                      " (left: " + a.type_name() + ", right: " + b.type_name() + ")");
  if (numeric_like(a) && numeric_like(b)) return arithmetic(op, a, b);
  if (op == "+") {
    if (a.is_array() && b.is_array()) {
      if (a.as_array().size() + b.as_array().size() > kMaxListItems) throw EvalError("list grew too large");
      Array out = a.as_array();
      out.insert(out.end(), b.as_array().begin(), b.as_array().end());
      return Value::array(std::move(out));
    }
    // A string and a number concatenate (the reference renderer's rule); a string and a list or dict do not.
    const bool containers = a.is_array() || a.is_object() || b.is_array() || b.is_object();
    if ((a.is_string() || b.is_string()) && !containers) return Value::string(concat(a, b));
  }
  if (a.is_string() && b.is_string() && (op == "<" || op == ">" || op == "<=" || op == ">=")) {
    const int c = a.as_string().compare(b.as_string());
    return Value::boolean(op == "<" ? c < 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : c >= 0);
  }
  if (op == "*" && ((a.is_string() && int_like(b)) || (int_like(a) && b.is_string()))) {
    const std::string& s = a.is_string() ? a.as_string() : b.as_string();
    const int64_t n = a.is_string() ? int_of(b) : int_of(a);
    if (n > 0) check_string_size(s.size() * size_t(n));
    std::string out;
    for (int64_t k = 0; k < n; ++k) out += s;
    return Value::string(std::move(out));
  }
  throw EvalError("unsupported operator '" + op + "' between a " + a.type_name() + " and a " + b.type_name());
}

Value unary_op(const std::string& op, const Value& v) {
  if (op == "not") return Value::boolean(!v.truthy());
  const int sign = op == "-" ? -1 : 1;
  if (v.is(Value::Kind::boolean)) return Value::integer(sign * int64_t(v.as_bool()));
  if (v.is(Value::Kind::integer)) {
    if (sign < 0 && v.as_int() == INT64_MIN) return Value::floating(-double(INT64_MIN));
    return Value::integer(sign * v.as_int());
  }
  if (v.is(Value::Kind::floating)) return Value::floating(sign * v.as_float());
  throw EvalError("unary '" + op + "' needs a number, got a " + v.type_name());
}

}  // namespace seek::jinja
