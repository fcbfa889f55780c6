#include "text/jinja/jinja_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "formats/escape.h"
#include "text/jinja/jinja_strings.h"

namespace seek::jinja {

const Value* Object::find(std::string_view key) const {
  for (const auto& [k, v] : items_)
    if (k == key) return &v;
  return nullptr;
}

void Object::set(std::string key, Value value) {
  for (auto& [k, v] : items_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  items_.emplace_back(std::move(key), std::move(value));
}

const Value* CallArgs::kwarg(std::string_view name) const {
  for (const auto& [k, v] : keyword)
    if (k == name) return &v;
  return nullptr;
}

Value Value::array(Array a) { return Value(Storage(std::in_place_index<6>, std::make_shared<Array>(std::move(a)))); }
Value Value::object(Object o) { return Value(Storage(std::in_place_index<7>, std::make_shared<Object>(std::move(o)))); }
Value Value::namespace_(Object o) {
  return Value(Storage(std::in_place_index<8>, NamespaceRef{std::make_shared<Object>(std::move(o))}));
}
Value Value::function(Function f) {
  return Value(Storage(std::in_place_index<9>, std::make_shared<const Function>(std::move(f))));
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::undefined:
    case Kind::none: return false;
    case Kind::boolean: return as_bool();
    case Kind::integer: return as_int() != 0;
    case Kind::floating: return as_float() != 0 && !std::isnan(as_float());
    case Kind::string: return !as_string().empty();
    case Kind::array: return !as_array().empty();
    case Kind::object: return as_object().size() > 0;
    case Kind::ns:
    case Kind::function: return true;
  }
  return false;
}

std::string Value::type_name() const {
  static const char* const names[] = {"undefined", "none", "boolean", "integer",   "float",
                                      "string",    "list", "dict",    "namespace", "function"};
  return names[v_.index()];
}

std::string format_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  // Shortest digits that round-trip, from scientific form "d.ddde±x".
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp10 = std::stoi(sci.substr(e + 1));
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits * 10^n
  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(size_t(n - k), '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, size_t(n)) + "." + digits.substr(size_t(n));
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(size_t(-n), '0') + digits;
  } else {
    const int shown = n - 1;
    out = digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += "e";
    out += shown >= 0 ? "+" : "-";
    out += std::to_string(std::abs(shown));
  }
  return sign + out;
}

namespace {

std::string float_output(double d) {
  if (std::signbit(d) && d == 0) return "-0.0";
  if (std::isfinite(d) && d == std::trunc(d)) {
    if (std::fabs(d) >= 1e21) return format_number(d);
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.0f", d);
    return std::string(buf) + ".0";
  }
  return format_number(d);
}

void write_json(std::string& out, const Value& v, const JsonStyle& st, int depth) {
  using K = Value::Kind;
  switch (v.kind()) {
    case K::none: out += "null"; return;
    case K::undefined: out += st.undefined_as_null ? "null" : "undefined"; return;
    case K::boolean: out += v.as_bool() ? "true" : "false"; return;
    case K::integer: out += std::to_string(v.as_int()); return;
    case K::floating: out += std::isfinite(v.as_float()) ? format_number(v.as_float()) : "null"; return;
    case K::string: append_json_string(out, v.as_string(), {st.ensure_ascii, /*strict_utf8=*/false}); return;
    case K::function: throw Error("tojson: cannot convert a function to JSON");
    default: break;
  }
  if (depth > 512) throw Error("tojson: value nested too deeply");
  const bool pretty = st.indent > 0;
  const std::string item_sep = st.separators ? st.separators->first : pretty ? "," : ", ";
  const std::string key_sep = st.separators ? st.separators->second : ": ";
  const std::string pad = pretty ? std::string(size_t(st.indent), ' ') : "";
  std::string base = "\n", child = "\n";
  if (pretty) {
    for (int d = 0; d < depth; ++d) base += pad;
    child = base + pad;
  }
  if (v.is_array()) {
    const Array& a = v.as_array();
    out += '[';
    for (size_t i = 0; i < a.size(); ++i) {
      if (i) out += item_sep;
      if (pretty) out += child;
      write_json(out, a[i], st, depth + 1);
    }
    if (pretty && !a.empty()) out += base;
    out += ']';
    return;
  }
  const Object& o = v.is_object() ? v.as_object() : v.as_namespace();
  std::vector<const std::pair<std::string, Value>*> entries;
  for (const auto& kv : o.items()) entries.push_back(&kv);
  if (st.sort_keys)
    std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
  out += '{';
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += item_sep;
    if (pretty) out += child;
    append_json_string(out, entries[i]->first, {st.ensure_ascii, /*strict_utf8=*/false});
    out += key_sep;
    write_json(out, entries[i]->second, st, depth + 1);
  }
  if (pretty && !entries.empty()) out += base;
  out += '}';
}

bool numeric_like(const Value& v) { return v.is_number() || v.is(Value::Kind::boolean); }
double numeric_value(const Value& v) { return v.is(Value::Kind::boolean) ? (v.as_bool() ? 1.0 : 0.0) : v.as_number(); }

}  // namespace

std::string Value::to_output() const {
  switch (kind()) {
    case Kind::undefined:
    case Kind::none: return {};
    case Kind::boolean: return as_bool() ? "true" : "false";
    case Kind::integer: return std::to_string(as_int());
    case Kind::floating: return float_output(as_float());
    case Kind::string: return as_string();
    case Kind::function: return "<function>";
    default: {
      JsonStyle st;
      st.undefined_as_null = false;
      std::string out;
      write_json(out, *this, st, 0);
      return out;
    }
  }
}

std::string to_json_text(const Value& v, const JsonStyle& style) {
  std::string out;
  write_json(out, v, style, 0);
  return out;
}

bool equals(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (numeric_like(a) && numeric_like(b)) {
    if (a.is(K::integer) && b.is(K::integer)) return a.as_int() == b.as_int();
    return numeric_value(a) == numeric_value(b);
  }
  const bool a_nothing = a.is_none() || a.is_undefined(), b_nothing = b.is_none() || b.is_undefined();
  if (a_nothing || b_nothing) return a_nothing && b_nothing;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::string: return a.as_string() == b.as_string();
    case K::array: {
      const Array &x = a.as_array(), &y = b.as_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!equals(x[i], y[i])) return false;
      return true;
    }
    case K::object: {
      const Object &x = a.as_object(), &y = b.as_object();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x.items()) {
        const Value* other = y.find(k);
        if (!other || !equals(v, *other)) return false;
      }
      return true;
    }
    case K::ns: return &a.as_namespace() == &b.as_namespace();
    case K::function: return &a.as_function() == &b.as_function();
    default: return false;
  }
}

}  // namespace seek::jinja
