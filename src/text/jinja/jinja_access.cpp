// Attribute, item and slice access, with the Python-style string and dict methods they expose.
#include <algorithm>
#include <optional>

#include "text/jinja/jinja_args.h"
#include "text/jinja/jinja_builtins.h"
#include "text/jinja/jinja_strings.h"

namespace seek::jinja {

namespace {

// ---- string methods: "text".name(args) ----
bool prefix_test(const std::string& s, const Value& pattern, bool at_end, const char* method) {
  auto one = [&](const Value& p) {
    if (!p.is_string()) throw EvalError(std::string(method) + "() takes a string or a list of strings");
    const std::string& x = p.as_string();
    if (x.size() > s.size()) return false;
    return at_end ? s.compare(s.size() - x.size(), x.size(), x) == 0 : s.compare(0, x.size(), x) == 0;
  };
  if (pattern.is_array()) {
    for (const Value& p : pattern.as_array())
      if (one(p)) return true;
    return false;
  }
  return one(pattern);
}

Value string_list(std::vector<std::string> parts) {
  Array out;
  out.reserve(parts.size());
  for (auto& p : parts) out.push_back(Value::string(std::move(p)));
  return Value::array(std::move(out));
}

// Index in characters of a byte offset.
int64_t char_index(const std::string& s, size_t byte) {
  return int64_t(utf8_length(std::string_view(s).substr(0, byte)));
}

bool is_string_method(const std::string& n) {
  static const char* const names[] = {"upper",      "lower",    "strip",   "lstrip",  "rstrip", "title", "capitalize",
                                      "startswith", "endswith", "split",   "replace", "find",   "rfind", "count",
                                      "join",       "isdigit",  "isspace", "islower", "isupper"};
  for (const char* m : names)
    if (n == m) return true;
  return false;
}

Value string_method(const std::string& s, const std::string& name, const CallArgs& a) {
  if (name == "upper") return Value::string(to_upper(s));
  if (name == "lower") return Value::string(to_lower(s));
  if (name == "title") return Value::string(title_case(s));
  if (name == "capitalize") return Value::string(capitalize(s));
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    const Value* chars = arg(a, 0, "chars");
    std::string set;
    const std::string* cs = nullptr;
    if (chars && !chars->is_none() && !chars->is_undefined()) {
      set = require_string(*chars, name + "() chars");
      cs = &set;
    }
    if (name == "strip") return Value::string(trim(s, cs));
    return Value::string(name == "lstrip" ? trim_left(s, cs) : trim_right(s, cs));
  }
  if (name == "startswith" || name == "endswith") {
    const Value* p = arg(a, 0, "prefix");
    if (!p) throw EvalError(name + "() needs an argument");
    return Value::boolean(prefix_test(s, *p, name == "endswith", name.c_str()));
  }
  if (name == "split") {
    const Value* sep = arg(a, 0, "sep");
    const Value* maxsplit = arg(a, 1, "maxsplit");
    const int64_t max = maxsplit ? require_int(*maxsplit, "split() maxsplit") : -1;
    if (!sep || sep->is_none()) return string_list(split(s, nullptr, max));
    const std::string& sp = require_string(*sep, "split() separator");
    if (sp.empty()) throw EvalError("split(): empty separator");
    return string_list(split(s, &sp, max));
  }
  if (name == "replace") {
    const Value* from = arg(a, 0, "old");
    const Value* to = arg(a, 1, "new");
    const Value* count = arg(a, 2, "count");
    if (!from || !to) throw EvalError("replace() needs two arguments");
    const int64_t n = count && !count->is_none() ? require_int(*count, "replace() count") : -1;
    std::string out = replace(s, require_string(*from, "replace() old"), require_string(*to, "replace() new"), n);
    check_string_size(out.size());
    return Value::string(std::move(out));
  }
  if (name == "find" || name == "rfind" || name == "count") {
    const Value* sub = arg(a, 0, "sub");
    if (!sub) throw EvalError(name + "() needs an argument");
    const std::string& x = require_string(*sub, name + "() argument");
    if (name == "count") {
      if (x.empty()) return Value::integer(int64_t(utf8_length(s)) + 1);
      int64_t n = 0;
      for (size_t at = s.find(x); at != std::string::npos; at = s.find(x, at + x.size())) ++n;
      return Value::integer(n);
    }
    const size_t at = name == "find" ? s.find(x) : s.rfind(x);
    return Value::integer(at == std::string::npos ? -1 : char_index(s, at));
  }
  if (name == "join") {
    const Value* items = arg(a, 0, "iterable");
    if (!items) throw EvalError("join() needs an argument");
    std::string out;
    bool first = true;
    for (const Value& v : iterate(*items)) {
      if (!first) out += s;
      first = false;
      out += require_string(v, "join() item");
      check_string_size(out.size());
    }
    return Value::string(std::move(out));
  }
  bool all = !s.empty();
  for (size_t i = 0; i < s.size() && all;) {
    const char32_t cp = utf8_next(s, i);
    if (name == "isdigit") all = cp >= '0' && cp <= '9';
    if (name == "isspace") all = is_space(cp);
  }
  if (name == "islower") return Value::boolean(to_lower(s) == s && to_upper(s) != s);
  if (name == "isupper") return Value::boolean(to_upper(s) == s && to_lower(s) != s);
  return Value::boolean(all);
}

// ---- dict methods ----
bool is_dict_method(const std::string& n) {
  return n == "get" || n == "items" || n == "keys" || n == "values" || n == "dictsort";
}

Value dict_items(const Object& o) {
  Array out;
  for (const auto& [k, v] : o.items()) out.push_back(Value::array({Value::string(k), v}));
  return Value::array(std::move(out));
}

Value dict_method(const Value& dict, const std::string& name, const CallArgs& a) {
  const Object& o = dict.as_object();
  if (name == "get") {
    const Value* key = arg(a, 0, "key");
    if (!key) throw EvalError("get() needs a key");
    if (const Value* v = key->is_string() ? o.find(key->as_string()) : nullptr) return *v;
    const Value* def = arg(a, 1, "default");
    return def ? *def : Value::none();
  }
  if (name == "items") return dict_items(o);
  if (name == "keys" || name == "values") {
    Array out;
    for (const auto& [k, v] : o.items()) out.push_back(name == "keys" ? Value::string(k) : v);
    return Value::array(std::move(out));
  }
  // dictsort(case_sensitive=false, by='key', reverse=false)
  const Value* cs = arg(a, 0, "case_sensitive");
  const Value* by = arg(a, 1, "by");
  const Value* rev = arg(a, 2, "reverse");
  const bool case_sensitive = cs && cs->truthy();
  const std::string by_what = by ? require_string(*by, "dictsort by") : "key";
  if (by_what != "key" && by_what != "value") throw EvalError("dictsort: by must be 'key' or 'value'");
  const size_t idx = by_what == "key" ? 0 : 1;
  Array items = dict_items(o).as_array();
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    const int c = compare_values(x.as_array()[idx], y.as_array()[idx], case_sensitive);
    return rev && rev->truthy() ? c > 0 : c < 0;
  });
  return Value::array(std::move(items));
}

}  // namespace

