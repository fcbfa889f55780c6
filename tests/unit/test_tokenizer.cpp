// Tokenizer units: a tiny byte-level BPE tokenizer.json built here, whose expected ids follow by hand from the
// BPE rules; UTF-8 repair and the streaming decoder; canonical normalization against the examples of the Unicode
// standard (UAX #15); regex dialect translation and match iteration; and errors for malformed tokenizer.json
// files, which must name the file and the field. (The full check against the reference tokenizer on real
// vocabularies is tests/oracle/tokenizer.mjs.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "text/tokenizer/pretokenize_regex.h"
#include "text/tokenizer/tokenizer.h"
#include "text/tokenizer/tokenizer_normalize.h"

using namespace seek;
using Ids = std::vector<int32_t>;

namespace {

// The byte-level alphabet as byte-level BPE defines it: printable Latin-1 bytes stand for themselves, the other bytes
// are numbered from U+0100 upwards in byte order. Written out here independently of the library.
std::string byte_char(int b) {
  static std::vector<int> cp = [] {
    std::vector<int> v(256);
    int extra = 0;
    for (int i = 0; i < 256; i++) {
      bool printable = (i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255);
      v[size_t(i)] = printable ? i : 256 + extra++;
    }
    return v;
  }();
  int c = cp[size_t(b)];
  std::string s;
  if (c < 0x80) {
    s += char(c);
  } else {
    s += char(0xC0 | (c >> 6));
    s += char(0x80 | (c & 0x3F));
  }
  return s;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

// Vocabulary: id b for the character of byte b, then he=256, ll=257, hell=258, Ġw=259; added tokens
// <|end|>=260 (special) and <tool>=261 (not special).
std::string tiny_json(const std::string& pre = R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": true})",
                      const std::string& merges = R"(["h e", "l l", "he ll", "Ġ w"])") {
  std::string vocab;
  for (int b = 0; b < 256; b++) {
    vocab += '"';
    vocab += json_escape(byte_char(b));
    vocab += "\": ";
    vocab += std::to_string(b);
    vocab += ", ";
  }
  vocab += R"("he": 256, "ll": 257, "hell": 258, "Ġw": 259)";
  return R"({"version": "1.0", "added_tokens": [
      {"id": 260, "content": "<|end|>", "special": true, "single_word": false, "lstrip": false, "rstrip": false,
       "normalized": false},
      {"id": 261, "content": "<tool>", "special": false, "single_word": false, "lstrip": false, "rstrip": false,
       "normalized": true}],
    "normalizer": null, "pre_tokenizer": )" +
         pre + R"(, "post_processor": null, "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "vocab": {)" +
         vocab + R"(}, "merges": )" + merges + "}}";
}

Tokenizer tiny() { return Tokenizer::from_json_string(tiny_json(), "tiny.json"); }

Ids bytes_of(const std::string& s) {
  Ids ids;
  for (unsigned char c : s) ids.push_back(int32_t(c));
  return ids;
}

