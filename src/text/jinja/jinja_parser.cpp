#include "text/jinja/jinja_parser.h"

#include <charconv>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"

namespace seek::jinja {
namespace {

// Deep nesting ("((((..." or hundreds of nested blocks) would otherwise overflow the stack.
constexpr int kMaxDepth = 200;

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const SourceInfo& src) : t_(tokens), src_(src) {}

  Block parse_template() {
    Block out;
    while (!at_end())
      if (auto n = parse_any()) out.push_back(std::move(n));
    return out;
  }

 private:
  // ---- token helpers ----
  bool at_end() const { return i_ >= t_.size(); }
  const Token* peek(size_t ahead = 0) const { return i_ + ahead < t_.size() ? &t_[i_ + ahead] : nullptr; }
  bool is(Tok type, size_t ahead = 0) const {
    const Token* t = peek(ahead);
    return t && t->type == type;
  }
  bool is_word(std::string_view w, size_t ahead = 0) const {
    const Token* t = peek(ahead);
    return t && t->type == Tok::identifier && t->text == w;
  }
  size_t here() const { return at_end() ? src_.source.size() : t_[i_].offset; }

  [[noreturn]] void fail(size_t offset, const std::string& what) const {
    throw Error(src_.where(offset) + ": template syntax error: " + what);
  }
  std::string describe_next() const {
    if (at_end()) return "end of template";
    const Token& t = t_[i_];
    if (t.type == Tok::identifier || t.type == Tok::number) return "'" + t.text + "'";
    if (t.type == Tok::string) return "a string";
    if (t.type == Tok::text) return "text";
    if (t.type == Tok::additive || t.type == Tok::multiplicative || t.type == Tok::comparison || t.type == Tok::unary)
      return "'" + t.text + "'";
    return token_name(t.type);
  }
  const Token& expect(Tok type, const char* context) {
    if (!is(type))
      fail(here(), std::string("expected ") + token_name(type) + " " + context + ", found " + describe_next());
    return t_[i_++];
  }
  void expect_word(std::string_view w, const char* context) {
    if (!is_word(w)) fail(here(), "expected '" + std::string(w) + "' " + context + ", found " + describe_next());
    ++i_;
  }
  std::string expect_name(const char* context) { return expect(Tok::identifier, context).text; }

