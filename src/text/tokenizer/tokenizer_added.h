// Added tokens (special and user-added) of a tokenizer, and the matcher that finds them in text before any other
// processing. Matching follows the reference: leftmost-longest over all added tokens at once, scanning on after
// each match; a match of a special token that is not allowed, or of a single_word token inside a word, is
// passed over (its text stays ordinary text and is not searched again); lstrip/rstrip tokens absorb the
// whitespace next to them.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer/pretokenize_regex.h"

namespace seek {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;  // matched against normalized text rather than the raw input
};

class AddedTokenMatcher {
 public:
  // `patterns[i]` is the text that finds `tokens[i]` (its content, normalized for normalized tokens).
  void build(std::vector<AddedToken> tokens, const std::vector<std::string>& patterns);
  bool empty() const { return tokens_.empty(); }

  // Cuts text at the added tokens: on_text(view) for the text between them (never empty), on_token(id) for each
  // token. scratch is used only by single_word tokens.
  template <class OnText, class OnToken>
  void split(std::string_view text, bool allow_special, RegexScratch& scratch, OnText&& on_text,
             OnToken&& on_token) const {
    size_t start = 0, pos = 0;
    size_t b, e;
    int32_t k;
    while (find(text, pos, b, e, k)) {
      pos = e;
      const AddedToken& t = tokens_[size_t(k)];
      if (t.special && !allow_special) continue;
      if (t.single_word && !is_single_word(text, b, e, scratch)) continue;
      if (t.lstrip) b = std::max(start, whitespace_before(text, b));
      if (t.rstrip) e = whitespace_after(text, e);
      if (start < b) on_text(text.substr(start, b - start));
      on_token(t.id);
      start = e;
    }
    if (start < text.size()) on_text(text.substr(start));
  }

 private:
  struct Node {
    uint32_t first_edge = 0, edge_count = 0;
    int32_t token = -1;  // index into tokens_ of the token ending here
  };
  struct Edge {
    uint8_t byte;
    uint32_t child;
  };
  // Leftmost-longest match starting at or after pos.
  bool find(std::string_view text, size_t pos, size_t& b, size_t& e, int32_t& token) const;
  bool is_single_word(std::string_view text, size_t b, size_t e, RegexScratch& scratch) const;
  static size_t whitespace_before(std::string_view text, size_t b);
  static size_t whitespace_after(std::string_view text, size_t e);

  std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;  // nodes_[0] is the root
  std::vector<Edge> edges_;  // each node's edges are contiguous and sorted by byte
  std::array<bool, 256> can_start_{};
  Regex word_char_;  // one word character, for single_word tokens
};

}  // namespace seek
