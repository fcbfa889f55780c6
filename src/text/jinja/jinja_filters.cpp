// Filters (`value | name(args)`) and tests (`value is name(args)`).
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "formats/escape.h"
#include "text/jinja/jinja_args.h"
#include "text/jinja/jinja_builtins.h"
#include "text/jinja/jinja_strings.h"

namespace seek::jinja {
namespace {

[[noreturn]] void wrong_type(const std::string& filter, const Value& v) {
  throw EvalError("filter '" + filter + "' cannot be applied to a " + v.type_name());
}

// `a.b.0` style lookups used by sort/map/selectattr.
Value attribute_path(const Value& item, const std::string& path) {
  Value v = item;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (v.is_array()) {
      char* end = nullptr;
      const long long idx = std::strtoll(part.c_str(), &end, 10);
      v = (!part.empty() && *end == 0) ? get_item(v, Value::integer(idx)) : Value();
    } else {
      v = get_item(v, Value::string(part));
    }
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
}

Value tojson(const Value& operand, const CallArgs& a) {
  JsonStyle st;
  if (const Value* indent = arg(a, 0, "indent"); indent && !indent->is_none())
    st.indent = int(std::clamp<int64_t>(require_int(*indent, "tojson indent"), -1, 64));
  if (const Value* v = a.kwarg("ensure_ascii")) st.ensure_ascii = v->truthy();
  if (const Value* v = a.kwarg("sort_keys")) st.sort_keys = v->truthy();
  if (const Value* sep = a.kwarg("separators"); sep && !sep->is_none()) {
    if (!sep->is_array() || sep->as_array().size() != 2) throw EvalError("tojson separators must be a pair of strings");
    st.separators = std::make_pair(require_string(sep->as_array()[0], "tojson item separator"),
                                   require_string(sep->as_array()[1], "tojson key separator"));
  }
  std::string out = to_json_text(operand, st);
  check_string_size(out.size());
  return Value::string(std::move(out));
}

Value length_of(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::string: return Value::integer(int64_t(utf8_length(v.as_string())));
    case Value::Kind::array: return Value::integer(int64_t(v.as_array().size()));
    case Value::Kind::object: return Value::integer(int64_t(v.as_object().size()));
    case Value::Kind::ns: return Value::integer(int64_t(v.as_namespace().size()));
    case Value::Kind::undefined: return Value::integer(0);
    default: wrong_type("length", v);
  }
}

Value sort_filter(const Value& v, const CallArgs& a) {
  if (!v.is_array()) wrong_type("sort", v);
  const bool reverse = flag(a, 0, "reverse", false);
  const bool case_sensitive = flag(a, 1, "case_sensitive", false);
  const Value* attr = arg(a, 2, "attribute");
  std::string path;
  if (attr && !attr->is_none())
    path = attr->is_string() ? attr->as_string() : std::to_string(require_int(*attr, "sort attribute"));
  Array items = v.as_array();
  auto key = [&](const Value& x) { return path.empty() ? x : attribute_path(x, path); };
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    const int c = compare_values(key(x), key(y), case_sensitive);
    return reverse ? c > 0 : c < 0;
  });
  return Value::array(std::move(items));
}

Value join_filter(const Value& v, const CallArgs& a) {
  const Value* sep = arg(a, 0, "d");
  const std::string separator = sep ? require_string(*sep, "join separator") : "";
  const Value* attr = arg(a, 1, "attribute");
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += separator;
    first = false;
    out += (attr ? attribute_path(item, attr->to_output()) : item).to_output();
    check_string_size(out.size());
  }
  return Value::string(std::move(out));
}

Value indent_filter(const Value& v, const CallArgs& a) {
  if (!v.is_string()) wrong_type("indent", v);
  std::string pad = "    ";
  if (const Value* w = arg(a, 0, "width"))
    pad = w->is_string() ? w->as_string()
                         : std::string(size_t(std::clamp<int64_t>(require_int(*w, "indent width"), 0, 1024)), ' ');
  const bool first = flag(a, 1, "first", false), blank = flag(a, 2, "blank", false);
  const std::string newline = "\n";
  const auto lines = split(v.as_string(), &newline, -1);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    if ((i > 0 || first) && (blank || !lines[i].empty())) out += pad;
    out += lines[i];
  }
  check_string_size(out.size());
  return Value::string(std::move(out));
}

