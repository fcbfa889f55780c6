// json_constraint: the JSON grammar (response_format json_object) or a compiled JSON Schema (json_schema) over a
// token trie. See src/infer/grammar/ for the grammar engine, the schema subset and the masking walk.
#include "infer/constraint.h"

#include "core/error.h"
#include "infer/grammar/grammar_constraint.h"
#include "infer/grammar/schema.h"

namespace seek {

namespace {
std::shared_ptr<const grammar::TrieVocabulary> trie_of(const std::shared_ptr<const TokenVocabulary>& vocab) {
  auto trie = std::dynamic_pointer_cast<const grammar::TrieVocabulary>(vocab);
  if (!trie) throw Error("constrained decoding needs a vocabulary made by TokenVocabulary::build");
  return trie;
}
}  // namespace

std::unique_ptr<TokenConstraint> json_constraint(std::shared_ptr<const TokenVocabulary> vocab,
                                                 const nlohmann::ordered_json* schema) {
  auto g = std::make_shared<grammar::Grammar>();
  if (schema) {
    g->root = grammar::compile_schema(*g, *schema);
  } else {  // json_object: a top-level object with any members
    g->root = g->nodes[g->any_json()].kids[0];
  }
  g->finalize(schema ? "the JSON schema" : "the JSON grammar");
  return std::make_unique<grammar::GrammarConstraint>(trie_of(vocab), std::move(g));
}

std::unique_ptr<TokenConstraint> json_constraint(std::shared_ptr<const TokenVocabulary> vocab,
                                                 const nlohmann::json* schema) {
  if (!schema) return json_constraint(std::move(vocab), static_cast<const nlohmann::ordered_json*>(nullptr));
  nlohmann::ordered_json ordered;
  try {
    ordered = nlohmann::ordered_json::parse(schema->dump());
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("the JSON schema: ") + e.what());
  }
  return json_constraint(std::move(vocab), &ordered);
}

}  // namespace seek
