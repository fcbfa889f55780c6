#include "text/tokenizer/tokenizer_normalize.h"

#include <algorithm>

#include "text/tokenizer/tokenizer_unicode_data.h"
#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

namespace {

namespace ud = unicode_data;

// Hangul syllables decompose and compose algorithmically (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

const ud::CodeRange* find_range(const ud::CodeRange* table, size_t n, char32_t c) {
  const ud::CodeRange* end = table + n;
  const ud::CodeRange* it =
      std::upper_bound(table, end, c, [](char32_t v, const ud::CodeRange& r) { return v < r.first; });
  if (it == table) return nullptr;
  --it;
  return c <= it->last ? it : nullptr;
}

int combining_class(char32_t c) {
  if (c < 0x300) return 0;
  const ud::CodeRange* r = find_range(ud::kCombiningClass, ud::kCombiningClassCount, c);
  return r ? r->value : 0;
}

bool nfc_unstable(char32_t c) {
  return c >= 0x300 && find_range(ud::kNfcUnstable, ud::kNfcUnstableCount, c) != nullptr;
}

void decompose(char32_t c, std::u32string& out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    char32_t s = c - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  if (c >= 0xC0) {
    const ud::Decomposition* end = ud::kCanonicalDecomposition + ud::kCanonicalDecompositionCount;
    const ud::Decomposition* it = std::lower_bound(ud::kCanonicalDecomposition, end, c,
                                                   [](const ud::Decomposition& d, char32_t v) { return d.cp < v; });
    if (it != end && it->cp == c) {
      decompose(it->a, out);
      if (it->b) decompose(it->b, out);
      return;
    }
  }
  out.push_back(c);
}

char32_t compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const ud::Composition* end = ud::kCompositions + ud::kCompositionCount;
  const ud::Composition* it = std::lower_bound(ud::kCompositions, end, std::pair(a, b),
                                               [](const ud::Composition& x, std::pair<char32_t, char32_t> v) {
                                                 return x.a != v.first ? x.a < v.first : x.b < v.second;
                                               });
  return (it != end && it->a == a && it->b == b) ? it->cp : 0;
}

// Full canonical decomposition followed by canonical ordering of each run of non-starters.
std::u32string decompose_ordered(std::string_view s) {
  std::u32string d;
  d.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t c;
    i += utf8::decode_valid(s, i, c);
    decompose(c, d);
  }
  // Stable insertion sort by combining class within runs of non-starters (runs are short).
  for (size_t i = 1; i < d.size(); i++) {
    int cc = combining_class(d[i]);
    if (cc == 0) continue;
    size_t j = i;
    char32_t c = d[i];
    while (j > 0) {
      int pc = combining_class(d[j - 1]);
      if (pc == 0 || pc <= cc) break;
      d[j] = d[j - 1];
      j--;
    }
    d[j] = c;
  }
  return d;
}

std::string encode(const std::u32string& cps) {
  std::string out;
  out.reserve(cps.size() * 2);
  for (char32_t c : cps) utf8::append(out, c);
  return out;
}

}  // namespace

bool unicode_nfc_quick_check(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      i++;
      continue;
    }
    char32_t c;
    i += utf8::decode_valid(s, i, c);
    if (nfc_unstable(c)) return false;
  }
  return true;
}

std::string unicode_nfd(std::string_view s) { return encode(decompose_ordered(s)); }

std::string unicode_nfc(std::string_view s) {
  std::u32string d = decompose_ordered(s);
  std::u32string out;
  out.reserve(d.size());
  ptrdiff_t starter = -1;  // index in `out` of the last starter
  int last_cc = -1;        // combining class of the last character appended to `out`
  for (char32_t c : d) {
    int cc = combining_class(c);
    if (starter >= 0) {
      bool adjacent = size_t(starter) + 1 == out.size();
      // Not blocked: nothing between the starter and c, or everything between has a lower, non-zero class.
      if (adjacent || (last_cc != 0 && last_cc < cc)) {
        if (char32_t composed = compose(out[size_t(starter)], c)) {
          out[size_t(starter)] = composed;
          continue;
        }
      }
    }
    if (cc == 0) starter = ptrdiff_t(out.size());
    last_cc = cc;
    out.push_back(c);
  }
  return encode(out);
}

std::string_view Normalizer::apply(std::string_view in, std::string& buf, RegexScratch& scratch) const {
  std::string_view cur = in;
  std::string next;
  for (const Step& st : steps_) {
    switch (st.kind) {
      case Kind::NFC:
        if (unicode_nfc_quick_check(cur)) continue;
        next = unicode_nfc(cur);
        break;
      case Kind::NFD:
        next = unicode_nfd(cur);
        if (next == cur) continue;
        break;
      case Kind::Prepend:
        if (cur.empty()) continue;
        next = st.text;
        next.append(cur);
        break;
      case Kind::Replace: {
        next.clear();
        size_t last = 0;
        bool any = false;
        st.pattern.for_each_match(cur, scratch, [&](size_t b, size_t e) {
          next.append(cur.substr(last, b - last));
          next.append(st.text);
          last = e;
          any = true;
        });
        if (!any) continue;
        next.append(cur.substr(last));
        break;
      }
      case Kind::Strip: {
        size_t b = 0, e = cur.size();
        if (st.left) {
          while (b < e) {
            char32_t c;
            size_t len = utf8::decode_valid(cur, b, c);
            if (!utf8::is_white_space(c)) break;
            b += len;
          }
        }
        if (st.right) {
          while (e > b) {
            size_t k = e - 1;
            while (k > b && (static_cast<unsigned char>(cur[k]) & 0xC0) == 0x80) k--;
            char32_t c;
            utf8::decode_valid(cur, k, c);
            if (!utf8::is_white_space(c)) break;
            e = k;
          }
        }
        if (b == 0 && e == cur.size()) continue;
        next.assign(cur.substr(b, e - b));
        break;
      }
    }
    buf.swap(next);
    cur = buf;
  }
  return cur;
}

}  // namespace seek