Value number_filter(const std::string& name, const Value& v, const CallArgs& a) {
  const bool to_int = name == "int";
  const Value* def = arg(a, 0, "default");
  const Value fallback = def ? *def : to_int ? Value::integer(0) : Value::floating(0.0);
  if (v.is(Value::Kind::boolean)) return to_int ? Value::integer(v.as_bool()) : Value::floating(v.as_bool());
  if (v.is(Value::Kind::integer)) return to_int ? v : Value::floating(double(v.as_int()));
  if (v.is(Value::Kind::floating)) {
    if (!to_int) return v;
    if (!std::isfinite(v.as_float())) return fallback;
    return Value::integer(int64_t(std::trunc(v.as_float())));
  }
  if (v.is_string()) {
    const std::string s = trim(v.as_string());
    if (s.empty()) return fallback;
    char* end = nullptr;
    if (to_int) {
      const long long i = std::strtoll(s.c_str(), &end, 10);
      if (*end == 0) return Value::integer(i);
    }
    const double d = std::strtod(s.c_str(), &end);
    if (*end != 0 || !std::isfinite(d)) return fallback;
    return to_int ? Value::integer(int64_t(std::trunc(d))) : Value::floating(d);
  }
  return fallback;
}

// selectattr/rejectattr/select/reject: keep items whose (attribute) passes the test.
Value select_filter(const std::string& name, const Value& v, const CallArgs& a) {
  const bool by_attr = name == "selectattr" || name == "rejectattr";
  const bool keep_passing = name == "select" || name == "selectattr";
  size_t next = 0;
  std::string path;
  if (by_attr) {
    if (a.positional.empty()) throw EvalError(name + "() needs an attribute name");
    path = require_string(a.positional[next++], name + " attribute");
  }
  std::string test;
  if (next < a.positional.size()) test = require_string(a.positional[next++], name + " test name");
  CallArgs test_args;
  test_args.positional.assign(a.positional.begin() + std::ptrdiff_t(next), a.positional.end());
  Array out;
  for (const Value& item : iterate(v)) {
    const Value x = by_attr ? attribute_path(item, path) : item;
    const bool pass =
        test.empty()
            ? x.truthy()
            : (!x.is_undefined() || test == "undefined" || test == "defined" ? apply_test(test, x, test_args) : false);
    if (pass == keep_passing) out.push_back(item);
  }
  return Value::array(std::move(out));
}

Value map_filter(const Value& v, const CallArgs& a) {
  Array out;
  if (const Value* attr = a.kwarg("attribute")) {
    const std::string path = attr->to_output();
    const Value* def = a.kwarg("default");
    for (const Value& item : iterate(v)) {
      Value x = attribute_path(item, path);
      out.push_back(x.is_undefined() && def ? *def : x);
    }
    return Value::array(std::move(out));
  }
  if (a.positional.empty()) throw EvalError("map() needs a filter name or attribute=");
  const std::string filter = require_string(a.positional[0], "map filter name");
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + 1, a.positional.end());
  rest.keyword = a.keyword;
  for (const Value& item : iterate(v)) out.push_back(apply_filter(filter, item, rest));
  return Value::array(std::move(out));
}

}  // namespace

