// Arrays and objects. Whitespace between tokens is a Ws child frame; items, keys and values are child frames.
//
// Array frame: a = phase, x = items so far. Object frame: a = phase, x = next declared property that may come
// (low 32) | the member being read (high 32; props.size() for an additional property).
#include <algorithm>

#include "infer/grammar/matcher.h"

namespace seek::grammar {

namespace {
enum : uint32_t { kOpen = 0, kFirst = 1, kNext = 2, kAfterItem = 3, kComma = 4, kClosed = 0xFF };
enum : uint32_t { kOFirst = 1, kONext = 2, kAfterKey = 3, kColon = 4, kValue = 5, kAfterValue = 6, kOComma = 7 };
constexpr uint32_t kMaxOpenDepth = 400;  // frames below a free-form container that may still open

uint32_t item_for(const Node& n, uint64_t i) {
  if (i >= n.max_items) return kNone;
  return i < n.kids.size() ? n.kids[i] : n.item;
}
uint32_t next_member(const Frame& f) { return uint32_t(f.x); }
uint32_t member(const Frame& f) { return uint32_t(f.x >> 32); }
uint64_t members(uint32_t next, uint32_t m) { return uint64_t(next) | uint64_t(m) << 32; }
}  // namespace

bool Matcher::step_arr(Config& c, int byte, std::vector<Config>& out) {
  const Node& n = grammar_->nodes[c.top.node];
  Frame& f = c.top;
  const uint64_t count = f.x;
  Frame p = f;
  switch (f.a) {
    case kOpen:
      if (byte != '[' || (n.depth_limited && c.depth > kMaxOpenDepth)) return false;
      p.a = kFirst;
      emit(push(c, p, Frame{grammar_->ws_id()}), out);
      return false;
    case kFirst:
      if (byte == ']' && count >= n.min_items) {
        f.a = kClosed;
        emit(c, out);
        return false;
      }
      [[fallthrough]];
    case kNext:
      if (item_for(n, count) == kNone) return false;
      p.a = kAfterItem;
      p.x = count + 1;
      c = push(c, p, Frame{item_for(n, count)});
      return true;
    case kAfterItem:
      p.a = kComma;
      c = push(c, p, Frame{grammar_->ws_id()});
      return true;
    case kComma:
      if (byte == ',' && item_for(n, count) != kNone) {
        p.a = kNext;
        emit(push(c, p, Frame{grammar_->ws_id()}), out);
      } else if (byte == ']' && count >= n.min_items) {
        f.a = kClosed;
        emit(c, out);
      }
      return false;
  }
  return false;
}

bool Matcher::step_obj(Config& c, int byte, std::vector<Config>& out) {
  const Node& n = grammar_->nodes[c.top.node];
  const uint32_t np = uint32_t(n.props.size());
  Frame& f = c.top;
  const uint32_t b = next_member(f);
  Frame p = f;
  switch (f.a) {
    case kOpen:
      if (byte != '{' || (n.depth_limited && c.depth > kMaxOpenDepth)) return false;
      p.a = kOFirst;
      emit(push(c, p, Frame{grammar_->ws_id()}), out);
      return false;
    case kOFirst:
      if (byte == '}' && n.next_req[b] == np) {
        f.a = kClosed;
        emit(c, out);
        return false;
      }
      [[fallthrough]];
    case kONext: {
      if (byte != '"') return false;
      // Any declared property from b up to the next required one, or (none required left) an additional one.
      const uint32_t r = n.next_req[b], last = r < np ? r + 1 : np;
      p.a = kAfterKey;
      for (uint32_t i = b; i < last; i++) {
        p.x = members(i + 1, i);
        feed(push(c, p, Frame{n.props[i].key}), byte, -1, out);
      }
      if (n.add_key != kNone && r == np) {
        p.x = members(np, np);
        feed(push(c, p, Frame{n.add_key}), byte, -1, out);
      }
      return false;
    }
    case kAfterKey:
      p.a = kColon;
      c = push(c, p, Frame{grammar_->ws_id()});
      return true;
    case kColon:
      if (byte == ':') {
        p.a = kValue;
        emit(push(c, p, Frame{grammar_->ws_id()}), out);
      }
      return false;
    case kValue:
      p.a = kAfterValue;
      c = push(c, p, Frame{member(f) < np ? n.props[member(f)].value : n.additional});
      return true;
    case kAfterValue:
      p.a = kOComma;
      c = push(c, p, Frame{grammar_->ws_id()});
      return true;
    case kOComma:
      if (byte == ',' && (b < np || n.add_key != kNone)) {
        p.a = kONext;
        emit(push(c, p, Frame{grammar_->ws_id()}), out);
      } else if (byte == '}' && n.next_req[b] == np) {
        f.a = kClosed;
        emit(c, out);
      }
      return false;
  }
  return false;
}

uint64_t Matcher::arr_min(const Frame& f) const {
  const Grammar& g = *grammar_;
  const Node& n = g.nodes[f.node];
  auto items = [&](uint64_t from, uint64_t to) {  // shortest items [from, to)
    uint64_t s = 0;
    for (uint64_t i = from; i < to && s < kInf; i++) {
      uint32_t it = item_for(n, i);
      if (it == kNone) return kInf;
      if (i >= n.kids.size()) return std::min(kInf, s + (to - i) * g.min_units[it]);
      s += g.min_units[it];
    }
    return std::min(s, kInf);
  };
  const uint64_t count = f.x, mn = n.min_items;
  switch (f.a) {
    case kOpen: return g.min_units[f.node];
    case kFirst: return mn == 0 ? 1 : std::min(kInf, items(0, mn) + mn);
    case kNext: {
      uint64_t m = std::max(mn, count + 1);
      return std::min(kInf, items(count, m) + (m - count - 1) + 1);
    }
    case kAfterItem:
    case kComma: return count >= mn ? 1 : std::min(kInf, items(count, mn) + (mn - count) + 1);
    default: return 0;
  }
}

uint64_t Matcher::obj_min(const Frame& f) const {
  const Grammar& g = *grammar_;
  const Node& n = g.nodes[f.node];
  const uint32_t np = uint32_t(n.props.size()), b = next_member(f);
  auto member_min = [&](uint32_t i) { return g.min_units[n.props[i].key] + 1 + g.min_units[n.props[i].value]; };
  uint64_t s = 0, k = 0;  // the required members from b: total length and count
  for (uint32_t i = b; i < np; i++)
    if (n.props[i].required) s += member_min(i), k++;
  s = std::min(s, kInf);
  const uint64_t after_value = k == 0 ? 1 : std::min(kInf, s + k + 1);
  auto value_min = [&]() { return g.min_units[member(f) < np ? n.props[member(f)].value : n.additional]; };
  switch (f.a) {
    case kOpen: return g.min_units[f.node];
    case kOFirst: return k == 0 ? 1 : std::min(kInf, s + k);
    case kONext: {
      if (k > 0) return std::min(kInf, s + k);
      uint64_t best = kInf;
      for (uint32_t i = b; i < np; i++) best = std::min(best, member_min(i));
      if (n.add_key != kNone) best = std::min(best, g.min_units[n.add_key] + 1 + g.min_units[n.additional]);
      return std::min(kInf, best + 1);
    }
    case kAfterKey:
    case kColon: return std::min(kInf, 1 + value_min() + after_value);
    case kValue: return std::min(kInf, value_min() + after_value);
    case kAfterValue:
    case kOComma: return after_value;
    default: return 0;
  }
}

}  // namespace seek::grammar
