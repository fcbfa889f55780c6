#include "rl/rational.h"

#include <limits>

namespace seek {

namespace {
__int128 gcd128(__int128 a, __int128 b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b != 0) {
    __int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}
constexpr __int128 kMax = std::numeric_limits<int64_t>::max();
}  // namespace

Rational::Rational(int64_t num, int64_t den) { *this = make(num, den); }

Rational Rational::make(__int128 num, __int128 den) {
  if (den == 0) throw RationalError("division by zero");
  if (den < 0) num = -num, den = -den;
  __int128 g = gcd128(num, den);
  if (g > 1) num /= g, den /= g;
  if (num > kMax || num < -kMax || den > kMax) throw RationalError("number too large");
  Rational r;
  r.num_ = int64_t(num);
  r.den_ = int64_t(den);
  return r;
}

std::string Rational::str() const {
  return den_ == 1 ? std::to_string(num_) : std::to_string(num_) + "/" + std::to_string(den_);
}

std::optional<Rational> Rational::parse_decimal(std::string_view s) {
  __int128 num = 0, den = 1;
  bool digits = false, dot = false;
  for (char c : s) {
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    digits = true;
    num = num * 10 + (c - '0');
    if (dot) den *= 10;
    if (num > kMax * 1000 || den > kMax) return std::nullopt;  // far beyond any answer; keeps 128 bits safe
  }
  if (!digits) return std::nullopt;
  try {
    return make(num, den);
  } catch (const RationalError&) {
    return std::nullopt;
  }
}

// Products of two 64-bit values fit in 128 bits; sums of two such products too.
Rational operator+(const Rational& a, const Rational& b) {
  return Rational::make(__int128(a.num_) * b.den_ + __int128(b.num_) * a.den_, __int128(a.den_) * b.den_);
}
Rational operator-(const Rational& a, const Rational& b) {
  return Rational::make(__int128(a.num_) * b.den_ - __int128(b.num_) * a.den_, __int128(a.den_) * b.den_);
}
Rational operator*(const Rational& a, const Rational& b) {
  return Rational::make(__int128(a.num_) * b.num_, __int128(a.den_) * b.den_);
}
Rational operator/(const Rational& a, const Rational& b) {
  if (b.num_ == 0) throw RationalError("division by zero");
  return Rational::make(__int128(a.num_) * b.den_, __int128(a.den_) * b.num_);
}
Rational operator-(const Rational& a) { return Rational::make(-__int128(a.num_), a.den_); }
bool operator<(const Rational& a, const Rational& b) { return __int128(a.num_) * b.den_ < __int128(b.num_) * a.den_; }

}  // namespace seek
