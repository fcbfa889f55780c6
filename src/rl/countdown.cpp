#include "rl/countdown.h"

#include <algorithm>
#include <map>

namespace seek {

namespace {

struct Invalid {
  std::string why;
};

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

std::string normalize(std::string_view in) {
  std::string s(in);
  for (auto [from, to] :
       std::initializer_list<std::pair<std::string_view, std::string_view>>{{"\xE2\x88\x92", "-"},  // U+2212
                                                                            {"\xC3\x97", "*"},      // ×
                                                                            {"\xC3\xB7", "/"},      // ÷
                                                                            {"\\times", "*"},
                                                                            {"\\cdot", "*"},
                                                                            {"\\div", "/"},
                                                                            {"\\left", ""},
                                                                            {"\\right", ""},
                                                                            {"\\,", ""},
                                                                            {"\\!", ""},
                                                                            {"$", ""}})
    replace_all(s, from, to);
  return s;
}

// Recursive descent over expr := term (('+'|'-') term)*, term := factor (('*'|'/') factor)*,
// factor := NUMBER | '(' expr ')'.
class Parser {
 public:
  Parser(std::string_view s, bool integer_only) : s_(s), integer_only_(integer_only) {}

  Rational parse_all() {
    Rational v = expr();
    ws();
    if (p_ != s_.size()) throw Invalid{"unexpected '" + std::string(1, s_[p_]) + "'"};
    return v;
  }
  const std::vector<int64_t>& literals() const { return literals_; }

 private:
  void ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r')) p_++;
  }
  char peek() {
    ws();
    return p_ < s_.size() ? s_[p_] : '\0';
  }
  Rational combine(const Rational& a, char op, const Rational& b) {
    if (op == '/' && b.num() == 0) throw Invalid{"division by zero"};
    Rational r = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b;
    if (integer_only_ && !r.is_integer()) throw Invalid{"non-integer intermediate result: " + r.str()};
    return r;
  }
  Rational expr() {
    Rational v = term();
    for (char c; (c = peek()) == '+' || c == '-';) {
      p_++;
      v = combine(v, c, term());
    }
    return v;
  }
  Rational term() {
    Rational v = factor();
    for (char c; (c = peek()) == '*' || c == '/';) {
      p_++;
      v = combine(v, c, factor());
    }
    return v;
  }
  Rational factor() {
    char c = peek();
    if (c == '(') {
      p_++;
      Rational v = expr();
      if (peek() != ')') throw Invalid{"unbalanced parentheses"};
      p_++;
      return v;
    }
    if (c == '-' || c == '+') throw Invalid{std::string("unary ") + c + " is not allowed"};
    if (c < '0' || c > '9') throw Invalid{c ? "unexpected '" + std::string(1, c) + "'" : "incomplete expression"};
    size_t b = p_;
    while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') p_++;
    if (p_ < s_.size() && (s_[p_] == '.' || s_[p_] == ',')) throw Invalid{"only whole numbers are allowed"};
    if (p_ - b > 15) throw Invalid{"number not given: " + std::string(s_.substr(b, p_ - b))};
    int64_t n = std::stoll(std::string(s_.substr(b, p_ - b)));
    if (peek() == '(') throw Invalid{"implicit multiplication is not allowed"};
    literals_.push_back(n);
    return Rational(n);
  }

  std::string_view s_;
  size_t p_ = 0;
  bool integer_only_;
  std::vector<int64_t> literals_;
};

bool is_plain_integer(std::string_view s, int64_t& out) {
  size_t b = s.find_first_not_of(" \t\n\r"), e = s.find_last_not_of(" \t\n\r");
  if (b == std::string_view::npos) return false;
  std::string_view t = s.substr(b, e - b + 1);
  bool neg = !t.empty() && t[0] == '-';
  if (neg) t.remove_prefix(1);
  if (t.empty() || t.size() > 15 || t.find_first_not_of("0123456789") != std::string_view::npos) return false;
  out = std::stoll(std::string(t)) * (neg ? -1 : 1);
  return true;
}

void check_numbers(const std::vector<int64_t>& used, const std::vector<int64_t>& numbers, bool use_all) {
  std::map<int64_t, int> left;
  for (int64_t n : numbers) left[n]++;
  for (int64_t u : used) {
    auto it = left.find(u);
    if (it == left.end()) throw Invalid{"number not given: " + std::to_string(u)};
    if (it->second == 0) throw Invalid{"number used too often: " + std::to_string(u)};
    it->second--;
  }
  if (use_all)
    for (auto& [n, k] : left)
      if (k > 0) throw Invalid{"number not used: " + std::to_string(n)};
}

}  // namespace

CountdownResult check_countdown(std::string_view expr_in, const std::vector<int64_t>& numbers,
                                const CountdownRules& rules) {
  CountdownResult r;
  std::string s = normalize(expr_in);
  try {
    std::optional<int64_t> claimed;
    std::string expr = s;
    if (size_t eq = s.find('='); eq != std::string::npos) {
      if (s.find('=', eq + 1) != std::string::npos) throw Invalid{"more than one '='"};
      std::string lhs = s.substr(0, eq), rhs = s.substr(eq + 1);
      int64_t n = 0;
      if (is_plain_integer(rhs, n)) {
        expr = lhs;
      } else if (is_plain_integer(lhs, n)) {
        expr = rhs;
      } else {
        throw Invalid{"'=' must separate the expression from a number"};
      }
      claimed = n;
    }
    Parser p(expr, rules.integer_only);
    Rational v = p.parse_all();
    check_numbers(p.literals(), numbers, rules.use_all);
    if (claimed && Rational(*claimed) != v) throw Invalid{"false equation: the expression is " + v.str()};
    r.valid = true;
    r.value = v;
    r.note = "ok";
  } catch (const Invalid& e) {
    r.note = e.why;
  } catch (const RationalError& e) {
    r.note = e.what();
  }
  return r;
}

}  // namespace seek
