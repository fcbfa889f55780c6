#include "infer/grammar/grammar_constraint.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace seek::grammar {

GrammarConstraint::GrammarConstraint(std::shared_ptr<const TrieVocabulary> vocab,
                                     std::shared_ptr<const Grammar> grammar)
    : vocab_(std::move(vocab)), m_(grammar) {
  state_.push_back(m_.start());
  uint64_t largest = 0;
  for (uint64_t u : grammar->min_units)
    if (u < kInf) largest = std::max(largest, u);
  slack_ = (largest + 8) * (vocab_->max_depth + 1) * 4;
}

bool GrammarConstraint::fits(const std::vector<Config>& set, uint64_t limit) const {
  for (const Config& c : set)
    if (m_.min_units(c) <= limit) return true;
  return false;
}

void GrammarConstraint::allowed(std::vector<uint8_t>& ok) const {
  walk(ok, budget_ >= 0);
  // A budget below the shortest document cannot be met: then the output is cut short instead (finish "length").
  if (budget_ >= 0 && std::find(ok.begin(), ok.end(), uint8_t(1)) == ok.end()) walk(ok, false);
}

void GrammarConstraint::walk(std::vector<uint8_t>& ok, bool check) const {
  const TrieVocabulary& v = *vocab_;
  ok.assign(size_t(v.vocab_size), 0);
  const size_t base = m_.mark();
  // With a budget, a token must leave a completion of at most budget - 1 tokens; far from the limit no token can
  // matter and the check is skipped.
  const uint64_t limit = check ? uint64_t(std::max<int64_t>(budget_ - 1, 0)) : 0;
  bool tight = false;
  if (check) {
    uint64_t now = kInf;
    for (const Config& c : state_) now = std::min(now, m_.min_units(c));
    tight = now + slack_ > limit;
  }
  std::vector<std::vector<Config>> sets(v.max_depth + 2);
  std::vector<size_t> marks(v.max_depth + 2, base);
  sets[0] = state_;
  for (uint32_t i = 1; i < v.nodes.size();) {
    const TrieVocabulary::Node& n = v.nodes[i];
    const size_t d = n.depth;
    m_.release(marks[d]);
    const std::vector<Config>& parent = sets[d - 1];
    if (fast_ && !tight && n.plain && parent.size() == 1 && m_.plain_string_body(parent[0], n.max_cps)) {
      for (uint32_t t = n.sub_begin; t < n.sub_end; t++) ok[size_t(v.tok_ids[t])] = 1;  // text inside a string
      i = n.end;
      continue;
    }
    std::vector<Config>& here = sets[d];
    here.clear();
    for (const Config& c : parent) m_.feed_byte(c, n.byte, here);
    if (here.empty()) {
      i = n.end;
      continue;
    }
    if (n.first_tok != n.last_tok && (!tight || fits(here, limit)))
      for (uint32_t t = n.first_tok; t < n.last_tok; t++) ok[size_t(v.tok_ids[t])] = 1;
    marks[d + 1] = m_.mark();
    i++;
  }
  m_.release(base);
  // Whole tokens the grammar asks for by id, and the end of the sequence.
  std::vector<Config> out;
  for (int32_t t : m_.grammar().tokens) {
    out.clear();
    for (const Config& c : state_) m_.feed_token(c, t, out);
    if (!out.empty() && (!tight || fits(out, limit)) && t >= 0 && t < v.vocab_size) ok[size_t(t)] = 1;
    m_.release(base);
  }
  if (complete())
    for (int32_t e : v.eos_ids)
      if (e >= 0 && e < v.vocab_size) ok[size_t(e)] = 1;
}

void GrammarConstraint::mask(float* logits, int64_t vocab) const {
  std::vector<uint8_t> ok;
  allowed(ok);
  bool any = false;
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < vocab; i++) {
    if (i < int64_t(ok.size()) && ok[size_t(i)])
      any = true;
    else
      logits[i] = ninf;
  }
  if (!any) throw Error("constrained decoding reached a state where no token can follow (a grammar bug)");
}

bool GrammarConstraint::accept_text(std::string_view text) {
  std::vector<Config> cur = state_, next;
  for (unsigned char b : text) {
    next.clear();
    for (const Config& c : cur) m_.feed_byte(c, b, next);
    if (next.empty()) return false;
    cur.swap(next);
  }
  state_ = std::move(cur);
  return true;
}

void GrammarConstraint::accept(int32_t token) {
  const TrieVocabulary& v = *vocab_;
  if (token < 0 || token >= v.vocab_size)
    throw Error("constrained decoding: token id " + std::to_string(token) + " is outside the vocabulary");
  if (v.is_eos(token)) {
    if (!complete()) throw Error("constrained decoding: end of sequence before the output is complete");
    state_ = {Config{Frame{kNone}, -1, 0}};
    return;
  }
  std::vector<Config> by_id;
  for (const Config& c : state_) m_.feed_token(c, token, by_id);
  std::vector<Config> cur = state_, next;
  bool bytes_ok = v.in_trie[size_t(token)] != 0;
  for (unsigned char b : v.bytes(token)) {
    if (!bytes_ok) break;
    next.clear();
    for (const Config& c : cur) m_.feed_byte(c, b, next);
    cur.swap(next);
    bytes_ok = !cur.empty();
  }
  if (!bytes_ok) cur.clear();
  for (const Config& c : by_id)
    if (std::find(cur.begin(), cur.end(), c) == cur.end()) cur.push_back(c);
  if (cur.empty())
    throw Error("constrained decoding: token " + std::to_string(token) + " ('" + std::string(v.bytes(token)) +
                "') is not allowed here");
  if (cur.size() > 64) cur.resize(64);  // pathological ambiguity: keep a bounded (still valid) subset
  state_ = std::move(cur);
  if (budget_ > 0) budget_--;
  if (m_.mark() > 4096) m_.compact(state_);
}

bool GrammarConstraint::complete() const {
  for (const Config& c : state_)
    if (m_.can_end(c)) return true;
  return false;
}

bool GrammarConstraint::finished() const {
  const size_t base = m_.mark();
  std::vector<Config> out;
  bool more = false;
  for (const Config& c : state_) {
    for (int b = 0; b < 256 && !more; b++) {
      m_.feed_byte(c, uint8_t(b), out);
      more = !out.empty();
    }
    for (int32_t t : m_.grammar().tokens) {
      if (more) break;
      m_.feed_token(c, t, out);
      more = !out.empty();
    }
    if (more) break;
  }
  m_.release(base);
  return !more;
}

}  // namespace seek::grammar
