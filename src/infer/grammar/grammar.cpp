#include "infer/grammar/grammar.h"

#include <algorithm>
#include <functional>

#include "core/error.h"
#include "infer/grammar/matcher.h"

namespace seek::grammar {

void KeySet::add(const std::string& s) {
  if (nodes.empty()) nodes.emplace_back().next.fill(kNone);
  uint32_t at = 0;
  for (unsigned char ch : s) {
    if (nodes[at].next[ch] == kNone) {
      nodes[at].next[ch] = uint32_t(nodes.size());
      nodes.emplace_back().next.fill(kNone);
    }
    at = nodes[at].next[ch];
  }
  nodes[at].terminal = true;
}

uint32_t Grammar::add(Node n) {
  nodes.push_back(std::move(n));
  return uint32_t(nodes.size() - 1);
}

uint32_t Grammar::lit(std::string bytes) {
  Node n;
  n.kind = Kind::Lit;
  n.text = std::move(bytes);
  return add(std::move(n));
}

uint32_t Grammar::tok(int32_t id, std::string text) {
  Node n;
  n.kind = Kind::Tok;
  n.token = id;
  n.text = std::move(text);
  return add(std::move(n));
}

uint32_t Grammar::seq(std::vector<uint32_t> kids) {
  Node n;
  n.kind = Kind::Seq;
  n.kids = std::move(kids);
  return add(std::move(n));
}

uint32_t Grammar::alt(std::vector<uint32_t> kids) {
  Node n;
  n.kind = Kind::Alt;
  n.kids = std::move(kids);
  return add(std::move(n));
}

uint32_t Grammar::ws() {
  if (ws_ == kNone) {
    Node n;
    n.kind = Kind::Ws;
    ws_ = add(std::move(n));
  }
  return ws_;
}

uint32_t Grammar::str(StrSpec spec) {
  Node n;
  n.kind = Kind::Str;
  n.str = spec;
  return add(std::move(n));
}

uint32_t Grammar::num(NumSpec spec) {
  Node n;
  n.kind = Kind::Num;
  n.num = spec;
  return add(std::move(n));
}

uint32_t Grammar::any_json() {
  if (any_ != kNone) return any_;
  any_ = alt({});
  Node obj;
  obj.kind = Kind::Obj;
  obj.add_key = str();
  obj.additional = any_;
  obj.depth_limited = true;
  Node arr;
  arr.kind = Kind::Arr;
  arr.item = any_;
  arr.depth_limited = true;
  std::vector<uint32_t> kids = {add(std::move(obj)), add(std::move(arr)), str(),      num(),
                                lit("true"),         lit("false"),        lit("null")};
  nodes[any_].kids = std::move(kids);
  return any_;
}

namespace {
uint64_t sat_add(uint64_t a, uint64_t b) { return std::min(kInf, a + b); }

// One node's shortest completion from the current estimates of its children.
uint64_t estimate(const Grammar& g, const Node& n, const std::vector<uint64_t>& m) {
  switch (n.kind) {
    case Kind::Lit: return n.text.size();
    case Kind::Tok: return 1;
    case Kind::Ws: return 0;
    case Kind::Seq: {
      uint64_t s = 0;
      for (uint32_t k : n.kids) s = sat_add(s, m[k]);
      return s;
    }
    case Kind::Alt: {
      uint64_t s = kInf;
      for (uint32_t k : n.kids) s = std::min(s, m[k]);
      return s;
    }
    case Kind::Str: {
      uint64_t body = n.str.dfa >= 0 ? g.dfas[size_t(n.str.dfa)].min_to_accept[size_t(g.dfas[size_t(n.str.dfa)].start)]
                                     : n.str.min_len;
      if (body == 0 && n.str.exclude >= 0 && !g.key_sets[size_t(n.str.exclude)].nodes.empty() &&
          g.key_sets[size_t(n.str.exclude)].nodes[0].terminal)
        body = 1;
      return body > n.str.max_len ? kInf : 2 + body;
    }
    case Kind::Num: return num_start_min(n.num);
    case Kind::Arr: {
      uint64_t s = 2;
      for (uint64_t i = 0; i < n.min_items; i++) {
        uint32_t it = i < n.kids.size() ? n.kids[i] : n.item;
        if (it == kNone || i >= n.max_items) return kInf;
        if (m[it] >= kInf) return kInf;
        if (i >= n.kids.size()) return sat_add(s, (n.min_items - i) * (m[it] + 1) - (i == 0 ? 1 : 0));
        s = sat_add(s, m[it] + (i ? 1 : 0));
      }
      return s;
    }
    case Kind::Obj: {
      uint64_t s = 2, k = 0;
      for (const Prop& p : n.props)
        if (p.required) s = sat_add(s, m[p.key] + 1 + m[p.value] + (k++ ? 1 : 0));
      return s;
    }
  }
  return kInf;
}
}  // namespace

void Grammar::finalize(const std::string& what) {
  ws();
  min_units.assign(nodes.size(), kInf);
  // Shortest completions: a fixpoint (recursive schemas refer back to their own nodes).
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < nodes.size(); i++) {
      uint64_t v = estimate(*this, nodes[i], min_units);
      if (v < min_units[i]) min_units[i] = v, changed = true;
    }
  }
  // Left recursion: a cycle through first positions (Seq's leading nullable kids, Alt's kids) consumes nothing.
  std::vector<uint8_t> color(nodes.size(), 0);
  std::function<void(uint32_t)> visit = [&](uint32_t i) {
    if (color[i] == 2) return;
    if (color[i] == 1) throw Error(what + " refers to itself without any text in between (left recursion)");
    color[i] = 1;
    const Node& n = nodes[i];
    if (n.kind == Kind::Alt)
      for (uint32_t k : n.kids) visit(k);
    if (n.kind == Kind::Seq)
      for (uint32_t k : n.kids) {
        visit(k);
        if (min_units[k] != 0) break;
      }
    color[i] = 2;
  };
  for (uint32_t i = 0; i < nodes.size(); i++) visit(i);

  // Unsatisfiable parts become unreachable: a walk into them would be a dead end.
  for (Node& n : nodes) {
    if (n.kind == Kind::Alt) std::erase_if(n.kids, [&](uint32_t k) { return min_units[k] >= kInf; });
    if (n.kind == Kind::Arr) {
      for (size_t i = 0; i < n.kids.size(); i++)
        if (min_units[n.kids[i]] >= kInf) n.max_items = std::min<uint32_t>(n.max_items, uint32_t(i));
      if (n.item != kNone && min_units[n.item] >= kInf) n.item = kNone;
    }
    if (n.kind == Kind::Obj) {
      std::erase_if(n.props, [&](const Prop& p) { return !p.required && min_units[p.value] >= kInf; });
      if (n.additional != kNone && (min_units[n.additional] >= kInf || min_units[n.add_key] >= kInf))
        n.additional = n.add_key = kNone;
      n.next_req.assign(n.props.size() + 1, uint32_t(n.props.size()));
      for (size_t i = n.props.size(); i-- > 0;) n.next_req[i] = n.props[i].required ? uint32_t(i) : n.next_req[i + 1];
    }
  }
  if (root == kNone || min_units[root] >= kInf) throw Error(what + " can never be satisfied (no value matches it)");

  tokens.clear();
  for (const Node& n : nodes)
    if (n.kind == Kind::Tok && std::find(tokens.begin(), tokens.end(), n.token) == tokens.end())
      tokens.push_back(n.token);
}

}  // namespace seek::grammar
