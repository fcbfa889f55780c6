#include "rl/answer.h"

#include <algorithm>
#include <cctype>

namespace seek {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

// Position of the '}' matching the '{' at s[open], or npos.
size_t matching_brace(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); i++) {
    if (s[i] == '{') depth++;
    if (s[i] == '}' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// Replaces every `cmd{X}` (optional spaces before the brace) by X.
void unwrap_command(std::string& s, std::string_view cmd) {
  size_t from = 0;
  for (size_t p; (p = s.find(cmd, from)) != std::string::npos;) {
    size_t q = p + cmd.size();
    while (q < s.size() && s[q] == ' ') q++;
    size_t close = q < s.size() && s[q] == '{' ? matching_brace(s, q) : std::string::npos;
    if (close == std::string::npos) {
      from = p + 1;
      continue;
    }
    s = s.substr(0, p) + s.substr(q + 1, close - q - 1) + s.substr(close + 1);
    from = p;
  }
}

// "1,234,567.5" (proper groups of three) or "1234.5" -> the digits without separators; nullopt if malformed.
std::optional<Rational> grouped_decimal(std::string_view s) {
  size_t dot = s.find('.');
  std::string_view ip = s.substr(0, dot);
  std::string plain;
  if (ip.find(',') != std::string_view::npos) {
    size_t first = ip.find(',');
    if (first == 0 || first > 3) return std::nullopt;
    for (size_t i = first; i < ip.size(); i += 4)
      if (ip[i] != ',' || i + 4 > ip.size() || ip.substr(i + 1, 3).find(',') != std::string_view::npos)
        return std::nullopt;
    for (char c : ip)
      if (c != ',') plain += c;
  } else {
    plain = std::string(ip);
  }
  if (dot != std::string_view::npos) {
    std::string_view frac = s.substr(dot);
    if (frac.find(',') != std::string_view::npos) return std::nullopt;
    plain += frac;
  }
  return Rational::parse_decimal(plain);
}

struct Cursor {
  std::string_view s;
  size_t p = 0;
  void ws() {
    while (p < s.size() && is_space(s[p])) p++;
  }
  bool eat(std::string_view t) {
    if (s.substr(p, t.size()) != t) return false;
    p += t.size();
    return true;
  }
  // digits, commas and dots, then validated
  std::optional<Rational> decimal() {
    size_t b = p;
    while (p < s.size() && (is_digit(s[p]) || s[p] == ',' || s[p] == '.')) p++;
    while (p > b && s[p - 1] == ',') p--;  // a trailing comma belongs to the sentence
    if (p == b) return std::nullopt;
    return grouped_decimal(s.substr(b, p - b));
  }
  std::optional<Rational> signed_decimal() {
    ws();
    bool neg = eat("-");
    if (!neg) eat("+");
    ws();
    auto v = decimal();
    ws();
    if (v && neg) return -*v;
    return v;
  }
  // {signed decimal}
  std::optional<Rational> braced() {
    ws();
    if (!eat("{")) return std::nullopt;
    auto v = signed_decimal();
    if (!v || !eat("}")) return std::nullopt;
    return v;
  }
};

std::optional<Rational> parse_value(Cursor& c) {
  for (std::string_view f : {"\\dfrac", "\\tfrac", "\\frac"}) {
    if (!c.eat(f)) continue;
    auto a = c.braced(), b = c.braced();
    if (!a || !b || b->num() == 0) return std::nullopt;
    return *a / *b;
  }
  auto a = c.decimal();
  if (!a) return std::nullopt;
  size_t save = c.p;
  c.ws();
  if (c.eat("/")) {
    c.ws();
    auto b = c.decimal();
    if (!b || b->num() == 0) return std::nullopt;
    return *a / *b;
  }
  c.p = save;
  return a;
}

// Whatever follows a number: nothing, or a unit made of letters (no digits: "5 - 3" is not the number 5).
bool is_unit(std::string_view rest) {
  std::string t = trim(rest);
  if (t.empty()) return true;
  if (!is_alpha(t[0])) return false;
  for (char c : t)
    if (!(is_alpha(c) || c == ' ' || c == '/' || c == '.' || c == '-' || c == '\'')) return false;
  return true;
}

std::string text_key(std::string_view answer) {
  std::string s = clean_answer(answer), out;
  bool space = false;
  for (char c : s) {
    if (is_space(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += char(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) b++;
  while (e > b && is_space(s[e - 1])) e--;
  return std::string(s.substr(b, e - b));
}

std::string_view answer_region(std::string_view completion, bool started_in_think) {
  size_t close = completion.rfind("</think>");
  if (close != std::string_view::npos) return completion.substr(close + 8);
  if (started_in_think || completion.find("<think>") != std::string_view::npos) return {};
  return completion;
}

std::vector<std::string> find_answer_tags(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t close; (close = text.find("</answer>", pos)) != std::string_view::npos; pos = close + 9) {
    size_t open = text.substr(0, close).rfind("<answer>");
    if (open == std::string_view::npos || open < pos) continue;  // a closing tag without its opening one
    out.emplace_back(text.substr(open + 8, close - open - 8));
  }
  return out;
}

std::vector<std::string> find_boxed(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t a = text.find("\\boxed", pos), b = text.find("\\fbox", pos);
    size_t at = std::min(a, b);
    if (at == std::string_view::npos) break;
    size_t q = at + (at == a ? 6 : 5);
    while (q < text.size() && is_space(text[q])) q++;
    size_t close = q < text.size() && text[q] == '{' ? matching_brace(text, q) : std::string_view::npos;
    if (close == std::string_view::npos) {
      pos = at + 1;
      continue;
    }
    out.emplace_back(text.substr(q + 1, close - q - 1));
    pos = close + 1;
  }
  return out;
}

std::optional<std::string> find_last_number(std::string_view s) {
  std::optional<std::string> last;
  size_t i = 0;
  while (i < s.size()) {
    if (!is_digit(s[i])) {
      i++;
      continue;
    }
    size_t b = i, j = i;
    while (j < s.size() && is_digit(s[j])) j++;
    if (j - b <= 3)  // thousands groups: ",ddd" not followed by another digit
      while (j + 3 < s.size() && s[j] == ',' && is_digit(s[j + 1]) && is_digit(s[j + 2]) && is_digit(s[j + 3]) &&
             (j + 4 >= s.size() || !is_digit(s[j + 4])))
        j += 4;
    if (j + 1 < s.size() && s[j] == '.' && is_digit(s[j + 1]))
      for (j++; j < s.size() && is_digit(s[j]);) j++;
    if (j + 1 < s.size() && s[j] == '/' && is_digit(s[j + 1]))
      for (j++; j < s.size() && is_digit(s[j]);) j++;
    std::string num(s.substr(b, j - b));
    // a minus sign that is not a binary minus (nothing number-like right before it)
    auto sign_ok = [&](size_t k) {
      return k == 0 || !(std::isalnum(static_cast<unsigned char>(s[k - 1])) || s[k - 1] == ')');
    };
    size_t k = b;
    while (k > 0 && s[k - 1] == ' ') k--;
    if (k > 0 && s[k - 1] == '-' && sign_ok(k - 1))
      num = "-" + num;
    else if (k >= 3 && s.substr(k - 3, 3) == "\xE2\x88\x92" && sign_ok(k - 3))
      num = "-" + num;
    last = num;
    i = j;
  }
  return last;
}

Candidates find_candidates(std::string_view region, const AnswerRules& rules) {
  Candidates c;
  auto add = [&](std::string_view s) {
    std::string t = trim(s);
    if (!t.empty()) c.answers.push_back(t);
  };
  for (const std::string& tag : find_answer_tags(region)) {
    std::vector<std::string> boxed = find_boxed(tag);
    if (boxed.empty()) add(tag);
    for (const std::string& b : boxed) add(b);
  }
  if (!c.answers.empty()) return c.source = "answer", c;
  for (const std::string& b : find_boxed(region)) add(b);
  if (!c.answers.empty()) return c.source = "boxed", c;
  for (size_t p = region.find("####"); p != std::string_view::npos; p = region.find("####", p + 4)) {
    size_t e = region.find('\n', p);
    add(region.substr(p + 4, e == std::string_view::npos ? std::string_view::npos : e - p - 4));
  }
  if (!c.answers.empty()) return c.source = "####", c;
  if (rules.last_number)
    if (auto n = find_last_number(region)) {
      c.answers.push_back(*n);
      return c.source = "last_number", c;
    }
  c.source = "none";
  return c;
}

std::string clean_answer(std::string_view answer) {
  std::string s(answer);
  replace_all(s, "\xE2\x88\x92", "-");  // U+2212 MINUS SIGN
  for (std::string_view cmd : {"\\text", "\\textbf", "\\textrm", "\\mathrm", "\\mathbf", "\\mbox", "\\boxed"})
    unwrap_command(s, cmd);
  for (std::string_view junk : {"\\left", "\\right", "\\displaystyle", "\\!", "\\,", "\\;", "\\:", "\\ ", "~",
                                "^{\\circ}", "^\\circ", "\xC2\xB0", "\\$", "$", "\xE2\x82\xAC", "\xC2\xA3"})
    replace_all(s, junk, "");
  replace_all(s, "{,}", ",");
  replace_all(s, "\\%", "%");
  s = trim(s);
  if (size_t eq = s.rfind('='); eq != std::string::npos) s = trim(s.substr(eq + 1));
  while (!s.empty() && (s.back() == '.' || s.back() == ',' || s.back() == ';' || s.back() == '!' || s.back() == ':')) {
    // "5." is a sentence end, "5.5" is not (only strip a dot with no digit after it, which is the case here)
    s.pop_back();
    s = trim(s);
  }
  while (s.size() >= 2 && ((s.front() == '(' && s.back() == ')') || (s.front() == '{' && s.back() == '}'))) {
    int depth = 0;
    bool wraps = true;
    for (size_t i = 0; i + 1 < s.size(); i++) {  // the first bracket must close only at the end
      if (s[i] == s.front()) depth++;
      if (s[i] == s.back() && --depth == 0) wraps = false;
    }
    if (!wraps) break;
    s = trim(s.substr(1, s.size() - 2));
  }
  return s;
}

std::optional<Number> parse_number(std::string_view answer, bool allow_percent) {
  std::string s = clean_answer(answer);
  Cursor c{s};
  c.ws();
  bool neg = c.eat("-");
  if (!neg) c.eat("+");
  c.ws();
  std::optional<Rational> v;
  try {
    v = parse_value(c);
  } catch (const RationalError&) {
    return std::nullopt;
  }
  if (!v) return std::nullopt;
  Number n{neg ? -*v : *v, false};
  c.ws();
  if (c.eat("%")) {
    if (!allow_percent) return std::nullopt;
    n.percent = true;
  }
  if (!is_unit(std::string_view(s).substr(c.p))) return std::nullopt;
  return n;
}

std::string answer_key(std::string_view answer, const AnswerRules& rules) {
  if (auto n = parse_number(answer, rules.percent)) return n->value.str();
  return "text:" + text_key(answer);
}

bool answers_match(std::string_view given, std::string_view reference, const AnswerRules& rules) {
  auto g = parse_number(given, rules.percent), r = parse_number(reference, rules.percent);
  if (g && r) {
    if (g->value == r->value) return true;
    try {
      if (g->percent && !r->percent) return g->value / Rational(100) == r->value;
      if (r->percent && !g->percent) return r->value / Rational(100) == g->value;
    } catch (const RationalError&) {
    }
    return false;
  }
  if (g || r) return false;
  return text_key(given) == text_key(reference);
}

}  // namespace seek