void expect_json_error(const std::string& json, const std::string& phrase) {
  try {
    Tokenizer::from_json_string(json, "bad/tokenizer.json");
    ADD_FAILURE() << "no error; expected one mentioning " << phrase;
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("bad/tokenizer.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find(phrase), std::string::npos) << "expected '" << phrase << "' in: " << msg;
  }
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

}  // namespace

TEST(tokenizer, EncodesByMergeRank) {
  Tokenizer t = tiny();
  // "hello" -> h e l l o -> (h e) l l o -> he (l l) o -> (he ll) o; " world" -> (Ġ w) o r l d.
  EXPECT_EQ(t.encode("hello world"), (Ids{258, 'o', 259, 'o', 'r', 'l', 'd'}));
  EXPECT_EQ(t.encode(""), Ids{});
  EXPECT_EQ(t.vocab_size(), 262);
  EXPECT_EQ(t.token_text(259), "Ġw");
  EXPECT_EQ(t.token_id("hell"), 258);
  EXPECT_EQ(t.token_id("<tool>"), 261);
  EXPECT_EQ(t.token_id("nope"), -1);
  EXPECT_THROW(t.token_text(262), Error);
  EXPECT_THROW(t.token_text(-1), Error);
}

TEST(tokenizer, LongWordsMergeLikeShortOnes) {
  Tokenizer t = tiny();
  // 201 l's: pairs merge left to right into 100 "ll" and one "l" is left over.
  Ids want(100, 257);
  want.push_back('l');
  EXPECT_EQ(t.encode(std::string(201, 'l')), want);
  // One long word "hellohello...": each "hello" becomes hell + o.
  std::string word;
  Ids want2;
  for (int i = 0; i < 300; i++) {
    word += "hello";
    want2.push_back(258);
    want2.push_back('o');
  }
  EXPECT_EQ(t.encode(word), want2);
}

TEST(tokenizer, SpecialTokensOnlyWhenAllowed) {
  Tokenizer t = tiny();
  EXPECT_EQ(t.encode("a<|end|>b", true), (Ids{'a', 260, 'b'}));
  // Not allowed: plain text, cut by the byte-level regex into "a", "<|", "end", "|>", "b".
  Ids plain = bytes_of("a<|end|>b");
  EXPECT_EQ(t.encode("a<|end|>b", false), plain);
  // Non-special added tokens are always recognised.
  EXPECT_EQ(t.encode("x<tool>y", false), (Ids{'x', 261, 'y'}));
  EXPECT_EQ(t.encode("x<tool>y", true), (Ids{'x', 261, 'y'}));
  EXPECT_TRUE(t.is_special(260));
  EXPECT_FALSE(t.is_special(261));
}

TEST(tokenizer, DecodeRepairsUtf8) {
  Tokenizer t = tiny();
  EXPECT_EQ(t.decode({258, 'o', 259, 'o', 'r', 'l', 'd'}), "hello world");
  EXPECT_EQ(t.decode({'a', 260, 'b'}), "a<|end|>b");
  EXPECT_EQ(t.decode({'a', 260, 'b'}, true), "ab");
  EXPECT_EQ(t.decode({'a', 261, 'b'}, true), "a<tool>b");
  EXPECT_EQ(t.decode({0xC3, 0xA9}), "\xC3\xA9");
  EXPECT_EQ(t.decode({0xC3}), "\xEF\xBF\xBD");
  EXPECT_EQ(t.decode({0xC3, '('}), "\xEF\xBF\xBD(");
  EXPECT_EQ(t.decode({0xE2, 0x82, 'x'}), "\xEF\xBF\xBDx");        // one U+FFFD for the maximal subpart
  EXPECT_EQ(t.decode({0xF0, 0x9F, 0x98}), "\xEF\xBF\xBD");        // cut short at the end: one U+FFFD
  EXPECT_EQ(t.decode({0xC0, 0x80}), "\xEF\xBF\xBD\xEF\xBF\xBD");  // C0 never starts a sequence
  EXPECT_EQ(t.decode({0xED, 0xA0, 0x80}), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a UTF-16 surrogate
  EXPECT_EQ(t.decode({'a', 99999, -5, 'b'}), "ab");                                 // ids without a token are skipped
}

TEST(tokenizer, InvalidUtf8InputIsRepaired) {
  Tokenizer t = tiny();
  EXPECT_EQ(t.encode("a\xFF"
                     "b"),
            t.encode("a\xEF\xBF\xBD"
                     "b"));
  EXPECT_EQ(t.encode("\xE2\x82"), t.encode("\xEF\xBF\xBD"));
}

TEST(tokenizer, ConcurrentCallsAgree) {
  Tokenizer t = tiny();
  std::vector<std::string> texts;
  for (int i = 0; i < 200; i++)
    texts.push_back("hello world " + std::to_string(i * 7919) + " <|end|> x<tool>" + std::string(size_t(i % 50), 'l'));
  std::vector<Ids> want;
  for (const auto& s : texts) want.push_back(t.encode(s, true));
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; k++) {
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 20; rep++)
        for (size_t i = 0; i < texts.size(); i++) bad[size_t(k)] += t.encode(texts[i], true) != want[i];
    });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < 4; k++) EXPECT_EQ(bad[size_t(k)], 0) << "thread " << k;
}

TEST(tokenizer_stream, HoldsBackIncompleteSequences) {
  Tokenizer t = tiny();
  TokenStreamDecoder d(t);
  // U+1F600 arrives one byte per token.
  EXPECT_EQ(d.feed(0xF0), "");
  EXPECT_EQ(d.feed(0x9F), "");
  EXPECT_EQ(d.feed(0x98), "");
  EXPECT_EQ(d.feed(0x80), "\xF0\x9F\x98\x80");
  EXPECT_EQ(d.feed(258), "hell");
  EXPECT_EQ(d.feed(0xC3), "");
  EXPECT_EQ(d.feed('('), "\xEF\xBF\xBD(");  // C3 followed by '(' can never complete
  EXPECT_EQ(d.feed(0xE2), "");
  EXPECT_EQ(d.finish(), "\xEF\xBF\xBD");
  EXPECT_EQ(d.finish(), "");
  TokenStreamDecoder skip(t, true);
  EXPECT_EQ(skip.feed(260), "");
  EXPECT_EQ(skip.feed('a'), "a");
}

