#include "text/tokenizer/tokenizer_added.h"

#include <algorithm>
#include <map>

#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

void AddedTokenMatcher::build(std::vector<AddedToken> tokens, const std::vector<std::string>& patterns) {
  tokens_ = std::move(tokens);
  nodes_.assign(1, Node{});
  edges_.clear();
  can_start_.fill(false);
  // Build with ordered maps, then flatten to sorted edge arrays.
  struct Tmp {
    std::map<uint8_t, uint32_t> kids;
    int32_t token = -1;
  };
  std::vector<Tmp> tmp(1);
  for (size_t i = 0; i < tokens_.size(); i++) {
    const std::string& p = patterns[i];
    if (p.empty()) continue;
    uint32_t node = 0;
    for (char c : p) {
      uint8_t b = uint8_t(c);
      auto it = tmp[node].kids.find(b);
      if (it == tmp[node].kids.end()) {
        tmp.push_back(Tmp{});
        it = tmp[node].kids.emplace(b, uint32_t(tmp.size() - 1)).first;
      }
      node = it->second;
    }
    // The reference keeps the first token for a duplicated pattern.
    if (tmp[node].token < 0) tmp[node].token = int32_t(i);
    can_start_[uint8_t(p[0])] = true;
  }
  nodes_.resize(tmp.size());
  for (size_t n = 0; n < tmp.size(); n++) {
    nodes_[n].token = tmp[n].token;
    nodes_[n].first_edge = uint32_t(edges_.size());
    nodes_[n].edge_count = uint32_t(tmp[n].kids.size());
    for (auto [b, child] : tmp[n].kids) edges_.push_back(Edge{b, child});
  }
  bool any_single_word = std::any_of(tokens_.begin(), tokens_.end(), [](const AddedToken& t) { return t.single_word; });
  if (any_single_word) word_char_ = Regex::compile("\\A\\w", "added tokens");
}

bool AddedTokenMatcher::find(std::string_view text, size_t pos, size_t& b, size_t& e, int32_t& token) const {
  if (tokens_.empty()) return false;
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  size_t n = text.size();
  for (size_t i = pos; i < n; i++) {
    if (!can_start_[s[i]]) continue;
    uint32_t node = 0;
    int32_t best = -1;
    size_t best_end = 0;
    for (size_t j = i; j < n; j++) {
      const Node& nd = nodes_[node];
      const Edge* lo = edges_.data() + nd.first_edge;
      const Edge* hi = lo + nd.edge_count;
      const Edge* it = std::lower_bound(lo, hi, s[j], [](const Edge& ed, uint8_t v) { return ed.byte < v; });
      if (it == hi || it->byte != s[j]) break;
      node = it->child;
      if (nodes_[node].token >= 0) best = nodes_[node].token, best_end = j + 1;
    }
    if (best >= 0) {
      b = i;
      e = best_end;
      token = best;
      return true;
    }
  }
  return false;
}

// A single_word token must not touch a word character on either side.
bool AddedTokenMatcher::is_single_word(std::string_view text, size_t b, size_t e, RegexScratch& scratch) const {
  size_t mb, me;
  if (b > 0) {
    size_t k = b - 1;
    while (k > 0 && (uint8_t(text[k]) & 0xC0) == 0x80) k--;
    if (word_char_.find(text.substr(k, b - k), 0, scratch, mb, me)) return false;
  }
  if (e < text.size()) {
    char32_t c;
    size_t len = utf8::decode_valid(text, e, c);
    if (word_char_.find(text.substr(e, len), 0, scratch, mb, me)) return false;
  }
  return true;
}

size_t AddedTokenMatcher::whitespace_before(std::string_view text, size_t b) {
  while (b > 0) {
    size_t k = b - 1;
    while (k > 0 && (uint8_t(text[k]) & 0xC0) == 0x80) k--;
    char32_t c;
    utf8::decode_valid(text, k, c);
    if (!utf8::is_white_space(c)) break;
    b = k;
  }
  return b;
}

size_t AddedTokenMatcher::whitespace_after(std::string_view text, size_t e) {
  while (e < text.size()) {
    char32_t c;
    size_t len = utf8::decode_valid(text, e, c);
    if (!utf8::is_white_space(c)) break;
    e += len;
  }
  return e;
}

}  // namespace seek
