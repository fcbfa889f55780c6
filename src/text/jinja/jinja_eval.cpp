#include "text/jinja/jinja_eval.h"

#include <memory>
#include <unordered_map>

#include "core/error.h"
#include "text/jinja/jinja_builtins.h"

namespace seek::jinja {
namespace {

struct Scope {
  explicit Scope(std::shared_ptr<Scope> p) : parent(std::move(p)) {}
  std::shared_ptr<Scope> parent;
  std::unordered_map<std::string, Value> vars;

  const Value* find(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent.get()) {
      auto it = s->vars.find(name);
      if (it != s->vars.end()) return &it->second;
    }
    return nullptr;
  }
  void set(const std::string& name, Value v) { vars[name] = std::move(v); }
};
using ScopePtr = std::shared_ptr<Scope>;

enum class Flow { normal, break_, continue_ };

class Interpreter {
 public:
  Interpreter(const SourceInfo& src, const EvalLimits& limits) : src_(src), limits_(limits) {}

  Flow exec_block(const Block& block, const ScopePtr& scope, std::string& out) {
    for (const auto& node : block) {
      const Flow f = exec(*node, scope, out);
      if (f != Flow::normal) return f;
    }
    return Flow::normal;
  }

  std::string render_block(const Block& block, const ScopePtr& scope) {
    std::string out;
    exec_block(block, scope, out);
    return out;
  }

 private:
  // Counts work and nesting; turns EvalError (no position) into seek::Error at the innermost node.
  void tick(const Node& n) {
    if (++steps_ > limits_.max_steps)
      throw Error(src_.where(n.offset) + ": template did too much work (over " + std::to_string(limits_.max_steps) +
                  " steps; runaway loop?)");
  }

  struct Guard {
    Interpreter& in;
    Guard(Interpreter& i, const Node& n) : in(i) {
      in.tick(n);
      if (++in.depth_ > in.limits_.max_depth)
        throw Error(in.src_.where(n.offset) + ": template nested too deeply (runaway macro recursion?)");
    }
    ~Guard() { --in.depth_; }
  };

  [[noreturn]] void fail(const Node& n, const std::string& what) const {
    throw Error(src_.where(n.offset) + ": template error: " + what);
  }

  static void append(std::string& out, const std::string& s) {
    out += s;
    check_string_size(out.size());
  }

  Flow exec(const Node& n, const ScopePtr& scope, std::string& out) {
    Guard g(*this, n);
    try {
      return exec_node(n, scope, out);
    } catch (const EvalError& e) {
      fail(n, e.what());
    }
  }

  Flow exec_node(const Node& n, const ScopePtr& scope, std::string& out) {
    switch (n.kind) {
      case NodeKind::text: append(out, n.name); return Flow::normal;
      case NodeKind::output: append(out, eval(*n.kids[0], scope).to_output()); return Flow::normal;
      case NodeKind::if_: return exec_block(eval(*n.kids[0], scope).truthy() ? n.body : n.alt, scope, out);
      case NodeKind::for_: exec_for(n, scope, out); return Flow::normal;
      case NodeKind::set: exec_set(n, scope); return Flow::normal;
      case NodeKind::macro: scope->set(n.name, make_macro(n, scope)); return Flow::normal;
      case NodeKind::call_block: append(out, exec_call_block(n, scope).to_output()); return Flow::normal;
      case NodeKind::filter_block: {
        const Node& f = *n.kids[0];
        append(out,
               apply_filter(f.name, Value::string(render_block(n.body, scope)), eval_args(f.args, scope)).to_output());
        return Flow::normal;
      }
      case NodeKind::break_: return Flow::break_;
      case NodeKind::continue_: return Flow::continue_;
      default: fail(n, "expression used as a statement");
    }
  }

  void bind_target(const Node& target, const Value& v, Scope& scope) {
    if (target.kind == NodeKind::name) {
      scope.set(target.name, v);
      return;
    }
    // tuple of names
    if (!v.is_array())
      throw EvalError("cannot unpack a " + v.type_name() + " into " + std::to_string(target.kids.size()) + " names");
    const Array& items = v.as_array();
    if (items.size() != target.kids.size())
      throw EvalError("cannot unpack " + std::to_string(items.size()) + " values into " +
                      std::to_string(target.kids.size()) + " names");
    for (size_t i = 0; i < items.size(); ++i) scope.set(target.kids[i]->name, items[i]);
  }

