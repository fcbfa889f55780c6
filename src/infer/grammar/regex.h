// Regular expressions for JSON Schema `pattern` (and the string formats), compiled to a DFA over the UTF-8 bytes
// of the decoded string. Semantics are ECMA-262's with the `u` flag, as JSON Schema validators run them (ajv):
// a search (the pattern may match anywhere unless anchored by a leading ^ / trailing $), `.` is any code point
// but \n \r \u2028 \u2029, \d \w \s and their negations, classes with ranges, groups (capturing, (?:...) and
// (?<name>...)), alternation, the quantifiers * + ? {n} {n,} {n,m} (lazy forms too: same language).
// Anything else (backreferences, lookaround, \b, ^ or $ inside the pattern, flags) is an Error naming it.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace seek::grammar {

struct Dfa {
  std::vector<std::array<int32_t, 256>> next;  // next[state][byte]; -1: no way to a match from there
  std::vector<uint8_t> accept;                 // the bytes so far match
  std::vector<uint32_t> min_to_accept;         // fewest bytes to reach an accepting state
  int32_t start = 0;
};

// `what` names the pattern in messages (e.g. "schema pattern at /properties/id").
Dfa compile_regex(const std::string& pattern, const std::string& what);

}  // namespace seek::grammar