TEST(tokenizer_stream, AgreesWithDecodeOnRandomStreams) {
  Tokenizer t = tiny();
  std::mt19937 rng(99);
  for (int it = 0; it < 2000; it++) {
    Ids ids;
    int n = 1 + int(rng() % 10);
    for (int i = 0; i < n; i++) {
      int r = int(rng() % 10);
      // Mostly bytes that build or break multi-byte sequences, some ASCII, some merged and added tokens.
      ids.push_back(r < 6   ? int32_t(0x80 + rng() % 0x78)
                    : r < 8 ? int32_t('a' + rng() % 26)
                            : int32_t(256 + rng() % 6));
    }
    for (bool skip : {false, true}) {
      TokenStreamDecoder d(t, skip);
      std::string streamed;
      for (int32_t id : ids) streamed += d.feed(id);
      streamed += d.finish();
      EXPECT_EQ(streamed, t.decode(ids, skip));
    }
  }
}

TEST(tokenizer, LoadsFromFolderWithConfig) {
  auto dir = std::filesystem::temp_directory_path() / ("seek_tok_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << tiny_json();
  std::ofstream(dir / "tokenizer_config.json")
      << R"({"add_bos_token": true, "bos_token": {"content": "<|end|>"}, "eos_token": "<tool>"})";
  Tokenizer t = Tokenizer::from_path(dir.string());
  EXPECT_EQ(t.bos_id(), 260);
  EXPECT_EQ(t.eos_id(), 261);
  EXPECT_TRUE(t.add_bos);
  EXPECT_THROW(Tokenizer::from_path((dir / "missing").string()), Error);
  EXPECT_THROW(Tokenizer::from_path(std::filesystem::temp_directory_path().string()), Error);  // no tokenizer.json
  std::filesystem::remove_all(dir);
}

TEST(tokenizer, BadJsonNamesTheField) {
  const std::string good = tiny_json();
  expect_json_error("{not json", "not valid JSON");
  expect_json_error("[]", "JSON object");
  expect_json_error("{}", "model: missing");
  expect_json_error(replace(good, R"("type": "BPE")", R"("type": "WordPiece")"), "model.type");
  expect_json_error(replace(good, R"("he": 256)", R"("he": "x")"), "model.vocab[\"he\"]");
  expect_json_error(replace(good, R"("he": 256)", R"("he": -3)"), "model.vocab[\"he\"]");
  expect_json_error(replace(good, R"(["h e", )", R"(["h", )"), "model.merges[0]");
  expect_json_error(replace(good, R"(["h e", )", R"(["h e x", )"), "model.merges[0]");
  expect_json_error(replace(good, R"("l l", )", R"("l q", )"), "model.merges[1]: merged token 'lq'");
  expect_json_error(replace(good, R"("l l", )", R"(["l"], )"), "model.merges[1]");
  expect_json_error(replace(good, R"("merges": [)", R"("merges": 5, "x": [)"), "model.merges");
  expect_json_error(replace(good, R"("vocab": {)", R"("vocab": [], "v": {)"), "model.vocab");
  expect_json_error(replace(good, R"("id": 260)", R"("id": -1)"), "added_tokens[0].id");
  expect_json_error(replace(good, R"("content": "<tool>")", R"("content": 7)"), "added_tokens[1].content");
  expect_json_error(replace(good, R"("id": 261)", R"("id": 100000000)"), "too sparse");
  expect_json_error(replace(good, R"("decoder": {"type": "ByteLevel"})", R"("decoder": {"type": "WordPiece"})"),
                    "decoder.type");
  expect_json_error(replace(good, R"("normalizer": null)", R"("normalizer": {"type": "Lowercase"})"),
                    "normalizer.type");
  expect_json_error(
      replace(good, R"("normalizer": null)",
              R"("normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "NFKC"}]})"),
      "normalizer.normalizers[1].type");
  auto with_pre = [](const std::string& pre) { return tiny_json(pre); };
  expect_json_error(with_pre(R"({"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"})"),
                    "pre_tokenizer.pattern.Regex: invalid regex");
  expect_json_error(with_pre(R"({"type": "Split", "pattern": {"Nope": "a"}, "behavior": "Isolated"})"),
                    "pre_tokenizer.pattern");
  expect_json_error(with_pre(R"({"type": "Split", "pattern": {"String": "a"}, "behavior": "Sideways"})"),
                    "pre_tokenizer.behavior: unknown split behavior 'Sideways'");
  expect_json_error(with_pre(R"({"type": "Metaspace"})"), "pre_tokenizer.type");
  expect_json_error(with_pre(R"({"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}, {"type": "Digits"}]})"),
                    "pre_tokenizer.pretokenizers[1]");
  expect_json_error(with_pre(R"({"type": "Sequence", "pretokenizers": {}})"), "pre_tokenizer.pretokenizers");
  expect_json_error(with_pre(R"({"type": "ByteLevel", "use_regex": "yes"})"), "pre_tokenizer.use_regex");
}

