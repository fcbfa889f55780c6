// Exact rational numbers for answer checking: p / q in lowest terms with q > 0, 64-bit numerator and denominator,
// every operation computed in 128 bits and checked. Used where floating point would make the checker lie: numeric
// equivalence of answers (0.75 = 3/4 exactly, 0.33 != 1/3) and countdown expressions (evaluated exactly).
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace seek {

// Division by zero, or a result that does not fit 64 bits. Not a seek::Error: checkers catch it and grade the
// answer as invalid, it never reaches the user.
class RationalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Rational {
 public:
  Rational() = default;
  Rational(int64_t n) : num_(n) {}     // NOLINT: integers convert
  Rational(int64_t num, int64_t den);  // throws RationalError if den == 0

  int64_t num() const { return num_; }
  int64_t den() const { return den_; }
  bool is_integer() const { return den_ == 1; }

  // "7", "-5", "3/4" (lowest terms, sign on the numerator).
  std::string str() const;

  // A decimal literal: digits with an optional fraction ("12", "12.50", ".5", "5."), no sign, no separators.
  // nullopt if it is anything else or too large.
  static std::optional<Rational> parse_decimal(std::string_view s);

  friend Rational operator+(const Rational& a, const Rational& b);
  friend Rational operator-(const Rational& a, const Rational& b);
  friend Rational operator*(const Rational& a, const Rational& b);
  friend Rational operator/(const Rational& a, const Rational& b);  // RationalError on b == 0
  friend Rational operator-(const Rational& a);
  friend bool operator==(const Rational& a, const Rational& b) { return a.num_ == b.num_ && a.den_ == b.den_; }
  friend bool operator!=(const Rational& a, const Rational& b) { return !(a == b); }
  friend bool operator<(const Rational& a, const Rational& b);

 private:
  static Rational make(__int128 num, __int128 den);  // reduces, checks the range
  int64_t num_ = 0, den_ = 1;
};

}  // namespace seek
