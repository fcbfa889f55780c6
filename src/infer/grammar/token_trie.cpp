#include "infer/grammar/token_trie.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace seek::grammar {

TrieVocabulary::TrieVocabulary(const Tokenizer& tok, std::vector<int32_t> eos)
    : eos_ids(std::move(eos)), tokenizer(tok) {
  vocab_size = tok.vocab_size();
  in_trie.assign(size_t(vocab_size), 0);
  std::vector<int32_t> ids;
  for (int32_t id = 0; id < vocab_size; id++) {
    if (tok.token_bytes(id).empty() || tok.is_special(id) || is_eos(id)) continue;
    if (tok.token_bytes(id).size() > 255) continue;  // depth is a byte; no real token is this long
    ids.push_back(id);
    in_trie[size_t(id)] = 1;
  }
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    std::string_view x = tok.token_bytes(a), y = tok.token_bytes(b);
    return x != y ? x < y : a < b;
  });
  // Sorted byte strings give the preorder directly: walk them keeping the path of open nodes.
  nodes.push_back(Node{0, 0, 0, 0, 0});
  std::vector<uint32_t> path = {0};
  std::string_view prev;
  for (int32_t id : ids) {
    std::string_view s = tok.token_bytes(id);
    size_t common = 0;
    while (common < prev.size() && common < s.size() && prev[common] == s[common]) common++;
    common = std::min(common, path.size() - 1);
    for (size_t d = path.size() - 1; d > common; d--) close(path[d]);
    path.resize(common + 1);
    for (size_t d = common; d < s.size(); d++) {
      nodes.push_back(Node{uint8_t(s[d]), uint8_t(d + 1), 0, 0, 0});
      nodes.back().sub_begin = uint32_t(tok_ids.size());
      path.push_back(uint32_t(nodes.size() - 1));
    }
    Node& leaf = nodes[path.back()];
    if (leaf.first_tok == leaf.last_tok) leaf.first_tok = uint32_t(tok_ids.size());
    tok_ids.push_back(id);
    leaf.last_tok = uint32_t(tok_ids.size());
    max_depth = std::max(max_depth, s.size());
    prev = s;
  }
  for (size_t d = path.size(); d-- > 0;) close(path[d]);
  mark_plain();
}

namespace {
// Code points of a token that is plain string text, or -1.
int plain_cps(std::string_view s) {
  int n = 0;
  for (size_t i = 0; i < s.size(); n++) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c < 0x20 || c == '"' || c == '\\') return -1;
      i++;
      continue;
    }
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return -1;
    uint32_t cp = c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; k++) {
      unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return -1;
      cp = cp << 6 | (cc & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return -1;
    i += len;
  }
  return n;
}
}  // namespace

void TrieVocabulary::close(uint32_t node) {
  nodes[node].end = uint32_t(nodes.size());
  nodes[node].sub_end = uint32_t(tok_ids.size());
}

void TrieVocabulary::mark_plain() {
  std::vector<int> cps(tok_ids.size());
  for (size_t t = 0; t < tok_ids.size(); t++) cps[t] = plain_cps(bytes(tok_ids[t]));
  for (Node& n : nodes) {
    n.plain = true;
    for (uint32_t t = n.sub_begin; t < n.sub_end && n.plain; t++) {
      n.plain = cps[t] >= 0;
      n.max_cps = std::max(n.max_cps, uint32_t(std::max(cps[t], 0)));
    }
  }
}

bool TrieVocabulary::is_eos(int32_t id) const { return std::find(eos_ids.begin(), eos_ids.end(), id) != eos_ids.end(); }

}  // namespace seek::grammar

namespace seek {

std::shared_ptr<const TokenVocabulary> TokenVocabulary::build(const Tokenizer& tok, std::vector<int32_t> eos_ids) {
  return std::make_shared<grammar::TrieVocabulary>(tok, std::move(eos_ids));
}

}  // namespace seek