TEST(tokenizer_unicode, UnicodeStandardExamples) {
  // Composition and canonical ordering (UAX #15, figures 3-6 and the Hangul section).
  EXPECT_EQ(unicode_nfc("e\u0301"), "\u00e9");
  EXPECT_EQ(unicode_nfd("\u00e9"), "e\u0301");
  EXPECT_EQ(unicode_nfc("\u212b"), "\u00c5");                // singleton: angstrom sign -> A with ring
  EXPECT_EQ(unicode_nfc("\u2126"), "\u03a9");                // ohm sign -> omega
  EXPECT_EQ(unicode_nfc("\u1e0b\u0323"), "\u1e0d\u0307");    // d-dot-above + dot-below -> d-dot-below + dot-above
  EXPECT_EQ(unicode_nfc("q\u0307\u0323"), "q\u0323\u0307");  // reordered, nothing to compose with q
  EXPECT_EQ(unicode_nfd("\u1e69"), "s\u0323\u0307");
  EXPECT_EQ(unicode_nfc("s\u0307\u0323"), "\u1e69");
  EXPECT_EQ(unicode_nfc("\u1100\u1161\u11a8"), "\uac01");  // Hangul L V T -> LVT syllable
  EXPECT_EQ(unicode_nfd("\uac01"), "\u1100\u1161\u11a8");
  EXPECT_EQ(unicode_nfc("\u0958"), "\u0915\u093c");  // composition exclusion stays decomposed
  EXPECT_EQ(unicode_nfc("a\u0308\u0301"), "\u00e4\u0301");
  EXPECT_TRUE(unicode_nfc_quick_check("plain ascii and \u00e9 and \u4e2d"));
  EXPECT_FALSE(unicode_nfc_quick_check("e\u0301"));
}

TEST(tokenizer_regex, DialectTranslation) {
  EXPECT_EQ(translate_regex("\\s+(?!\\S)", "t"), "\\p{White_Space}+(?!\\P{White_Space})");
  EXPECT_EQ(translate_regex("[^\\s\\p{L}]", "t"), "[^\\p{White_Space}\\p{L}]");
  EXPECT_EQ(translate_regex("(?m:a.b)(?i-m)", "t"), "(?s:a.b)(?i-s)");
  EXPECT_EQ(translate_regex("\\h[\\h]", "t"), "[0-9a-fA-F][0-9a-fA-F]");
  EXPECT_EQ(translate_regex("\\u00e9", "t"), "\\x{00e9}");
  EXPECT_EQ(translate_regex("[]s]\\\\s", "t"), "[]s]\\\\s");  // ']' first in a class; an escaped backslash
  EXPECT_EQ(translate_regex("(?:x)(?=y)(?<n>z)", "t"), "(?:x)(?=y)(?<n>z)");
  EXPECT_THROW(translate_regex("[a", "t"), Error);
  EXPECT_THROW(translate_regex("[a&&b]", "t"), Error);
  EXPECT_THROW(translate_regex("\\", "t"), Error);
}

TEST(tokenizer_regex, EmptyMatchesFollowTheReferenceIteration) {
  RegexScratch scratch;
  Regex re = Regex::compile("x*", "t");
  std::vector<std::pair<size_t, size_t>> got;
  re.for_each_match("abxxc", scratch, [&](size_t b, size_t e) { got.emplace_back(b, e); });
  // An empty match right after the previous match (at 4) is skipped.
  EXPECT_EQ(got, (std::vector<std::pair<size_t, size_t>>{{0, 0}, {1, 1}, {2, 4}, {5, 5}}));
  got.clear();
  Regex u = Regex::compile("", "t");
  u.for_each_match("\u00e9a", scratch, [&](size_t b, size_t e) { got.emplace_back(b, e); });
  EXPECT_EQ(got, (std::vector<std::pair<size_t, size_t>>{{0, 0}, {2, 2}, {3, 3}}));  // steps over whole characters
  // \s is Unicode White_Space: U+0085 is, U+180E and U+200B are not.
  Regex s = Regex::compile("\\s", "t");
  size_t b, e;
  EXPECT_TRUE(s.find("\u0085", 0, scratch, b, e));
  EXPECT_FALSE(s.find("\u180e\u200b", 0, scratch, b, e));
  // $ is an end of line.
  Regex d = Regex::compile("a$", "t");
  EXPECT_TRUE(d.find("a\nb", 0, scratch, b, e));
  EXPECT_EQ(b, 0u);
}