  struct DepthGuard {
    Parser& p;
    DepthGuard(Parser& parser, size_t offset) : p(parser) {
      if (++p.depth_ > kMaxDepth) p.fail(offset, "template is nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
  };

  static NodePtr make(NodeKind k, size_t off) { return std::make_unique<Node>(k, off); }

  // ---- statements ----
  NodePtr parse_any() {
    const Token& t = t_[i_];
    switch (t.type) {
      case Tok::text: {
        auto n = make(NodeKind::text, t.offset);
        n->name = t.text;
        ++i_;
        return n;
      }
      case Tok::comment: {
        ++i_;
        return nullptr;
      }
      case Tok::open_expr: {
        ++i_;
        auto n = make(NodeKind::output, t.offset);
        n->kids.push_back(parse_expression());
        expect(Tok::close_expr, "to close '{{'");
        return n;
      }
      case Tok::open_stmt: return parse_statement();
      default: fail(t.offset, "unexpected " + describe_next() + " outside a tag");
    }
  }

  bool at_statement(std::initializer_list<std::string_view> names) const {
    if (!is(Tok::open_stmt) || !is(Tok::identifier, 1)) return false;
    for (auto n : names)
      if (t_[i_ + 1].text == n) return true;
    return false;
  }

  // Parses statements until one of `enders` (not consumed). `opener` names the block for the error message.
  Block parse_body(std::initializer_list<std::string_view> enders, const std::string& opener, size_t open_offset) {
    DepthGuard g(*this, open_offset);
    std::string want;
    for (auto e : enders) want += (want.empty() ? "" : " or ") + std::string("{% ") + std::string(e) + " %}";
    open_blocks_.push_back(OpenBlock{opener, want, open_offset});
    Block body;
    while (!at_statement(enders)) {
      if (at_end()) fail(open_offset, "{% " + opener + " %} is never closed (expected " + want + ")");
      if (auto n = parse_any()) body.push_back(std::move(n));
    }
    open_blocks_.pop_back();
    return body;
  }

  void expect_end_tag(std::string_view name) {
    expect(Tok::open_stmt, "");
    expect_word(name, "");
    expect(Tok::close_stmt, ("after '" + std::string(name) + "'").c_str());
  }

  NodePtr parse_statement() {
    const size_t open = t_[i_].offset;
    ++i_;  // {%
    if (!is(Tok::identifier)) fail(here(), "expected a statement name after '{%', found " + describe_next());
    const std::string name = t_[i_].text;
    ++i_;
    if (name == "set") return parse_set(open);
    if (name == "if") {
      auto n = parse_if(open);
      expect_end_tag("endif");
      return n;
    }
    if (name == "for") return parse_for(open);
    if (name == "macro") return parse_macro(open);
    if (name == "call") return parse_call_block(open);
    if (name == "filter") return parse_filter_block(open);
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) fail(open, "'" + name + "' outside a for loop");
      expect(Tok::close_stmt, ("after '" + name + "'").c_str());
      return make(name == "break" ? NodeKind::break_ : NodeKind::continue_, open);
    }
    static const char* const enders[] = {"endif",   "endfor",    "endset", "endmacro",
                                         "endcall", "endfilter", "elif",   "else"};
    for (const char* e : enders) {
      if (name != e) continue;
      if (open_blocks_.empty()) fail(open, "unexpected {% " + name + " %} with no open block it could close");
      const OpenBlock& b = open_blocks_.back();
      fail(open, "unexpected {% " + name + " %}: the {% " + b.opener + " %} at " + src_.where(b.offset) +
                     " is still open (expected " + b.want + ")");
    }
    fail(open, "unknown statement '" + name + "'");
  }

  NodePtr parse_set(size_t open) {
    auto n = make(NodeKind::set, open);
    n->kids.push_back(parse_target_sequence(/*allow_attributes=*/true));
    if (is(Tok::equals)) {
      ++i_;
      n->kids.push_back(parse_expression_sequence());
      expect(Tok::close_stmt, "to end {% set %}");
      return n;
    }
    expect(Tok::close_stmt, "after the name in {% set %} (or '=')");
    n->kids.push_back(nullptr);
    n->body = parse_body({"endset"}, "set", open);
    expect_end_tag("endset");
    return n;
  }

  // elif chains become nested ifs in `alt`; the caller consumes the final {% endif %}.
  NodePtr parse_if(size_t open) {
    auto n = make(NodeKind::if_, open);
    n->kids.push_back(parse_expression());
    expect(Tok::close_stmt, "to end the {% if %} condition");
    n->body = parse_body({"elif", "else", "endif"}, "if", open);
    if (at_statement({"elif"})) {
      const size_t elif = t_[i_].offset;
      i_ += 2;
      n->alt.push_back(parse_if(elif));
    } else if (at_statement({"else"})) {
      i_ += 2;
      expect(Tok::close_stmt, "after 'else'");
      n->alt = parse_body({"endif"}, "if", open);
    }
    return n;
  }

  NodePtr parse_for(size_t open) {
    auto n = make(NodeKind::for_, open);
    n->kids.push_back(parse_target_sequence(/*allow_attributes=*/false));
    expect_word("in", "after the loop variable");
    NodePtr iterable = parse_expression();
    NodePtr cond;
    if (iterable->kind == NodeKind::select) {  // for x in xs if cond
      cond = std::move(iterable->kids[1]);
      iterable = std::move(iterable->kids[0]);
    }
    n->kids.push_back(std::move(iterable));
    n->kids.push_back(std::move(cond));
    expect(Tok::close_stmt, "to end the {% for %} header");
    ++loop_depth_;
    n->body = parse_body({"else", "endfor"}, "for", open);
    --loop_depth_;
    if (at_statement({"else"})) {
      i_ += 2;
      expect(Tok::close_stmt, "after 'else'");
      n->alt = parse_body({"endfor"}, "for", open);
    }
    expect_end_tag("endfor");
    return n;
  }

