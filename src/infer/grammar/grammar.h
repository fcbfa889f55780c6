// A grammar over bytes for JSON-shaped output: a graph of nodes (ids into Grammar::nodes; cycles allowed, for
// recursive schemas), built by the JSON Schema compiler and the tool-call syntaxes and run by Matcher.
//
// Node kinds and the text each one matches:
//   Lit  the bytes `text` exactly                  Tok  the single token `token` (its text is `text`)
//   Seq  kids[0] kids[1] ...                       Alt  one of kids (nondeterministic)
//   Ws   "" | " " | "\n" [ \t]{0,20}               Str  a JSON string (quotes included), see StrSpec
//   Num  a JSON number, see NumSpec                Arr  "[" ws item (ws "," ws item)* ws "]", see below
//   Obj  "{" ws member (ws "," ws member)* ws "}", member = key ws ":" ws value, see below
// Arrays: item i is kids[i] (prefixItems) and after those `item` (kNone: no more items), between min_items and
// max_items of them. Objects: the declared properties in their order, each optional one may be skipped; then, when
// `add_key` is set, further members whose keys (matched by the Str node add_key, which excludes the declared
// names) have values matching `additional`.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "infer/grammar/regex.h"

namespace seek::grammar {

constexpr uint32_t kNone = 0xFFFFFFFFu;
constexpr uint64_t kInf = ~uint64_t(0) >> 2;  // "no completion": an unsatisfiable node

enum class Kind : uint8_t { Lit, Tok, Seq, Alt, Ws, Str, Num, Arr, Obj };

struct StrSpec {
  uint32_t min_len = 0, max_len = kNone;  // in code points, as JSON Schema counts them
  int32_t dfa = -1;                       // Grammar::dfas index: the decoded text must match it (pattern/format)
  int32_t exclude = -1;                   // Grammar::key_sets index: the decoded text must not be one of these
};

// Numbers. Unbounded: at most 20 integer digits, 20 fraction digits and 2 exponent digits (so every number stays
// finite as a double). Bounded (any of minimum/maximum): no exponent, at most 18 integer and `frac_max` fraction
// digits, and the value lies in [lo, hi] where both are scaled by 10^frac_max (exact integer arithmetic).
struct NumSpec {
  bool integer = false;
  bool bounded = false;
  int frac_max = 0;  // bounded only: 0 for integers, else 15
  __int128 lo = 0, hi = 0;
};

struct Prop {
  uint32_t key;    // a Lit node: the quoted, escaped name
  uint32_t value;  // the value's node
  bool required;
};

struct Node {
  Kind kind = Kind::Lit;
  std::string text;            // Lit: bytes; Tok: the token's text (for messages and min length)
  int32_t token = -1;          // Tok: token id
  std::vector<uint32_t> kids;  // Seq, Alt; Arr: prefix items
  uint32_t item = kNone;       // Arr: items after the prefix
  uint32_t min_items = 0, max_items = kNone;
  std::vector<Prop> props;         // Obj
  std::vector<uint32_t> next_req;  // Obj: next_req[i] = first required property index >= i (or props.size())
  uint32_t additional = kNone;     // Obj: node for values of other keys
  uint32_t add_key = kNone;        // Obj: Str node for other keys
  bool depth_limited = false;      // Arr/Obj of free-form JSON: will not open when nested too deeply
  StrSpec str;
  NumSpec num;
};

// A list of byte strings as a trie: node 0 is the root; terminal nodes end a string.
struct KeySet {
  struct TrieNode {
    std::array<uint32_t, 256> next;
    bool terminal = false;
  };
  std::vector<TrieNode> nodes;
  void add(const std::string& s);
};

struct Grammar {
  std::vector<Node> nodes;
  std::vector<Dfa> dfas;
  std::vector<KeySet> key_sets;
  uint32_t root = kNone;
  std::vector<uint64_t> min_units;  // finalize(): shortest completion of each node (bytes; a Tok counts 1)
  std::vector<int32_t> tokens;      // finalize(): every Tok id in the grammar

  uint32_t add(Node n);
  uint32_t lit(std::string bytes);
  uint32_t tok(int32_t id, std::string text);
  uint32_t seq(std::vector<uint32_t> kids);
  uint32_t alt(std::vector<uint32_t> kids);
  uint32_t ws();
  uint32_t str(StrSpec spec = {});
  uint32_t num(NumSpec spec = {});
  uint32_t any_json();  // any JSON value (free-form containers depth-limited); one shared node per grammar

  // Computes min_units and tokens, drops unsatisfiable alternatives, checks that no cycle of nodes can be walked
  // without consuming a byte (left recursion). Throws Error when the root is unsatisfiable or left-recursive;
  // `what` names the grammar in messages.
  void finalize(const std::string& what);
  uint32_t ws_id() const { return ws_; }  // the shared Ws node (set by finalize)

 private:
  uint32_t any_ = kNone, ws_ = kNone;
};

}  // namespace seek::grammar
