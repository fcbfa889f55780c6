// Which writing system a text is in, for R1's language-consistency filter (spec §6: rejection sampling drops
// chains of thought that mix languages). Languages are told apart by Unicode script, not by vocabulary.
//
// Letters: code points of the scripts below (their letters, and the marks inside their blocks); everything else
// (digits, punctuation, symbols, spaces, emoji) belongs to no script and is ignored. Han, Hiragana, Katakana and
// Bopomofo are one script, cjk (Japanese mixes them; Chinese with kana is not caught). Combining diacritics
// (U+0300-U+036F) continue the word they follow.
//
// Words: a maximal run of letters of one script; in cjk every character is a word of its own (no spaces between
// words). Not counted: one-letter words of the other scripts (variables: x, n, π, θ) and LaTeX command names (the
// letters right after a backslash: \frac, \boxed), which are notation, not language.
//
// dominant_script: the script with the most counted words (ties: the one that reached that count first); none
// when the text has no counted word. foreign_fraction: the share of counted words whose script is not the given one (0
// when there are none).
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

namespace seek {

enum class Script { none, latin, greek, cyrillic, armenian, hebrew, arabic, devanagari, thai, hangul, cjk };
const char* script_name(Script s);  // "latin", ..., "none"

Script letter_script(char32_t cp);  // none for anything that is not a letter of the scripts above

std::vector<Script> script_words(std::string_view text);  // the script of every counted word, in order
Script dominant_script(std::string_view text);
double foreign_fraction(std::string_view text, Script script);

}  // namespace seek
