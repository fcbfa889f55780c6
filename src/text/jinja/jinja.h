// A Jinja template engine, the subset chat templates use: {{ }}, {% %}, {# #}, whitespace control, if/for/set/
// macro/call/filter blocks, namespaces, literals, attribute/item/slice access, tests, filters and Python-style
// string and dict methods. Rendering matches the reference chat-template renderer byte for byte, including its
// defaults of trim_blocks and lstrip_blocks. Syntax and runtime errors are seek::Error with "name:line:col".
//
// Printing follows the reference renderer: none and undefined print nothing, booleans print true/false, lists and
// dicts print as JSON, and a string plus a number concatenates. Where the reference renderer departs from the
// template language's own rules in ways a chat template could hit, this engine keeps the language's rules:
// strip/lstrip/rstrip/trim honour their `chars` argument (templates use strip('\n') to keep spaces), looping over
// undefined does nothing, `undefined | length` is 0, `| default` works without parentheses, break/continue keep
// what the iteration already wrote, strings compare with < and >, `'-' * 3` repeats, `%` takes the divisor's
// sign, a string plus a list or dict is an error, and macros see the scope they were defined in.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "text/jinja/jinja_value.h"

namespace seek::jinja {

struct Options {
  bool trim_blocks = true;        // drop the first newline after a block tag
  bool lstrip_blocks = true;      // drop spaces/tabs before a block tag that starts a line
  size_t max_steps = 50'000'000;  // evaluation steps per render before giving up (runaway loops)
  int max_depth = 400;            // nesting of evaluation (runaway macro recursion)
};

class Template {
 public:
  // Parses `source`; `name` appears in error messages ("tokenizer_config.json chat_template:3:14: ...").
  explicit Template(std::string source, std::string name = "template", Options options = {});

  // Renders with the given variables (a JSON object, or an Object of values).
  std::string render(const Object& context) const;
  std::string render(const nlohmann::ordered_json& context) const;
  std::string render(const nlohmann::json& context) const;

  const std::string& source() const;

 private:
  struct Parsed;
  std::shared_ptr<const Parsed> parsed_;
};

}  // namespace seek::jinja
