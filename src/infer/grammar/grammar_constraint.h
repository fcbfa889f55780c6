// A TokenConstraint driven by a Grammar over a TrieVocabulary: mask() walks the token trie depth first, carrying
// the parse state through each byte and skipping every subtree where it dies, so a step costs one byte-step per
// trie node still alive, not vocabulary x token length.
#pragma once
#include <memory>
#include <vector>

#include "infer/constraint.h"
#include "infer/grammar/matcher.h"
#include "infer/grammar/token_trie.h"

namespace seek::grammar {

class GrammarConstraint : public TokenConstraint {
 public:
  GrammarConstraint(std::shared_ptr<const TrieVocabulary> vocab, std::shared_ptr<const Grammar> grammar);

  void mask(float* logits, int64_t vocab) const override;
  void accept(int32_t token) override;
  bool complete() const override;
  bool finished() const override;
  void set_budget(int64_t tokens) override { budget_ = tokens; }

  // The tokens mask() would leave (for tests and benchmarks): allowed[id] = 1.
  void allowed(std::vector<uint8_t>& allowed) const;
  // Feeds raw text (no token boundaries); false (state unchanged) if the grammar refuses it.
  bool accept_text(std::string_view text);
  // Off: every trie node is walked (tests compare the two).
  void set_fast_paths(bool on) { fast_ = on; }

 private:
  bool fits(const std::vector<Config>& set, uint64_t limit) const;
  void walk(std::vector<uint8_t>& ok, bool check_budget) const;

  std::shared_ptr<const TrieVocabulary> vocab_;
  mutable Matcher m_;
  std::vector<Config> state_;
  int64_t budget_ = -1;  // -1: no limit
  uint64_t slack_ = 0;   // a token cannot raise the shortest completion by more than this
  bool fast_ = true;
};

}  // namespace seek::grammar
