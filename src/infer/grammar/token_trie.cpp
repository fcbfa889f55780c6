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
    for (size_t d = path.size() - 1; d > common; d--) nodes[path[d]].end = uint32_t(nodes.size());
    path.resize(common + 1);
    for (size_t d = common; d < s.size(); d++) {
      nodes.push_back(Node{uint8_t(s[d]), uint8_t(d + 1), 0, 0, 0});
      path.push_back(uint32_t(nodes.size() - 1));
    }
    Node& leaf = nodes[path.back()];
    if (leaf.first_tok == leaf.last_tok) leaf.first_tok = uint32_t(tok_ids.size());
    tok_ids.push_back(id);
    leaf.last_tok = uint32_t(tok_ids.size());
    max_depth = std::max(max_depth, s.size());
    prev = s;
  }
  for (size_t d = path.size(); d-- > 0;) nodes[path[d]].end = uint32_t(nodes.size());
}

bool TrieVocabulary::is_eos(int32_t id) const { return std::find(eos_ids.begin(), eos_ids.end(), id) != eos_ids.end(); }

}  // namespace seek::grammar

namespace seek {

std::shared_ptr<const TokenVocabulary> TokenVocabulary::build(const Tokenizer& tok, std::vector<int32_t> eos_ids) {
  return std::make_shared<grammar::TrieVocabulary>(tok, std::move(eos_ids));
}

}  // namespace seek
