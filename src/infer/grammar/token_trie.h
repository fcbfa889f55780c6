// The concrete TokenVocabulary: every token that may appear inside constrained text (not special, not an
// end-of-sequence id, not empty) in a trie over its bytes, laid out in preorder so a pruned subtree is skipped by
// one jump. Special tokens are kept aside: a grammar asks for one by id (a Tok node).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "infer/constraint.h"

namespace seek::grammar {

class TrieVocabulary : public TokenVocabulary {
 public:
  struct Node {
    uint8_t byte;        // the byte on the edge into this node (root: unused)
    uint8_t depth;       // root 0
    uint32_t end;        // first node after this subtree
    uint32_t first_tok;  // tokens ending here: tok_ids[first_tok, last_tok)
    uint32_t last_tok;
    uint32_t sub_begin = 0, sub_end = 0;  // tokens of the whole subtree: tok_ids[sub_begin, sub_end)
    bool plain = false;                   // every token of the subtree is plain string text (see below)
    uint32_t max_cps = 0;                 // the most code points of a token in the subtree
  };

  TrieVocabulary(const Tokenizer& tok, std::vector<int32_t> eos_ids);

  std::vector<Node> nodes;       // nodes[0] is the root
  std::vector<int32_t> tok_ids;  // token ids in trie order
  std::vector<int32_t> eos_ids;
  std::vector<uint8_t> in_trie;  // per id: 1 when the token's bytes are in the trie
  int32_t vocab_size = 0;
  size_t max_depth = 0;
  Tokenizer tokenizer;

  std::string_view bytes(int32_t id) const { return tokenizer.token_bytes(id); }
  bool is_eos(int32_t id) const;
  // The id of the token whose text is exactly `text` (added and special tokens first), or -1.
  int32_t find(std::string_view text) const { return tokenizer.token_id(text); }

 private:
  void close(uint32_t node);
  void mark_plain();
};

}  // namespace seek::grammar