  NodePtr parse_macro(size_t open) {
    auto n = make(NodeKind::macro, open);
    n->name = expect_name("after 'macro'");
    n->args = parse_args(/*parameters=*/true);
    expect(Tok::close_stmt, "to end the {% macro %} header");
    const int saved = loop_depth_;
    loop_depth_ = 0;
    n->body = parse_body({"endmacro"}, "macro", open);
    loop_depth_ = saved;
    expect_end_tag("endmacro");
    return n;
  }

  NodePtr parse_call_block(size_t open) {
    auto n = make(NodeKind::call_block, open);
    if (is(Tok::lparen)) n->args = parse_args(/*parameters=*/true);
    const size_t at = here();
    NodePtr callee = parse_postfix(/*calls=*/false);
    auto call = make(NodeKind::call, at);
    call->kids.push_back(std::move(callee));
    call->args = parse_args(/*parameters=*/false);
    n->kids.push_back(std::move(call));
    expect(Tok::close_stmt, "to end the {% call %} header");
    const int saved = loop_depth_;
    loop_depth_ = 0;
    n->body = parse_body({"endcall"}, "call", open);
    loop_depth_ = saved;
    expect_end_tag("endcall");
    return n;
  }

  NodePtr parse_filter_block(size_t open) {
    auto n = make(NodeKind::filter_block, open);
    n->kids.push_back(parse_filter_suffix(nullptr, here()));
    expect(Tok::close_stmt, "to end the {% filter %} header");
    n->body = parse_body({"endfilter"}, "filter", open);
    expect_end_tag("endfilter");
    return n;
  }

  // `x`, `a, b`, or (for set) `ns.attr`.
  NodePtr parse_target_sequence(bool allow_attributes) {
    const size_t at = here();
    std::vector<NodePtr> items;
    while (true) {
      const size_t item_at = here();
      NodePtr target = allow_attributes ? parse_postfix(/*calls=*/false) : nullptr;
      if (!allow_attributes) {
        auto name = make(NodeKind::name, item_at);
        name->name = expect_name("as the loop variable");
        target = std::move(name);
      }
      if (target->kind != NodeKind::name && target->kind != NodeKind::attribute)
        fail(item_at, "can only assign to a name or a namespace attribute");
      items.push_back(std::move(target));
      if (!is(Tok::comma)) break;
      ++i_;
    }
    if (items.size() == 1) return std::move(items[0]);
    for (auto& item : items)
      if (item->kind != NodeKind::name) fail(item->offset, "can only unpack into plain names");
    auto tuple = make(NodeKind::tuple, at);
    tuple->kids = std::move(items);
    return tuple;
  }

  // ---- expressions ----
  NodePtr parse_expression_sequence() {
    const size_t at = here();
    NodePtr first = parse_expression();
    if (!is(Tok::comma)) return first;
    auto tuple = make(NodeKind::tuple, at);
    tuple->kids.push_back(std::move(first));
    while (is(Tok::comma)) {
      ++i_;
      if (is(Tok::rparen) || is(Tok::close_stmt)) break;  // trailing comma
      tuple->kids.push_back(parse_expression());
    }
    return tuple;
  }

