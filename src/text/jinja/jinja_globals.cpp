// Global functions (range, namespace, dict, raise_exception, strftime_now) and the size guard.
#include <cmath>
#include <ctime>

#include "text/jinja/jinja_args.h"
#include "text/jinja/jinja_builtins.h"

namespace seek::jinja {

void check_string_size(size_t bytes) {
  if (bytes > kMaxStringBytes)
    throw EvalError("string grew beyond " + std::to_string(kMaxStringBytes >> 20) + " MiB (runaway template?)");
}
void add_globals(Object& g) {
  g.set("range", Value::function([](const CallArgs& a) {
          if (a.positional.empty() || a.positional.size() > 3) throw EvalError("range() takes 1 to 3 arguments");
          int64_t start = 0, stop = 0, step = 1;
          if (a.positional.size() == 1) {
            stop = require_int(a.positional[0], "range() stop");
          } else {
            start = require_int(a.positional[0], "range() start");
            stop = require_int(a.positional[1], "range() stop");
            if (a.positional.size() == 3) step = require_int(a.positional[2], "range() step");
          }
          if (step == 0) throw EvalError("range() step must not be zero");
          const long double span = step > 0 ? (long double)stop - start : (long double)start - stop;
          const long double count = span <= 0 ? 0 : std::ceil(span / std::fabs((long double)step));
          if (count > (long double)kMaxListItems) throw EvalError("range() is too long");
          Array out;
          out.reserve(size_t(count));
          for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.push_back(Value::integer(i));
            if (out.size() >= size_t(count)) break;  // also stops before i += step could overflow
          }
          return Value::array(std::move(out));
        }));
  g.set("namespace", Value::function([](const CallArgs& a) {
          Object attrs;
          if (a.positional.size() > 1) throw EvalError("namespace() takes at most one positional argument");
          if (!a.positional.empty()) {
            const Value& src = a.positional[0];
            if (src.is_object()) {
              for (const auto& [k, v] : src.as_object().items()) attrs.set(k, v);
            } else if (src.is_array()) {
              for (const Value& pair : src.as_array()) {
                if (!pair.is_array() || pair.as_array().size() != 2 || !pair.as_array()[0].is_string())
                  throw EvalError("namespace() expects a dict or a list of [name, value] pairs");
                attrs.set(pair.as_array()[0].as_string(), pair.as_array()[1]);
              }
            } else {
              throw EvalError("namespace() expects a dict, got a " + src.type_name());
            }
          }
          for (auto& [k, v] : a.keyword) attrs.set(k, v);
          return Value::namespace_(std::move(attrs));
        }));
  g.set("dict", Value::function([](const CallArgs& a) {
          Object o;
          if (!a.positional.empty() && a.positional[0].is_object())
            for (const auto& [k, v] : a.positional[0].as_object().items()) o.set(k, v);
          for (auto& [k, v] : a.keyword) o.set(k, v);
          return Value::object(std::move(o));
        }));
  g.set("raise_exception", Value::function([](const CallArgs& a) -> Value {
          const std::string msg = a.positional.empty() ? std::string("(no message)") : a.positional[0].to_output();
          throw EvalError("the template raised an error: " + msg);
        }));
  g.set("strftime_now", Value::function([](const CallArgs& a) {
          const std::string fmt =
              a.positional.empty() ? "%Y-%m-%d" : require_string(a.positional[0], "strftime_now format");
          const std::time_t now = std::time(nullptr);
          std::tm local{};
          localtime_r(&now, &local);
          char buf[256];
          const size_t n = std::strftime(buf, sizeof buf, fmt.c_str(), &local);
          return Value::string(std::string(buf, n));
        }));
}

}  // namespace seek::jinja