Value apply_filter(const std::string& name, const Value& v, const CallArgs& a) {
  if (name == "safe") return v;
  if (name == "tojson") return tojson(v, a);
  if (name == "string") return Value::string(v.to_output());
  if (name == "length" || name == "count") return length_of(v);
  if (name == "default" || name == "d") {
    const Value* def = arg(a, 0, "default_value");
    const bool boolean = flag(a, 1, "boolean", false);
    if (v.is_undefined() || (boolean && !v.truthy())) return def ? *def : Value::string("");
    return v;
  }
  if (name == "bool") return Value::boolean(v.truthy());
  if (name == "int" || name == "float") return number_filter(name, v, a);
  if (name == "items") {
    if (v.is_undefined()) return Value::array();
    if (!v.is_object()) wrong_type(name, v);
    return get_attribute(v, "items").as_function()(a);
  }
  if (name == "dictsort") {
    if (!v.is_object()) wrong_type(name, v);
    return get_attribute(v, "dictsort").as_function()(a);
  }
  if (name == "list") return Value::array(iterate(v));
  if (name == "first" || name == "last") {
    const Array items = iterate(v);
    if (items.empty()) return Value();
    return name == "first" ? items.front() : items.back();
  }
  if (name == "reverse") {
    if (v.is_string()) {
      auto chars = utf8_chars(v.as_string());
      std::string out;
      for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
      return Value::string(std::move(out));
    }
    if (!v.is_array()) wrong_type(name, v);
    Array items = v.as_array();
    std::reverse(items.begin(), items.end());
    return Value::array(std::move(items));
  }
  if (name == "sort") return sort_filter(v, a);
  if (name == "join") return join_filter(v, a);
  if (name == "unique") {
    Array out;
    for (const Value& item : iterate(v)) {
      bool seen = false;
      for (const Value& o : out) seen = seen || (o.kind() == item.kind() && equals(o, item));
      if (!seen) out.push_back(item);
    }
    return Value::array(std::move(out));
  }
  if (name == "sum") {
    Value total = arg(a, 1, "start") ? *arg(a, 1, "start") : Value::integer(0);
    const Value* attr = arg(a, 0, "attribute");
    for (const Value& item : iterate(v))
      total = binary_op("+", total, attr ? attribute_path(item, attr->to_output()) : item);
    return total;
  }
  if (name == "abs") {
    if (v.is(Value::Kind::integer)) return Value::integer(v.as_int() < 0 ? -v.as_int() : v.as_int());
    if (v.is(Value::Kind::floating)) return Value::floating(std::fabs(v.as_float()));
    wrong_type(name, v);
  }
  if (name == "round") {
    if (!v.is_number()) wrong_type(name, v);
    const Value* p = arg(a, 0, "precision");
    const double scale = std::pow(10.0, double(p ? require_int(*p, "round precision") : 0));
    const Value* m = arg(a, 1, "method");
    const std::string method = m ? require_string(*m, "round method") : "common";
    const double x = v.as_number() * scale;
    const double r = method == "floor" ? std::floor(x) : method == "ceil" ? std::ceil(x) : std::round(x);
    return Value::floating(r / scale);
  }
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr")
    return select_filter(name, v, a);
  if (name == "map") return map_filter(v, a);
  // string filters
  if (v.is_string()) {
    const std::string& s = v.as_string();
    if (name == "upper") return Value::string(to_upper(s));
    if (name == "lower") return Value::string(to_lower(s));
    if (name == "title") return Value::string(title_case(s));
    if (name == "capitalize") return Value::string(capitalize(s));
    if (name == "trim") {
      const Value* chars = arg(a, 0, "chars");
      if (chars && !chars->is_none()) {
        const std::string set = require_string(*chars, "trim chars");
        return Value::string(trim(s, &set));
      }
      return Value::string(trim(s));
    }
    if (name == "indent") return indent_filter(v, a);
    if (name == "replace") return get_attribute(v, "replace").as_function()(a);
    if (name == "escape" || name == "e") return Value::string(html_escape(s));
    if (name == "wordcount") return Value::integer(int64_t(split(s, nullptr, -1).size()));
  }
  static const char* const string_filters[] = {"upper",  "lower",   "title",  "capitalize", "trim",
                                               "indent", "replace", "escape", "e",          "wordcount"};
  for (const char* f : string_filters)
    if (name == f) wrong_type(name, v);
  throw EvalError("unknown filter '" + name + "'");
}

bool apply_test(const std::string& name, const Value& v, const CallArgs& a) {
  using K = Value::Kind;
  auto other = [&]() -> const Value& {
    if (a.positional.empty()) throw EvalError("test '" + name + "' needs an argument");
    return a.positional[0];
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is(K::boolean);
  if (name == "false") return v.is(K::boolean) && !v.as_bool();
  if (name == "true") return v.is(K::boolean) && v.as_bool();
  if (name == "integer") return v.is(K::integer);
  if (name == "float") return v.is(K::floating);
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_object();
  if (name == "iterable") return v.is_array() || v.is_string();
  if (name == "sequence") return v.is_array() || v.is_object() || v.is_string();
  if (name == "callable") return v.is(K::function);
  if (name == "odd" || name == "even") {
    if (!v.is(K::integer)) throw EvalError("test '" + name + "' needs an integer, got a " + v.type_name());
    return (v.as_int() % 2 != 0) == (name == "odd");
  }
  if (name == "divisibleby") {
    const int64_t d = require_int(other(), "divisibleby argument");
    if (d == 0) throw EvalError("divisibleby(0)");
    return v.is(K::integer) && v.as_int() % d == 0;
  }
  if (name == "lower") return v.is_string() && to_lower(v.as_string()) == v.as_string();
  if (name == "upper") return v.is_string() && to_upper(v.as_string()) == v.as_string();
  if (name == "eq" || name == "equalto" || name == "==") return equals(v, other());
  if (name == "ne" || name == "!=") return !equals(v, other());
  if (name == "sameas") return v.kind() == other().kind() && equals(v, other());
  if (name == "in") return binary_op("in", v, other()).as_bool();
  static const char* const comparisons[][2] = {{"lt", "<"},  {"le", "<="},      {"gt", ">"},
                                               {"ge", ">="}, {"lessthan", "<"}, {"greaterthan", ">"}};
  for (const auto& [test, op] : comparisons)
    if (name == test) return binary_op(op, v, other()).as_bool();
  throw EvalError("unknown test '" + name + "'");
}

}  // namespace seek::jinja