  NodePtr parse_expression() {
    DepthGuard g(*this, here());
    const size_t at = here();
    NodePtr a = parse_or();
    if (!is_word("if")) return a;
    ++i_;
    NodePtr cond = parse_or();
    if (is_word("else")) {
      ++i_;
      auto n = make(NodeKind::ternary, at);
      n->kids.push_back(std::move(cond));
      n->kids.push_back(std::move(a));
      n->kids.push_back(parse_expression());
      return n;
    }
    auto n = make(NodeKind::select, at);
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(cond));
    return n;
  }

  NodePtr binary(std::string op, NodePtr l, NodePtr r, size_t at) {
    auto n = make(NodeKind::binary, at);
    n->name = std::move(op);
    n->kids.push_back(std::move(l));
    n->kids.push_back(std::move(r));
    return n;
  }

  NodePtr parse_or() {
    NodePtr left = parse_and();
    while (is_word("or")) {
      const size_t at = t_[i_++].offset;
      left = binary("or", std::move(left), parse_and(), at);
    }
    return left;
  }

  NodePtr parse_and() {
    NodePtr left = parse_not();
    while (is_word("and")) {
      const size_t at = t_[i_++].offset;
      left = binary("and", std::move(left), parse_not(), at);
    }
    return left;
  }

  NodePtr parse_not() {
    if (is_word("not")) {
      DepthGuard g(*this, here());
      auto n = make(NodeKind::unary, t_[i_++].offset);
      n->name = "not";
      n->kids.push_back(parse_not());
      return n;
    }
    return parse_comparison();
  }

  NodePtr parse_comparison() {
    NodePtr left = parse_additive();
    while (true) {
      std::string op;
      const size_t at = here();
      if (is_word("not") && is_word("in", 1)) {
        op = "not in";
        i_ += 2;
      } else if (is_word("in")) {
        op = "in";
        ++i_;
      } else if (is(Tok::comparison)) {
        op = t_[i_++].text;
      } else {
        return left;
      }
      left = binary(op, std::move(left), parse_additive(), at);
    }
  }

  NodePtr parse_additive() {
    NodePtr left = parse_multiplicative();
    while (is(Tok::additive)) {
      const Token& t = t_[i_++];
      left = binary(t.text, std::move(left), parse_multiplicative(), t.offset);
    }
    return left;
  }

  NodePtr parse_multiplicative() {
    NodePtr left = parse_power();
    while (is(Tok::multiplicative)) {
      const Token& t = t_[i_++];
      left = binary(t.text, std::move(left), parse_power(), t.offset);
    }
    return left;
  }

  NodePtr parse_power() {
    NodePtr left = parse_test();
    while (is(Tok::power)) {
      const Token& t = t_[i_++];
      left = binary("**", std::move(left), parse_test(), t.offset);
    }
    return left;
  }

  NodePtr parse_test() {
    NodePtr operand = parse_filter();
    while (is_word("is")) {
      auto n = make(NodeKind::test, t_[i_++].offset);
      if (is_word("not")) {
        n->negate = true;
        ++i_;
      }
      n->name = expect_name("as the test name after 'is'");
      if (is(Tok::lparen)) {
        n->has_args = true;
        n->args = parse_args(false);
      }
      n->kids.push_back(std::move(operand));
      operand = std::move(n);
    }
    return operand;
  }

  // `operand | name` or `operand | name(args)`; operand may be null (filter blocks).
  NodePtr parse_filter_suffix(NodePtr operand, size_t at) {
    auto n = make(NodeKind::filter, at);
    n->name = expect_name("as the filter name");
    if (is(Tok::lparen)) {
      n->has_args = true;
      n->args = parse_args(false);
    }
    n->kids.push_back(std::move(operand));
    return n;
  }

  NodePtr parse_filter() {
    NodePtr operand = parse_unary();
    while (is(Tok::pipe)) {
      const size_t at = t_[i_++].offset;
      operand = parse_filter_suffix(std::move(operand), at);
    }
    return operand;
  }

  NodePtr parse_unary() {
    if ((is(Tok::unary) || is(Tok::additive)) && (t_[i_].text == "-" || t_[i_].text == "+")) {
      DepthGuard g(*this, here());
      auto n = make(NodeKind::unary, t_[i_].offset);
      n->name = t_[i_++].text;
      n->kids.push_back(parse_unary());
      return n;
    }
    return parse_postfix(/*calls=*/true);
  }

  // primary followed by .attr, [index], [a:b:c] and (when allowed) calls, in any order.
  NodePtr parse_postfix(bool calls) {
    NodePtr object = parse_primary();
    while (true) {
      if (is(Tok::dot)) {
        const size_t at = t_[i_++].offset;
        auto n = make(NodeKind::attribute, at);
        if (is(Tok::identifier)) {
          n->name = t_[i_++].text;
        } else if (is(Tok::number) && t_[i_].text.find_first_of(".-+") == std::string::npos) {
          n->value = Value::integer(std::strtoll(t_[i_++].text.c_str(), nullptr, 10));
        } else {
          fail(here(), "expected an attribute name after '.', found " + describe_next());
        }
        n->kids.push_back(std::move(object));
        object = std::move(n);
      } else if (is(Tok::lbracket)) {
        object = parse_subscript(std::move(object));
      } else if (calls && is(Tok::lparen)) {
        auto n = make(NodeKind::call, here());
        n->args = parse_args(false);
        n->kids.push_back(std::move(object));
        object = std::move(n);
      } else {
        return object;
      }
    }
  }

  NodePtr parse_subscript(NodePtr object) {
    const size_t at = t_[i_++].offset;  // [
    std::vector<NodePtr> parts;
    bool is_slice = false;
    while (!is(Tok::rbracket)) {
      if (at_end()) fail(at, "'[' is never closed");
      if (is(Tok::colon)) {
        parts.push_back(nullptr);
        ++i_;
        is_slice = true;
      } else {
        parts.push_back(parse_expression());
        if (is(Tok::colon)) {
          ++i_;
          is_slice = true;
        } else if (!is(Tok::rbracket)) {
          fail(here(), "expected ']' or ':' in a subscript, found " + describe_next());
        }
      }
    }
    ++i_;  // ]
    if (parts.empty()) fail(at, "empty subscript '[]'");
    if (is_slice) {
      if (parts.size() > 3) fail(at, "a slice takes at most 3 parts (start:stop:step)");
      auto n = make(NodeKind::slice, at);
      n->kids.push_back(std::move(object));
      for (auto& p : parts) n->kids.push_back(std::move(p));
      while (n->kids.size() < 4) n->kids.push_back(nullptr);
      return n;
    }
    auto n = make(NodeKind::index, at);
    n->kids.push_back(std::move(object));
    n->kids.push_back(std::move(parts[0]));
    return n;
  }

  std::vector<Arg> parse_args(bool parameters) {
    const size_t open = here();
    expect(Tok::lparen, parameters ? "to start the parameter list" : "to start the argument list");
    std::vector<Arg> args;
    bool saw_keyword = false;
    while (!is(Tok::rparen)) {
      if (at_end()) fail(open, "'(' is never closed");
      Arg a;
      const size_t at = here();
      if (!parameters && (is(Tok::power) || (is(Tok::multiplicative) && t_[i_].text == "*"))) {
        a.kind = is(Tok::power) ? Arg::Kind::kwspread : Arg::Kind::spread;
        ++i_;
        a.value = parse_expression();
      } else if (is(Tok::identifier) && is(Tok::equals, 1)) {
        a.kind = Arg::Kind::keyword;
        a.name = t_[i_].text;
        i_ += 2;
        a.value = parse_expression();
        saw_keyword = true;
      } else if (parameters) {
        a.name = expect_name("as a parameter name");
        if (saw_keyword) fail(at, "parameter without a default follows one with a default");
      } else {
        a.value = parse_expression();
        if (saw_keyword) fail(at, "positional argument follows keyword argument");
      }
      if (parameters && a.kind == Arg::Kind::keyword) {
        a.kind = Arg::Kind::positional;  // a parameter with a default value
      }
      for (const auto& prev : args)
        if (parameters && prev.name == a.name) fail(at, "duplicate parameter '" + a.name + "'");
      args.push_back(std::move(a));
      if (is(Tok::comma)) {
        ++i_;
      } else if (!is(Tok::rparen)) {
        fail(here(), "expected ',' or ')' in the argument list, found " + describe_next());
      }
    }
    ++i_;  // )
    return args;
  }

  NodePtr literal(Value v, size_t at) {
    auto n = make(NodeKind::literal, at);
    n->value = std::move(v);
    return n;
  }

  NodePtr parse_primary() {
    if (at_end()) fail(here(), "unexpected end of template inside an expression");
    const Token& t = t_[i_];
    switch (t.type) {
      case Tok::number: {
        ++i_;
        if (t.text.find('.') == std::string::npos) {
          int64_t v = 0;
          const char* b = t.text.data() + (t.text[0] == '+' ? 1 : 0);
          const auto r = std::from_chars(b, t.text.data() + t.text.size(), v);
          if (r.ec == std::errc()) return literal(Value::integer(v), t.offset);
        }
        return literal(Value::floating(std::strtod(t.text.c_str(), nullptr)), t.offset);
      }
      case Tok::string: {
        std::string s = t.text;
        ++i_;
        while (is(Tok::string)) s += t_[i_++].text;  // 'a' 'b' is 'ab'
        return literal(Value::string(std::move(s)), t.offset);
      }
      case Tok::identifier: {
        ++i_;
        if (t.text == "true" || t.text == "True") return literal(Value::boolean(true), t.offset);
        if (t.text == "false" || t.text == "False") return literal(Value::boolean(false), t.offset);
        if (t.text == "none" || t.text == "None") return literal(Value::none(), t.offset);
        auto n = make(NodeKind::name, t.offset);
        n->name = t.text;
        return n;
      }
      case Tok::lparen: {
        DepthGuard g(*this, t.offset);
        ++i_;
        if (is(Tok::rparen)) {
          ++i_;
          return make(NodeKind::tuple, t.offset);
        }
        NodePtr inner = parse_expression_sequence();
        expect(Tok::rparen, "to close '('");
        return inner;
      }
      case Tok::lbracket: {
        DepthGuard g(*this, t.offset);
        ++i_;
        auto n = make(NodeKind::list, t.offset);
        while (!is(Tok::rbracket)) {
          if (at_end()) fail(t.offset, "'[' is never closed");
          n->kids.push_back(parse_expression());
          if (is(Tok::comma)) {
            ++i_;
          } else if (!is(Tok::rbracket)) {
            fail(here(), "expected ',' or ']' in a list, found " + describe_next());
          }
        }
        ++i_;
        return n;
      }
      case Tok::lbrace: {
        DepthGuard g(*this, t.offset);
        ++i_;
        auto n = make(NodeKind::dict, t.offset);
        while (!is(Tok::rbrace)) {
          if (at_end()) fail(t.offset, "'{' is never closed");
          n->kids.push_back(parse_expression());
          expect(Tok::colon, "between a key and its value");
          n->kids.push_back(parse_expression());
          if (is(Tok::comma)) {
            ++i_;
          } else if (!is(Tok::rbrace)) {
            fail(here(), "expected ',' or '}' in a dict, found " + describe_next());
          }
        }
        ++i_;
        return n;
      }
      default: fail(t.offset, "unexpected " + describe_next() + " where a value was expected");
    }
  }

  const std::vector<Token>& t_;
  const SourceInfo& src_;
  size_t i_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  struct OpenBlock {
    std::string opener, want;
    size_t offset;
  };
  std::vector<OpenBlock> open_blocks_;  // innermost last, for "unexpected {% endif %}" messages
};

}  // namespace

Block parse(const std::vector<Token>& tokens, const SourceInfo& src) { return Parser(tokens, src).parse_template(); }

}  // namespace seek::jinja
