// Runtime values of the template language: undefined, none, booleans, integers, floats, strings, lists, ordered
// dicts, namespaces and callables. Lists, dicts and namespaces have reference semantics (copies share storage),
// as in the languages templates are written for; everything else is a plain value.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace seek::jinja {

class Value;
using Array = std::vector<Value>;

// A dict that keeps insertion order (tool schemas are rendered with `tojson`, so key order is visible).
class Object {
 public:
  const Value* find(std::string_view key) const;
  void set(std::string key, Value value);
  const std::vector<std::pair<std::string, Value>>& items() const { return items_; }
  size_t size() const { return items_.size(); }

 private:
  std::vector<std::pair<std::string, Value>> items_;
};

// Arguments of a call: positional values, then keyword arguments in the order written.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
  const Value* kwarg(std::string_view name) const;
};
using Function = std::function<Value(const CallArgs&)>;

class Value {
 public:
  enum class Kind { undefined, none, boolean, integer, floating, string, array, object, ns, function };

  Value() = default;  // undefined
  static Value none() { return Value(Storage(std::in_place_index<1>, nullptr)); }
  static Value boolean(bool b) { return Value(Storage(std::in_place_index<2>, b)); }
  static Value integer(int64_t i) { return Value(Storage(std::in_place_index<3>, i)); }
  static Value floating(double d) { return Value(Storage(std::in_place_index<4>, d)); }
  static Value string(std::string s) { return Value(Storage(std::in_place_index<5>, std::move(s))); }
  static Value array(Array a = {});
  static Value object(Object o = {});
  static Value namespace_(Object o = {});
  static Value function(Function f);

  // Converts parsed JSON (messages, tools, extra context). Integral floats become integers, because JSON does
  // not tell 1 from 1.0 and the reference renderer treats both as the integer 1.
  template <class Json>
  static Value from_json(const Json& j);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is(Kind k) const { return kind() == k; }
  bool is_undefined() const { return kind() == Kind::undefined; }
  bool is_none() const { return kind() == Kind::none; }
  bool is_string() const { return kind() == Kind::string; }
  bool is_number() const { return kind() == Kind::integer || kind() == Kind::floating; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_object() const { return kind() == Kind::object; }

  bool as_bool() const { return std::get<2>(v_); }
  int64_t as_int() const { return std::get<3>(v_); }
  double as_float() const { return std::get<4>(v_); }
  double as_number() const { return kind() == Kind::integer ? double(as_int()) : as_float(); }
  const std::string& as_string() const { return std::get<5>(v_); }
  Array& as_array() const { return *std::get<6>(v_); }
  Object& as_object() const { return *std::get<7>(v_); }
  Object& as_namespace() const { return *std::get<8>(v_).attrs; }
  const Function& as_function() const { return *std::get<9>(v_); }

  bool truthy() const;
  // How `{{ value }}` and `~` print it: none/undefined print nothing, booleans as true/false, floats with a
  // decimal point, lists and dicts as JSON.
  std::string to_output() const;
  std::string type_name() const;  // for error messages: "string", "list", "undefined", ...

 private:
  struct Undefined {};
  struct NamespaceRef {
    std::shared_ptr<Object> attrs;
  };
  using Storage = std::variant<Undefined, std::nullptr_t, bool, int64_t, double, std::string, std::shared_ptr<Array>,
                               std::shared_ptr<Object>, NamespaceRef, std::shared_ptr<const Function>>;
  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

// Deep equality with numeric comparison across int/float/bool and none == undefined (the reference engine's
// rule); lists and dicts compare by content.
bool equals(const Value& a, const Value& b);

// JSON text of a value, as the `tojson` filter writes it: ", " / ": " separators by default, non-ASCII kept
// unless ensure_ascii. Undefined prints as `null` (or `undefined` when printing a list with to_output).
struct JsonStyle {
  int indent = -1;  // < 0: single line
  bool ensure_ascii = false;
  bool sort_keys = false;
  // (item, key) separators; by default ", " and ": " (or "," and ": " when indenting)
  std::optional<std::pair<std::string, std::string>> separators;
  bool undefined_as_null = true;
};
std::string to_json_text(const Value& v, const JsonStyle& style = {});
// Number formatting shared by output and JSON: shortest round-trip digits, laid out like the reference engine.
std::string format_number(double d);

// ---- implementation of the template ----
template <class Json>
Value Value::from_json(const Json& j) {
  using T = typename Json::value_t;
  switch (j.type()) {
    case T::null: return none();
    case T::boolean: return boolean(j.template get<bool>());
    case T::number_integer: return integer(j.template get<int64_t>());
    case T::number_unsigned: {
      const auto u = j.template get<uint64_t>();
      return u <= uint64_t(INT64_MAX) ? integer(int64_t(u)) : floating(double(u));
    }
    case T::number_float: {
      const double d = j.template get<double>();
      if (d > -9.2e18 && d < 9.2e18 && d == std::trunc(d)) return integer(int64_t(d));
      return floating(d);
    }
    case T::string: return string(j.template get<std::string>());
    case T::array: {
      Array a;
      a.reserve(j.size());
      for (const auto& e : j) a.push_back(from_json(e));
      return array(std::move(a));
    }
    case T::object: {
      Object o;
      for (auto it = j.begin(); it != j.end(); ++it) o.set(it.key(), from_json(it.value()));
      return object(std::move(o));
    }
    default:  // binary, discarded
      return Value();
  }
}

}  // namespace seek::jinja
