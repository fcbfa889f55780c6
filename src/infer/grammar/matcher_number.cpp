// JSON numbers (RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?), with the digit limits
// of NumSpec. Bounded numbers track their value exactly (integer part and fraction digits as integers) and take a
// digit only when some completion still lands in [lo, hi].
//
// Frame: a = phase (bits 0-3) | negative (4) | integer digits (5-9) | fraction digits (10-14) | exponent digits
//        (15-16); x = integer part; y = fraction digits as an integer (bounded numbers only).
#include <algorithm>

#include "infer/grammar/matcher.h"

namespace seek::grammar {

namespace {
enum : uint32_t { kStart, kMinus, kZero, kInt, kDot, kFrac, kE, kESign, kExp };
constexpr uint32_t kIntMax = 20, kFracMax = 20, kExpMax = 2, kBoundedIntMax = 18;

uint32_t phase(const Frame& f) { return f.a & 15; }
bool neg(const Frame& f) { return (f.a >> 4) & 1; }
uint32_t int_digits(const Frame& f) { return (f.a >> 5) & 31; }
uint32_t frac_digits(const Frame& f) { return (f.a >> 10) & 31; }
uint32_t exp_digits(const Frame& f) { return (f.a >> 15) & 3; }
void set(Frame& f, uint32_t ph, bool negative, uint32_t id, uint32_t fd, uint32_t ed) {
  f.a = ph | uint32_t(negative) << 4 | id << 5 | fd << 10 | ed << 15;
}

struct Powers {
  __int128 p[39];
  Powers() {
    p[0] = 1;
    for (int i = 1; i < 39; i++) p[i] = p[i - 1] * 10;
  }
};
const Powers kPowers;
__int128 pow10(int k) { return kPowers.p[k]; }

struct Target {
  __int128 lo, hi;  // magnitudes allowed, scaled; empty when lo > hi
};
Target target(const NumSpec& s, bool negative) {
  if (!negative) return {std::max<__int128>(s.lo, 0), s.hi};
  return {std::max<__int128>(-s.hi, 0), -s.lo};
}

// Some multiple of `step` in [a, b] lies in the target.
bool hits(const Target& t, __int128 a, __int128 b, __int128 step) {
  __int128 lo = std::max(a, t.lo), hi = std::min(b, t.hi);
  if (lo > hi) return false;
  __int128 first = (lo + step - 1) / step * step;
  return first <= hi;
}

// Fewest bytes that finish an integer part `v` of `k` digits (or, with `dot`, a number at "v." with no fraction
// digit yet) into a value of the target; kInf when none.
uint64_t int_rest(const NumSpec& s, const Target& t, __int128 v, uint32_t k, bool dot, bool any = false) {
  const int F = s.frac_max;
  const __int128 S = pow10(F);
  uint64_t best = kInf;
  const uint32_t J = dot || v == 0 ? 0 : kBoundedIntMax - std::min(k, kBoundedIntMax);
  for (uint32_t j = 0; j <= J; j++) {
    const __int128 p = pow10(int(j)), base = v * p * S;
    for (int gd = dot ? 1 : 0; gd <= F; gd++) {
      uint64_t cost = j + (gd ? uint64_t(gd) + (dot ? 0 : 1) : 0);
      if (cost >= best) break;
      const __int128 step = pow10(F - gd);
      const __int128 top = (v * p + p - 1) * S + (pow10(gd) - 1) * step;
      if (hits(t, base, top, step)) {
        best = cost;
        if (any) return best;
      }
    }
  }
  return best;
}

uint64_t frac_rest(const NumSpec& s, const Target& t, __int128 v, __int128 f, uint32_t fd) {
  const int F = s.frac_max;
  const __int128 base = v * pow10(F) + f * pow10(F - int(fd));
  for (int gd = 0; gd <= F - int(fd); gd++) {
    const __int128 step = pow10(F - int(fd) - gd);
    if (hits(t, base, base + (pow10(gd) - 1) * step, step)) return uint64_t(gd);
  }
  return kInf;
}

uint64_t after_sign(const NumSpec& s, bool negative) {
  Target t = target(s, negative);
  if (t.lo > t.hi) return kInf;
  uint64_t best = kInf;
  for (int d = 0; d <= 9; d++) best = std::min(best, 1 + int_rest(s, t, d, 1, false));
  return best;
}
}  // namespace

uint64_t num_start_min(const NumSpec& s) {
  if (!s.bounded) return 1;
  return std::min(after_sign(s, false), 1 + after_sign(s, true));
}

uint64_t num_min_rest(const NumSpec& s, const Frame& f, bool any) {
  const uint32_t ph = phase(f);
  if (!s.bounded) {
    switch (ph) {
      case kZero:
      case kInt:
      case kFrac:
      case kExp: return 0;
      default: return 1;
    }
  }
  const Target t = target(s, neg(f));
  switch (ph) {
    case kStart: return num_start_min(s);
    case kMinus: return after_sign(s, true);
    case kZero:
    case kInt: return int_rest(s, t, __int128(f.x), int_digits(f), false, any);
    case kDot: return int_rest(s, t, __int128(f.x), int_digits(f), true, any);
    case kFrac: return frac_rest(s, t, __int128(f.x), __int128(f.y), frac_digits(f));
    default: return kInf;
  }
}

bool Matcher::step_num(Config& c, int byte, std::vector<Config>& out) {
  const NumSpec& s = grammar_->nodes[c.top.node].num;
  Frame& f = c.top;
  const uint32_t ph = phase(f), id = int_digits(f), fd = frac_digits(f), ed = exp_digits(f);
  const bool minus = neg(f), digit = byte >= '0' && byte <= '9';
  const uint64_t d = digit ? uint64_t(byte - '0') : 0;
  const bool exp_ok = !s.integer && !s.bounded;
  const uint32_t int_max = s.bounded ? kBoundedIntMax : kIntMax;
  const uint32_t frac_max = s.bounded ? uint32_t(s.frac_max) : (s.integer ? 0 : kFracMax);
  Frame n = f;
  bool took = true;
  if ((ph == kStart || ph == kMinus) && digit) {
    set(n, d == 0 ? kZero : kInt, minus, 1, 0, 0);
    n.x = d;
  } else if (ph == kStart && byte == '-') {
    set(n, kMinus, true, 0, 0, 0);
  } else if (ph == kInt && digit && id < int_max) {
    set(n, kInt, minus, id + 1, 0, 0);
    n.x = f.x * 10 + d;
  } else if ((ph == kZero || ph == kInt) && byte == '.' && frac_max > 0) {
    set(n, kDot, minus, id, 0, 0);
  } else if ((ph == kDot || ph == kFrac) && digit && fd < frac_max) {
    set(n, kFrac, minus, id, fd + 1, 0);
    n.y = f.y * 10 + d;
  } else if ((ph == kZero || ph == kInt || ph == kFrac) && (byte == 'e' || byte == 'E') && exp_ok) {
    set(n, kE, minus, id, fd, 0);
  } else if (ph == kE && (byte == '+' || byte == '-')) {
    set(n, kESign, minus, id, fd, 0);
  } else if ((ph == kE || ph == kESign || ph == kExp) && digit && ed < kExpMax) {
    set(n, kExp, minus, id, fd, ed + 1);
  } else {
    took = false;
  }
  if (took && (!s.bounded || num_min_rest(s, n, true) < kInf)) {
    c.top = n;
    emit(c, out);
    // A number that could also end here never competes with its continuation: what follows a number in this
    // grammar never starts with a digit, '.', 'e', 'E', '+' or '-'.
    return false;
  }
  if (num_min_rest(s, f) != 0) return false;
  c = pop(c);
  return true;
}

}  // namespace seek::grammar
