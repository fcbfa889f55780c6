// The parsed form of a pattern (regex.h): code point sets, concatenation, alternation and bounded repetition.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace seek::grammar {

using CpRanges = std::vector<std::pair<uint32_t, uint32_t>>;  // sorted, disjoint, inclusive

struct ReNode {
  enum Kind { Set, Cat, Alt, Rep } kind = Cat;  // an empty Cat matches ""
  CpRanges set;
  std::vector<ReNode> kids;
  uint32_t min = 0, max = 0;  // Rep; max == kUnbounded for no limit
};
constexpr uint32_t kUnbounded = 0xFFFFFFFFu;

struct ParsedRegex {
  ReNode root;
  bool anchored_start = false, anchored_end = false;
};

ParsedRegex parse_regex(const std::string& pattern, const std::string& what);
CpRanges normalize(CpRanges r);          // sorts and merges
CpRanges complement(const CpRanges& r);  // within the scalar values (no surrogates)
CpRanges all_code_points();              // every scalar value

}  // namespace seek::grammar
