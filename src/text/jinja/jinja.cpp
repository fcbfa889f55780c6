#include "text/jinja/jinja.h"

#include "core/error.h"
#include "text/jinja/jinja_eval.h"
#include "text/jinja/jinja_lexer.h"
#include "text/jinja/jinja_parser.h"

namespace seek::jinja {

struct Template::Parsed {
  SourceInfo src;
  Block program;
  EvalLimits limits;
};

Template::Template(std::string source, std::string name, Options options) {
  auto p = std::make_shared<Parsed>();
  p->src.name = std::move(name);
  p->src.source = std::move(source);
  LexOptions lex;
  lex.trim_blocks = options.trim_blocks;
  lex.lstrip_blocks = options.lstrip_blocks;
  p->program = parse(tokenize(p->src, lex), p->src);
  p->limits.max_steps = options.max_steps;
  p->limits.max_depth = options.max_depth;
  parsed_ = std::move(p);
}

const std::string& Template::source() const { return parsed_->src.source; }

std::string Template::render(const Object& context) const {
  return evaluate(parsed_->program, parsed_->src, context, parsed_->limits);
}

namespace {
template <class Json>
Object context_from_json(const Json& j) {
  if (j.is_null()) return {};
  if (!j.is_object()) throw Error("template context must be a JSON object, got " + std::string(j.type_name()));
  Object ctx;
  for (auto it = j.begin(); it != j.end(); ++it) ctx.set(it.key(), Value::from_json(it.value()));
  return ctx;
}
}  // namespace

std::string Template::render(const nlohmann::ordered_json& context) const { return render(context_from_json(context)); }
std::string Template::render(const nlohmann::json& context) const { return render(context_from_json(context)); }

}  // namespace seek::jinja
