// The matcher's loop. feed() looks at the top frame: a frame either consumes the byte (the result goes to `out`
// through emit(), which pops frames that cannot take anything more), hands it down by pushing a child (the loop
// continues with the child on top), ends before it (pop; the loop continues with the parent), branches (Alt: one
// recursive feed per alternative) or rejects it (nothing appended). A token (byte < 0) is taken only by a Tok
// frame; everything else treats it like a byte it cannot consume.
#include "infer/grammar/matcher.h"

#include <algorithm>
#include <unordered_map>

namespace seek::grammar {

namespace {
constexpr uint32_t kWsSpace = 1, kWsNewline = 2, kWsMaxIndent = 20;
}

Matcher::Matcher(std::shared_ptr<const Grammar> g) : grammar_(std::move(g)) { arena_.reserve(1024); }

Config Matcher::push(const Config& c, const Frame& parent_state, const Frame& child) {
  arena_.push_back(Cell{parent_state, c.rest, c.depth});
  return Config{child, int32_t(arena_.size() - 1), c.depth + 1};
}

Config Matcher::pop(const Config& c) const {
  if (c.rest < 0) return Config{Frame{kNone}, -1, 0};
  const Cell& cell = arena_[size_t(c.rest)];
  return Config{cell.frame, cell.parent, cell.depth};
}

void Matcher::emit(Config c, std::vector<Config>& out) const {
  while (c.top.node != kNone && final(c.top)) c = pop(c);
  if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
}

void Matcher::feed_byte(const Config& c, uint8_t byte, std::vector<Config>& out) { feed(c, byte, -1, out); }
void Matcher::feed_token(const Config& c, int32_t token, std::vector<Config>& out) { feed(c, -1, token, out); }

void Matcher::feed(Config c, int byte, int32_t token, std::vector<Config>& out) {
  const Grammar& g = *grammar_;
  for (;;) {
    if (c.top.node == kNone) return;
    const Node& n = g.nodes[c.top.node];
    Frame& f = c.top;
    switch (n.kind) {
      case Kind::Lit:
        if (f.a >= n.text.size()) {
          c = pop(c);
          continue;
        }
        if (byte >= 0 && uint8_t(n.text[f.a]) == byte) {
          f.a++;
          emit(c, out);
        }
        return;
      case Kind::Tok:
        if (f.a == 0 && byte < 0 && token == n.token) {
          f.a = 1;
          emit(c, out);
        }
        return;
      case Kind::Seq:
        if (f.a >= n.kids.size()) {
          c = pop(c);
          continue;
        }
        {
          Frame parent = f;
          parent.a++;
          c = push(c, parent, Frame{n.kids[f.a]});
        }
        continue;
      case Kind::Alt:
        for (uint32_t k : n.kids) {
          Config b = c;
          b.top = Frame{k};
          feed(b, byte, token, out);
        }
        return;
      case Kind::Ws:
        if (f.a == 0 && (byte == ' ' || byte == '\n')) {
          f.a = byte == ' ' ? kWsSpace : kWsNewline;
          emit(c, out);
          return;
        }
        if (f.a >= kWsNewline && (byte == ' ' || byte == '\t')) {
          f.a++;
          emit(c, out);
          return;
        }
        c = pop(c);  // whitespace ends; the byte belongs to what follows
        continue;
      case Kind::Str:
        if (step_str(c, byte, out)) continue;
        return;
      case Kind::Num:
        if (step_num(c, byte, out)) continue;
        return;
      case Kind::Arr:
        if (step_arr(c, byte, out)) continue;
        return;
      case Kind::Obj:
        if (step_obj(c, byte, out)) continue;
        return;
    }
  }
}

bool Matcher::final(const Frame& f) const {
  const Node& n = grammar_->nodes[f.node];
  switch (n.kind) {
    case Kind::Lit: return f.a >= n.text.size();
    case Kind::Tok: return f.a == 1;
    case Kind::Seq: return f.a >= n.kids.size();
    case Kind::Alt: return false;
    case Kind::Ws: return f.a == kWsSpace || f.a == kWsNewline + kWsMaxIndent;
    case Kind::Str: return (f.a & 7) == 7;
    case Kind::Num: return false;
    case Kind::Arr:
    case Kind::Obj: return f.a == 0xFF;
  }
  return false;
}

bool Matcher::can_end(const Config& c) const {
  if (c.top.node == kNone) return true;
  if (!frame_can_end(c.top)) return false;
  for (int32_t i = c.rest; i >= 0; i = arena_[size_t(i)].parent)
    if (!frame_can_end(arena_[size_t(i)].frame)) return false;
  return true;
}

uint64_t Matcher::min_units(const Config& c) const {
  if (c.top.node == kNone) return 0;
  uint64_t sum = frame_min(c.top);
  for (int32_t i = c.rest; i >= 0 && sum < kInf; i = arena_[size_t(i)].parent)
    sum += frame_min(arena_[size_t(i)].frame);
  return std::min(sum, kInf);
}

bool Matcher::frame_can_end(const Frame& f) const { return frame_min(f) == 0; }

uint64_t Matcher::frame_min(const Frame& f) const {
  const Grammar& g = *grammar_;
  const Node& n = g.nodes[f.node];
  switch (n.kind) {
    case Kind::Lit: return n.text.size() - std::min<size_t>(f.a, n.text.size());
    case Kind::Tok: return f.a ? 0 : 1;
    case Kind::Seq: {
      uint64_t s = 0;
      for (size_t i = f.a; i < n.kids.size(); i++) s += g.min_units[n.kids[i]];
      return std::min(s, kInf);
    }
    case Kind::Alt: return g.min_units[f.node];
    case Kind::Ws: return 0;
    case Kind::Str: return str_min(f);
    case Kind::Num: return f.a == 0 ? g.min_units[f.node] : num_min_rest(n.num, f);
    case Kind::Arr: return arr_min(f);
    case Kind::Obj: return obj_min(f);
  }
  return kInf;
}

void Matcher::compact(std::vector<Config>& live) {
  std::vector<Cell> fresh;
  std::unordered_map<int32_t, int32_t> moved;
  // Copies the chain from `i` upward, reusing cells already copied; returns the new index.
  auto copy = [&](int32_t i) {
    std::vector<int32_t> chain;
    while (i >= 0 && !moved.count(i)) {
      chain.push_back(i);
      i = arena_[size_t(i)].parent;
    }
    int32_t above = i < 0 ? -1 : moved[i];
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      Cell cell = arena_[size_t(*it)];
      cell.parent = above;
      fresh.push_back(cell);
      above = int32_t(fresh.size() - 1);
      moved[*it] = above;
    }
    return above;
  };
  for (Config& c : live) c.rest = copy(c.rest);
  arena_ = std::move(fresh);
}

}  // namespace seek::grammar