  void exec_for(const Node& n, const ScopePtr& scope, std::string& out) {
    const Node& target = *n.kids[0];
    const Array all = iterate(eval(*n.kids[1], scope));
    auto loop_scope = std::make_shared<Scope>(scope);
    Array items;
    if (n.kids[2]) {  // for x in xs if cond: filter first, so loop.length counts the kept items
      for (const Value& item : all) {
        auto test_scope = std::make_shared<Scope>(scope);
        bind_target(target, item, *test_scope);
        if (eval(*n.kids[2], test_scope).truthy()) items.push_back(item);
      }
    } else {
      items = all;
    }
    if (items.empty()) {
      exec_block(n.alt, loop_scope, out);
      return;
    }
    const int64_t len = int64_t(items.size());
    for (int64_t i = 0; i < len; ++i) {
      tick(n);  // an empty body still costs a step per iteration
      Object loop;
      loop.set("index", Value::integer(i + 1));
      loop.set("index0", Value::integer(i));
      loop.set("revindex", Value::integer(len - i));
      loop.set("revindex0", Value::integer(len - i - 1));
      loop.set("first", Value::boolean(i == 0));
      loop.set("last", Value::boolean(i == len - 1));
      loop.set("length", Value::integer(len));
      loop.set("previtem", i > 0 ? items[size_t(i - 1)] : Value());
      loop.set("nextitem", i + 1 < len ? items[size_t(i + 1)] : Value());
      loop.set("cycle", Value::function([i](const CallArgs& a) {
                 if (a.positional.empty()) throw EvalError("loop.cycle() needs at least one value");
                 return a.positional[size_t(i) % a.positional.size()];
               }));
      loop_scope->set("loop", Value::object(std::move(loop)));
      bind_target(target, items[size_t(i)], *loop_scope);
      if (exec_block(n.body, loop_scope, out) == Flow::break_) break;
    }
  }

  void exec_set(const Node& n, const ScopePtr& scope) {
    const Node& target = *n.kids[0];
    Value v = n.kids[1] ? eval(*n.kids[1], scope) : Value::string(render_block(n.body, scope));
    if (target.kind == NodeKind::attribute) {
      const Value obj = eval(*target.kids[0], scope);
      if (!obj.is(Value::Kind::ns))
        throw EvalError("can only set attributes of a namespace(), not of a " + obj.type_name());
      obj.as_namespace().set(target.name, std::move(v));
      return;
    }
    bind_target(target, v, *scope);
  }

  // Binds parameters (positional, then by keyword, then defaults evaluated in the macro's scope); extra
  // arguments are available as `varargs` / `kwargs`, and a call block's body as `caller`.
  void bind_params(const std::vector<Arg>& params, const CallArgs& a, const ScopePtr& scope) {
    std::vector<std::pair<std::string, Value>> extra_kw;
    for (const auto& [k, v] : a.keyword) {
      bool is_param = false;
      for (const Arg& p : params) is_param = is_param || p.name == k;
      if (!is_param) extra_kw.emplace_back(k, v);
    }
    std::vector<const Arg*> pending;
    for (size_t i = 0; i < params.size(); ++i) {
      const Arg& p = params[i];
      if (i < a.positional.size()) {
        scope->set(p.name, a.positional[i]);
      } else if (const Value* kw = a.kwarg(p.name)) {
        scope->set(p.name, *kw);
      } else {
        scope->set(p.name, Value());
        if (p.value) pending.push_back(&p);
      }
    }
    Array varargs;
    for (size_t i = params.size(); i < a.positional.size(); ++i) varargs.push_back(a.positional[i]);
    scope->set("varargs", Value::array(std::move(varargs)));
    Object kwargs;
    for (auto& [k, v] : extra_kw) {
      if (k == "caller") {
        scope->set("caller", v);
      } else {
        kwargs.set(k, v);
      }
    }
    scope->set("kwargs", Value::object(std::move(kwargs)));
    for (const Arg* p : pending) scope->set(p->name, eval(*p->value, scope));
  }

  // Macros keep a weak reference to their defining scope: a strong one would form a cycle through the
  // scope's own variables and leak.
  Value make_macro(const Node& n, const ScopePtr& scope) {
    std::weak_ptr<Scope> home = scope;
    return Value::function([this, &n, home](const CallArgs& a) {
      ScopePtr parent = home.lock();
      if (!parent) throw EvalError("macro '" + n.name + "' called after the block that defined it ended");
      auto local = std::make_shared<Scope>(parent);
      bind_params(n.args, a, local);
      return Value::string(render_block(n.body, local));
    });
  }

  Value exec_call_block(const Node& n, const ScopePtr& scope) {
    std::weak_ptr<Scope> home = scope;
    Value caller = Value::function([this, &n, home](const CallArgs& a) {
      ScopePtr parent = home.lock();
      if (!parent) throw EvalError("caller() used after its call block ended");
      auto local = std::make_shared<Scope>(parent);
      bind_params(n.args, a, local);
      return Value::string(render_block(n.body, local));
    });
    const Node& call = *n.kids[0];
    CallArgs args = eval_args(call.args, scope);
    args.keyword.emplace_back("caller", caller);
    const Value fn = eval(*call.kids[0], scope);
    if (!fn.is(Value::Kind::function)) throw EvalError("{% call %} needs a macro, got a " + fn.type_name());
    return fn.as_function()(args);
  }

