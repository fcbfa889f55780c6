// The countdown checker: is an expression a valid way to reach the target with the given numbers?
//
// Rules (chosen deliberately; each is a test case):
//  - Operators + - * / (also ×, ÷, \times, \div, \cdot) and parentheses; whitespace, "$", "\left", "\right"
//    and the minus sign U+2212 are tolerated. Only binary operators: a unary minus or plus is rejected (it would
//    make numbers that were not given), so is implicit multiplication ("2(3+4)").
//  - Every number literal must be one of the given numbers, each given number used at most as often as it was
//    given (at most once); a number not given, a number used too often, digits glued into a new number ("12" from
//    1 and 2) and decimals are invalid. With use_all, every given number must be used.
//  - Evaluation is exact (rationals). Division by zero is invalid. Non-integer intermediate results are allowed
//    (as in the 24 game: 6 / (1 - 3/4) = 24) unless integer_only, which rejects any division with a remainder.
//  - "EXPR = N" (or "N = EXPR") is accepted when N equals the value of EXPR; a false equation is invalid.
//  - The expression is correct when it is valid and its value equals the target.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rl/rational.h"

namespace seek {

struct CountdownRules {
  bool integer_only = false;
  bool use_all = false;
};

struct CountdownResult {
  bool valid = false;
  std::optional<Rational> value;  // when valid
  std::string note;               // why not valid ("number not given: 7", "division by zero", ...)
};

CountdownResult check_countdown(std::string_view expr, const std::vector<int64_t>& numbers,
                                const CountdownRules& rules);

}  // namespace seek