Value get_attribute(const Value& object, const std::string& name) {
  switch (object.kind()) {
    case Value::Kind::object: {
      if (const Value* v = object.as_object().find(name)) return *v;
      if (is_dict_method(name))
        return Value::function([object, name](const CallArgs& a) { return dict_method(object, name, a); });
      return Value();
    }
    case Value::Kind::ns: {
      const Value* v = object.as_namespace().find(name);
      return v ? *v : Value();
    }
    case Value::Kind::string: {
      if (name == "length") return Value::integer(int64_t(utf8_length(object.as_string())));
      if (is_string_method(name)) {
        return Value::function([s = object.as_string(), name](const CallArgs& a) { return string_method(s, name, a); });
      }
      return Value();
    }
    case Value::Kind::array: return name == "length" ? Value::integer(int64_t(object.as_array().size())) : Value();
    default: return Value();
  }
}

Value get_item(const Value& object, const Value& key) {
  if (key.is_string()) return get_attribute(object, key.as_string());
  if (!key.is(Value::Kind::integer)) {
    if (object.is_undefined() || object.is_none() || object.is_object() || object.is(Value::Kind::ns)) return Value();
    throw EvalError("cannot index a " + object.type_name() + " with a " + key.type_name());
  }
  int64_t i = key.as_int();
  if (object.is_array()) {
    const Array& a = object.as_array();
    if (i < 0) i += int64_t(a.size());
    return i >= 0 && i < int64_t(a.size()) ? a[size_t(i)] : Value();
  }
  if (object.is_string()) {
    const auto chars = utf8_chars(object.as_string());
    if (i < 0) i += int64_t(chars.size());
    return i >= 0 && i < int64_t(chars.size()) ? Value::string(chars[size_t(i)]) : Value();
  }
  return Value();  // dicts have string keys only; undefined/none stay undefined
}

namespace {

// Python slice semantics over n elements: the selected indices.
std::vector<size_t> slice_indices(size_t n, const Value& start, const Value& stop, const Value& step) {
  auto opt = [](const Value& v, const char* what) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    return require_int(v, what);
  };
  const auto st = opt(step, "slice step");
  const int64_t s = st.value_or(1);
  if (s == 0) throw EvalError("slice step cannot be zero");
  const int64_t len = int64_t(n);
  auto clamp = [&](std::optional<int64_t> v, int64_t def, int64_t lo, int64_t hi) {
    if (!v) return def;
    int64_t x = *v < 0 ? *v + len : *v;
    return x < lo ? lo : x > hi ? hi : x;
  };
  std::vector<size_t> out;
  if (s > 0) {
    const int64_t b = clamp(opt(start, "slice start"), 0, 0, len);
    const int64_t e = clamp(opt(stop, "slice stop"), len, 0, len);
    for (int64_t i = b; i < e; i += s) out.push_back(size_t(i));
  } else {
    const int64_t b = clamp(opt(start, "slice start"), len - 1, -1, len - 1);
    const int64_t e = clamp(opt(stop, "slice stop"), -1, -1, len - 1);
    for (int64_t i = b; i > e; i += s) out.push_back(size_t(i));
  }
  return out;
}

}  // namespace

Value get_slice(const Value& object, const Value& start, const Value& stop, const Value& step) {
  if (object.is_array()) {
    const Array& a = object.as_array();
    Array out;
    for (size_t i : slice_indices(a.size(), start, stop, step)) out.push_back(a[i]);
    return Value::array(std::move(out));
  }
  if (object.is_string()) {
    const auto chars = utf8_chars(object.as_string());
    std::string out;
    for (size_t i : slice_indices(chars.size(), start, stop, step)) out += chars[i];
    return Value::string(std::move(out));
  }
  throw EvalError("cannot slice a " + object.type_name());
}

}  // namespace seek::jinja