  CallArgs eval_args(const std::vector<Arg>& args, const ScopePtr& scope) {
    CallArgs out;
    for (const Arg& a : args) {
      if (a.kind == Arg::Kind::positional) {
        out.positional.push_back(eval(*a.value, scope));
      } else if (a.kind == Arg::Kind::spread) {
        for (const Value& v : iterate(eval(*a.value, scope))) out.positional.push_back(v);
      }
    }
    for (const Arg& a : args) {
      if (a.kind == Arg::Kind::keyword) {
        if (out.kwarg(a.name)) throw EvalError("keyword argument '" + a.name + "' given twice");
        out.keyword.emplace_back(a.name, eval(*a.value, scope));
      } else if (a.kind == Arg::Kind::kwspread) {
        const Value d = eval(*a.value, scope);
        if (!d.is_object()) throw EvalError("** needs a dict, got a " + d.type_name());
        for (const auto& [k, v] : d.as_object().items()) {
          if (out.kwarg(k)) throw EvalError("keyword argument '" + k + "' given twice");
          out.keyword.emplace_back(k, v);
        }
      }
    }
    return out;
  }

 public:
  Value eval(const Node& n, const ScopePtr& scope) {
    Guard g(*this, n);
    try {
      return eval_node(n, scope);
    } catch (const EvalError& e) {
      fail(n, e.what());
    }
  }

 private:
  Value eval_node(const Node& n, const ScopePtr& scope) {
    switch (n.kind) {
      case NodeKind::literal: return n.value;
      case NodeKind::name: {
        const Value* v = scope->find(n.name);
        return v ? *v : Value();
      }
      case NodeKind::list:
      case NodeKind::tuple: {
        Array items;
        for (const auto& k : n.kids) items.push_back(eval(*k, scope));
        return Value::array(std::move(items));
      }
      case NodeKind::dict: {
        Object o;
        for (size_t i = 0; i + 1 < n.kids.size(); i += 2) {
          const Value key = eval(*n.kids[i], scope);
          if (!key.is_string()) throw EvalError("dict keys must be strings, got a " + key.type_name());
          o.set(key.as_string(), eval(*n.kids[i + 1], scope));
        }
        return Value::object(std::move(o));
      }
      case NodeKind::attribute: {
        const Value obj = eval(*n.kids[0], scope);
        return n.name.empty() ? get_item(obj, n.value) : get_attribute(obj, n.name);
      }
      case NodeKind::index: return get_item(eval(*n.kids[0], scope), eval(*n.kids[1], scope));
      case NodeKind::slice: {
        const Value obj = eval(*n.kids[0], scope);
        auto part = [&](size_t i) { return n.kids[i] ? eval(*n.kids[i], scope) : Value(); };
        return get_slice(obj, part(1), part(2), part(3));
      }
      case NodeKind::call: {
        const CallArgs args = eval_args(n.args, scope);
        const Value fn = eval(*n.kids[0], scope);
        if (!fn.is(Value::Kind::function))
          throw EvalError("cannot call a " + fn.type_name() + describe_callee(*n.kids[0]));
        return fn.as_function()(args);
      }
      case NodeKind::filter: return apply_filter(n.name, eval(*n.kids[0], scope), eval_args(n.args, scope));
      case NodeKind::test: {
        const bool r = apply_test(n.name, eval(*n.kids[0], scope), eval_args(n.args, scope));
        return Value::boolean(n.negate ? !r : r);
      }
      case NodeKind::unary: return unary_op(n.name, eval(*n.kids[0], scope));
      case NodeKind::binary: {
        if (n.name == "and" || n.name == "or") {
          Value left = eval(*n.kids[0], scope);
          if (left.truthy() == (n.name == "or")) return left;
          return eval(*n.kids[1], scope);
        }
        const Value left = eval(*n.kids[0], scope);
        return binary_op(n.name, left, eval(*n.kids[1], scope));
      }
      case NodeKind::ternary: return eval(*n.kids[eval(*n.kids[0], scope).truthy() ? 1 : 2], scope);
      case NodeKind::select: return eval(*n.kids[1], scope).truthy() ? eval(*n.kids[0], scope) : Value();
      default: fail(n, "statement used as an expression");
    }
  }

  static std::string describe_callee(const Node& callee) {
    if (callee.kind == NodeKind::name) return " ('" + callee.name + "' is not a function)";
    if (callee.kind == NodeKind::attribute && !callee.name.empty()) return " ('." + callee.name + "' is not a method)";
    return "";
  }

  const SourceInfo& src_;
  EvalLimits limits_;
  size_t steps_ = 0;
  int depth_ = 0;
};

}  // namespace

std::string evaluate(const Block& program, const SourceInfo& src, const Object& context, const EvalLimits& limits) {
  auto globals = std::make_shared<Scope>(nullptr);
  Object builtins;
  add_globals(builtins);
  for (const auto& [k, v] : builtins.items()) globals->set(k, v);
  auto top = std::make_shared<Scope>(globals);
  for (const auto& [k, v] : context.items()) top->set(k, v);
  Interpreter in(src, limits);
  std::string out;
  in.exec_block(program, top, out);
  return out;
}

}  // namespace seek::jinja
