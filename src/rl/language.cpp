#include "rl/language.h"

#include <algorithm>
#include <iterator>

#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

namespace {

struct ScriptRange {
  char32_t first, last;
  Script script;
};

// Letter ranges by script, sorted. Digits and punctuation inside the blocks are left out where they sit apart.
constexpr ScriptRange kScripts[] = {
    {0x41, 0x5A, Script::latin},        {0x61, 0x7A, Script::latin},      {0xAA, 0xAA, Script::latin},
    {0xBA, 0xBA, Script::latin},        {0xC0, 0xD6, Script::latin},      {0xD8, 0xF6, Script::latin},
    {0xF8, 0x24F, Script::latin},       {0x370, 0x373, Script::greek},    {0x376, 0x377, Script::greek},
    {0x37B, 0x37D, Script::greek},      {0x386, 0x386, Script::greek},    {0x388, 0x3FF, Script::greek},
    {0x400, 0x481, Script::cyrillic},   {0x48A, 0x52F, Script::cyrillic}, {0x531, 0x556, Script::armenian},
    {0x561, 0x587, Script::armenian},   {0x591, 0x5C7, Script::hebrew},   {0x5D0, 0x5F2, Script::hebrew},
    {0x610, 0x61A, Script::arabic},     {0x620, 0x65F, Script::arabic},   {0x66E, 0x6D3, Script::arabic},
    {0x6D5, 0x6FF, Script::arabic},     {0x750, 0x77F, Script::arabic},   {0x900, 0x963, Script::devanagari},
    {0x971, 0x97F, Script::devanagari}, {0xE01, 0xE4E, Script::thai},     {0x1100, 0x11FF, Script::hangul},
    {0x1E00, 0x1EFF, Script::latin},    {0x1F00, 0x1FFF, Script::greek},  {0x3041, 0x3096, Script::cjk},
    {0x309D, 0x309F, Script::cjk},      {0x30A1, 0x30FA, Script::cjk},    {0x30FC, 0x30FF, Script::cjk},
    {0x3105, 0x312F, Script::cjk},      {0x3131, 0x318E, Script::hangul}, {0x3400, 0x4DBF, Script::cjk},
    {0x4E00, 0x9FFF, Script::cjk},      {0xAC00, 0xD7A3, Script::hangul}, {0xF900, 0xFAFF, Script::cjk},
    {0xFF21, 0xFF3A, Script::latin},    {0xFF41, 0xFF5A, Script::latin},  {0xFF66, 0xFF9D, Script::cjk},
    {0xFFA0, 0xFFDC, Script::hangul},   {0x20000, 0x2FA1F, Script::cjk},
};

bool is_combining_diacritic(char32_t cp) { return cp >= 0x300 && cp <= 0x36F; }

}  // namespace

const char* script_name(Script s) {
  switch (s) {
    case Script::latin: return "latin";
    case Script::greek: return "greek";
    case Script::cyrillic: return "cyrillic";
    case Script::armenian: return "armenian";
    case Script::hebrew: return "hebrew";
    case Script::arabic: return "arabic";
    case Script::devanagari: return "devanagari";
    case Script::thai: return "thai";
    case Script::hangul: return "hangul";
    case Script::cjk: return "cjk";
    case Script::none: break;
  }
  return "none";
}

Script letter_script(char32_t cp) {
  auto it = std::upper_bound(std::begin(kScripts), std::end(kScripts), cp,
                             [](char32_t c, const ScriptRange& r) { return c < r.first; });
  if (it == std::begin(kScripts)) return Script::none;
  --it;
  return cp <= it->last ? it->script : Script::none;
}

std::vector<Script> script_words(std::string_view text) {
  std::vector<Script> words;
  Script cur = Script::none;
  int64_t len = 0;
  bool command = false;
  auto end_word = [&] {
    if (cur != Script::none && !command && len >= 2) words.push_back(cur);
    cur = Script::none, len = 0, command = false;
  };
  char32_t prev = 0;
  for (size_t i = 0; i < text.size();) {
    size_t bad = 1;
    const size_t n = utf8::sequence_length(text, i, &bad, nullptr);
    if (n == 0) {  // not UTF-8: ends a word, like punctuation
      end_word();
      i += bad, prev = 0;
      continue;
    }
    char32_t cp;
    utf8::decode_valid(text, i, cp);
    i += n;
    const Script s = letter_script(cp);
    if (s == Script::cjk) {
      end_word();
      words.push_back(Script::cjk);
    } else if (s != Script::none && s == cur) {
      len++;
    } else if (s != Script::none) {
      end_word();
      cur = s, len = 1, command = prev == U'\\';
    } else if (!(is_combining_diacritic(cp) && cur != Script::none)) {
      end_word();
    }
    prev = cp;
  }
  end_word();
  return words;
}

Script dominant_script(std::string_view text) {
  int64_t count[int(Script::cjk) + 1] = {};
  Script best = Script::none;
  for (Script s : script_words(text)) {  // a script must pass the leader to take over: ties stay with it
    const int64_t n = ++count[int(s)];
    if (n > count[int(best)]) best = s;
  }
  return best;
}

double foreign_fraction(std::string_view text, Script script) {
  const std::vector<Script> words = script_words(text);
  if (words.empty()) return 0.0;
  const auto foreign = std::count_if(words.begin(), words.end(), [&](Script s) { return s != script; });
  return double(foreign) / double(words.size());
}

}  // namespace seek
