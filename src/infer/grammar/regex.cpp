// Pattern -> NFA over UTF-8 bytes (Thompson's construction; code point ranges become byte-range sequences) ->
// DFA by subset construction, with states that cannot reach a match removed.
#include "infer/grammar/regex.h"

#include <algorithm>
#include <deque>
#include <map>

#include "core/error.h"
#include "infer/grammar/regex_ast.h"

namespace seek::grammar {

namespace {
constexpr size_t kMaxNfaStates = 60000, kMaxDfaStates = 6000;

struct Nfa {
  struct Edge {
    uint8_t lo, hi;
    int to;
  };
  struct State {
    std::vector<int> eps;
    std::vector<Edge> edges;
  };
  std::vector<State> st;
  std::string what;

  int add() {
    if (st.size() >= kMaxNfaStates) throw Error(what + ": regular expression too large");
    st.emplace_back();
    return int(st.size() - 1);
  }
};

int utf8_len(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

void utf8_encode(uint32_t cp, uint8_t* b) {
  int n = utf8_len(cp);
  if (n == 1) {
    b[0] = uint8_t(cp);
    return;
  }
  for (int i = n - 1; i > 0; i--, cp >>= 6) b[i] = uint8_t(0x80 | (cp & 0x3F));
  b[0] = uint8_t((0xF00 >> n) | cp);
}

// Splits [lo, hi] (one UTF-8 length, no surrogates) into ranges whose encodings are byte-range sequences.
void byte_sequences(uint32_t lo, uint32_t hi, std::vector<std::vector<std::pair<uint8_t, uint8_t>>>& out) {
  for (uint32_t edge : {0x7Fu, 0x7FFu, 0xFFFFu})
    if (lo <= edge && hi > edge) {
      byte_sequences(lo, edge, out);
      byte_sequences(edge + 1, hi, out);
      return;
    }
  const int n = utf8_len(lo);
  for (int i = 1; i < n; i++) {
    uint32_t m = (1u << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        byte_sequences(lo, lo | m, out);
        byte_sequences((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        byte_sequences(lo, (hi & ~m) - 1, out);
        byte_sequences(hi & ~m, hi, out);
        return;
      }
    }
  }
  uint8_t a[4], b[4];
  utf8_encode(lo, a);
  utf8_encode(hi, b);
  std::vector<std::pair<uint8_t, uint8_t>> seq;
  for (int i = 0; i < n; i++) seq.push_back({a[i], b[i]});
  out.push_back(std::move(seq));
}

// Adds the fragment for `re` from state `from`; returns its end state.
int build(Nfa& nfa, const ReNode& re, int from) {
  switch (re.kind) {
    case ReNode::Set: {
      int end = nfa.add();
      std::vector<std::vector<std::pair<uint8_t, uint8_t>>> seqs;
      for (auto [lo, hi] : re.set) {
        if (lo <= 0xDFFF && hi >= 0xD800) {  // surrogates are not characters
          if (lo < 0xD800) byte_sequences(lo, 0xD7FF, seqs);
          if (hi > 0xDFFF) byte_sequences(0xE000, hi, seqs);
        } else {
          byte_sequences(lo, hi, seqs);
        }
      }
      for (const auto& seq : seqs) {
        int at = from;
        for (size_t i = 0; i < seq.size(); i++) {
          int to = i + 1 == seq.size() ? end : nfa.add();
          nfa.st[size_t(at)].edges.push_back({seq[i].first, seq[i].second, to});
          at = to;
        }
      }
      return end;
    }
    case ReNode::Cat: {
      int at = from;
      for (const ReNode& k : re.kids) at = build(nfa, k, at);
      return at;
    }
    case ReNode::Alt: {
      int end = nfa.add();
      for (const ReNode& k : re.kids) {
        int s = nfa.add();
        nfa.st[size_t(from)].eps.push_back(s);
        nfa.st[size_t(build(nfa, k, s))].eps.push_back(end);
      }
      return end;
    }
    case ReNode::Rep: {
      int at = from;
      for (uint32_t i = 0; i < re.min; i++) at = build(nfa, re.kids[0], at);
      if (re.max == kUnbounded) {
        int loop = nfa.add();
        nfa.st[size_t(at)].eps.push_back(loop);
        nfa.st[size_t(build(nfa, re.kids[0], loop))].eps.push_back(loop);
        return loop;
      }
      int end = nfa.add();
      for (uint32_t i = re.min; i < re.max; i++) {
        nfa.st[size_t(at)].eps.push_back(end);
        at = build(nfa, re.kids[0], at);
      }
      nfa.st[size_t(at)].eps.push_back(end);
      return end;
    }
  }
  return from;
}

std::vector<int> closure(const Nfa& nfa, std::vector<int> set) {
  std::vector<uint8_t> seen(nfa.st.size(), 0);
  std::vector<int> stack = set;
  for (int s : set) seen[size_t(s)] = 1;
  while (!stack.empty()) {
    int s = stack.back();
    stack.pop_back();
    for (int t : nfa.st[size_t(s)].eps)
      if (!seen[size_t(t)]) seen[size_t(t)] = 1, set.push_back(t), stack.push_back(t);
  }
  std::sort(set.begin(), set.end());
  return set;
}

// Removes states that cannot reach an accepting one and computes the distances to acceptance.
void prune(Dfa& d) {
  const size_t n = d.next.size();
  std::vector<std::vector<int32_t>> back(n);
  for (size_t s = 0; s < n; s++)
    for (int32_t t : d.next[s])
      if (t >= 0) back[size_t(t)].push_back(int32_t(s));
  d.min_to_accept.assign(n, ~0u);
  std::deque<int32_t> q;
  for (size_t s = 0; s < n; s++)
    if (d.accept[s]) d.min_to_accept[s] = 0, q.push_back(int32_t(s));
  while (!q.empty()) {
    int32_t t = q.front();
    q.pop_front();
    for (int32_t s : back[size_t(t)])
      if (d.min_to_accept[size_t(s)] == ~0u)
        d.min_to_accept[size_t(s)] = d.min_to_accept[size_t(t)] + 1, q.push_back(s);
  }
  for (auto& row : d.next)
    for (int32_t& t : row)
      if (t >= 0 && d.min_to_accept[size_t(t)] == ~0u) t = -1;
}
}  // namespace

Dfa compile_regex(const std::string& pattern, const std::string& what) {
  ParsedRegex parsed = parse_regex(pattern, what);
  ReNode any_star;
  any_star.kind = ReNode::Rep;
  any_star.max = kUnbounded;
  ReNode any;
  any.kind = ReNode::Set;
  any.set = all_code_points();
  any_star.kids.push_back(any);
  ReNode whole;  // search semantics: unanchored sides match anything
  whole.kind = ReNode::Cat;
  if (!parsed.anchored_start) whole.kids.push_back(any_star);
  whole.kids.push_back(std::move(parsed.root));
  if (!parsed.anchored_end) whole.kids.push_back(any_star);

  Nfa nfa;
  nfa.what = what;
  int start = nfa.add();
  int accept = build(nfa, whole, start);

  Dfa d;
  std::map<std::vector<int>, int32_t> index;
  std::vector<std::vector<int>> sets;
  auto intern = [&](std::vector<int> set) {
    auto [it, fresh] = index.emplace(set, int32_t(sets.size()));
    if (fresh) {
      if (sets.size() >= kMaxDfaStates) throw Error(what + ": regular expression too complex (over 6000 states)");
      sets.push_back(std::move(set));
      d.next.emplace_back().fill(-1);
      d.accept.push_back(std::binary_search(sets.back().begin(), sets.back().end(), accept));
    }
    return it->second;
  };
  d.start = intern(closure(nfa, {start}));
  for (size_t s = 0; s < sets.size(); s++) {
    std::vector<std::vector<int>> moves(256);
    for (int ns : sets[s])
      for (const Nfa::Edge& e : nfa.st[size_t(ns)].edges)
        for (int b = e.lo; b <= e.hi; b++) moves[size_t(b)].push_back(e.to);
    for (int b = 0; b < 256; b++) {
      if (moves[size_t(b)].empty()) continue;
      std::sort(moves[size_t(b)].begin(), moves[size_t(b)].end());
      moves[size_t(b)].erase(std::unique(moves[size_t(b)].begin(), moves[size_t(b)].end()), moves[size_t(b)].end());
      int32_t t = intern(closure(nfa, std::move(moves[size_t(b)])));
      d.next[s][size_t(b)] = t;
    }
  }
  prune(d);
  return d;
}

}  // namespace seek::grammar
