// Constrained decoding: a grammar over the generated text decides, before each token is sampled, which tokens may
// come next, so the output is valid by construction (response_format json_object / json_schema, forced tool
// calls) instead of by hoping. Used by the generation session and the server's scheduler:
//   constraint.mask(logits, V);  id = sampler.sample(logits, ...);  constraint.accept(id);
// and a sequence may end (an end-of-sequence id is allowed) only when constraint.complete().
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/tokenizer/tokenizer.h"

namespace seek {

// The byte strings of a tokenizer's tokens, indexed for fast masking (a trie over token bytes). Built once per
// model (it walks the whole vocabulary) and shared, read-only, by every constraint over that model.
class TokenVocabulary {
 public:
  // eos_ids: the ids that end a generation; they are allowed exactly when the constraint is complete.
  // Special tokens other than those are never allowed inside constrained output.
  static std::shared_ptr<const TokenVocabulary> build(const Tokenizer& tok, std::vector<int32_t> eos_ids);
  virtual ~TokenVocabulary() = default;
};

class TokenConstraint {
 public:
  virtual ~TokenConstraint() = default;
  // Sets logits[id] = -inf for every id in [0, vocab) whose bytes cannot extend the output so far toward a valid
  // one (end-of-sequence ids: unless complete()). Never masks every token: a state with no way forward is a bug.
  virtual void mask(float* logits, int64_t vocab) const = 0;
  // Advances past a sampled token. Throws Error for a token mask() would have removed.
  virtual void accept(int32_t token) = 0;
  // The output so far is a complete, valid document: stopping here is allowed.
  virtual bool complete() const = 0;
  // Nothing but an end-of-sequence id can follow (the scheduler may stop without sampling).
  virtual bool finished() const = 0;
  // Optional: how many more tokens may be generated, the next one included (counts down by itself on accept()).
  // mask() then also removes every token after which the output could no longer be completed in time, so a
  // generation that runs into its max_tokens still ends in a complete, valid document. Default: no limit.
  virtual void set_budget(int64_t tokens) { (void)tokens; }
};

// Any single JSON value whose top level is an object (OpenAI's response_format {"type": "json_object"}), or, with
// `schema`, a JSON value valid against that JSON Schema (response_format json_schema). Supported schema keywords
// are listed in src/infer/grammar/schema.h; an unsupported keyword is an Error naming it (never silently
// ignored). Leading whitespace is not allowed; insignificant whitespace inside is limited so output stays bounded.
std::unique_ptr<TokenConstraint> json_constraint(std::shared_ptr<const TokenVocabulary> vocab,
                                                 const nlohmann::json* schema = nullptr);
// The same, keeping the schema's key order: properties are generated in the order the schema lists them (an
// nlohmann::json object sorts its keys, so the overload above generates them alphabetically).
std::unique_ptr<TokenConstraint> json_constraint(std::shared_ptr<const TokenVocabulary> vocab,
                                                 const nlohmann::ordered_json* schema);

}  // namespace seek
