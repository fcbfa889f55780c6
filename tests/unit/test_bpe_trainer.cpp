// BPE trainer units: merges on small word lists worked out by hand from the BPE rule (most frequent adjacent pair,
// ties to the smaller pair of ids), the id layout (specials, bytes in byte-level character order, merges), the
// DeepSeek-V3 pre-tokenizer's cuts, the written tokenizer.json loading and round-tripping through the Tokenizer,
// the config's chat template, and bad options. (tests/oracle/tokenizer_train.mjs checks the merges against the
// reference trainer and the written file against the reference tokenizer.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "text/chat/chat_template.h"
#include "text/tokenizer/tokenizer.h"
#include "train/bpe_trainer.h"

using namespace seek;

namespace {

// Merges as "left right" strings of token texts.
std::vector<std::string> merge_texts(const BpeVocab& v) {
  std::vector<std::string> out;
  for (const auto& m : v.merges) out.push_back(v.tokens[size_t(m.left)] + " " + v.tokens[size_t(m.right)]);
  return out;
}

BpeVocab train_words(const std::vector<std::pair<std::string, int64_t>>& words, int64_t vocab_size = 1000,
                     int64_t min_frequency = 1) {
  BpeTrainOptions o;
  o.vocab_size = vocab_size;
  o.min_frequency = min_frequency;
  BpeTrainer t(o);
  for (const auto& [w, c] : words) t.add_word(w, c);
  return t.train();
}

// hug x10, pug x5, pun x12, bun x4, hugs x5. Pair counts: ug 20, un 16, hu 15 ... -> "u g". Then un 16 -> "u n";
// h+ug 15 -> "h ug"; p+un 12 -> "p un"; then p+ug 5 ties with hug+s 5 and the byte token p has the smaller id
// than the merged hug -> "p ug", then "hug s"; b+un 4 last.
const std::vector<std::pair<std::string, int64_t>> kHug = {
    {"hug", 10}, {"pug", 5}, {"pun", 12}, {"bun", 4}, {"hugs", 5}};

}  // namespace

TEST(BpeTrainer, MergesWorkedOutByHand) {
  BpeVocab v = train_words(kHug);
  EXPECT_EQ(merge_texts(v), (std::vector<std::string>{"u g", "u n", "h ug", "p un", "p ug", "hug s", "b un"}));
  std::vector<int64_t> counts;
  for (const auto& m : v.merges) counts.push_back(m.count);
  EXPECT_EQ(counts, (std::vector<int64_t>{20, 16, 15, 12, 5, 5, 4}));
  EXPECT_EQ(v.size(), 7 + 256 + 7);
  EXPECT_EQ(v.tokens.back(), "bun");
}

TEST(BpeTrainer, StopsAtVocabSizeAndMinFrequency) {
  EXPECT_EQ(merge_texts(train_words(kHug, 7 + 256 + 3)), (std::vector<std::string>{"u g", "u n", "h ug"}));
  // Pairs seen fewer than 5 times are never merged: "b un" (4) is left out.
  EXPECT_EQ(train_words(kHug, 1000, 5).merges.size(), 6u);
  EXPECT_EQ(train_words(kHug, 1000, 13).merges.size(), 3u);
}

TEST(BpeTrainer, OverlappingPairsMergeLeftmostFirst) {
  // aaaa x1, aaa x1: (a,a) occurs 3 + 2 = 5 times -> "aa aa" and "aa a". Then (aa,a) and (aa,aa) occur once each;
  // a < aa, so (aa,a) first, then (aa,aa).
  BpeVocab v = train_words({{"aaaa", 1}, {"aaa", 1}});
  EXPECT_EQ(merge_texts(v), (std::vector<std::string>{"a a", "aa a", "aa aa"}));
  EXPECT_EQ(v.merges[0].count, 5);
  // abab x3: (a,b) 6, (b,a) 3 -> "ab ab", then (ab,ab) 3.
  EXPECT_EQ(merge_texts(train_words({{"abab", 3}})), (std::vector<std::string>{"a b", "ab ab"}));
}

TEST(BpeTrainer, TiesGoToTheSmallerPairInByteLevelOrder) {
  // Equal counts: the pair of smaller ids first. "a" < "c" in the byte-level order, and byte 0x00 (character U+0100)
  // comes after every printable byte, so "zz" goes before "\x00\x01".
  EXPECT_EQ(merge_texts(train_words({{"cd", 2}, {"ab", 2}})), (std::vector<std::string>{"a b", "c d"}));
  BpeVocab v = train_words({{std::string("\x00\x01", 2), 3}, {"zz", 3}});
  ASSERT_EQ(v.merges.size(), 2u);
  EXPECT_EQ(merge_texts(v)[0], "z z");
  EXPECT_EQ(merge_texts(v)[1], "Ā ā");
}

TEST(BpeTrainer, IdLayout) {
  BpeTrainOptions o;
  o.vocab_size = 300;
  o.extra_specials = {"<extra>", "<｜User｜>"};  // a duplicate of a default is dropped
  BpeTrainer t(o);
  t.add_word("ab", 2);
  BpeVocab v = t.train();
  const std::vector<std::string> want = {"<｜begin▁of▁sentence｜>",
                                         "<｜end▁of▁sentence｜>",
                                         "<｜▁pad▁｜>",
                                         "<｜User｜>",
                                         "<｜Assistant｜>",
                                         "<think>",
                                         "</think>",
                                         "<extra>"};
  ASSERT_EQ(v.n_specials, 8);
  for (size_t i = 0; i < want.size(); i++) EXPECT_EQ(v.tokens[i], want[i]);
  // Bytes in the order of their characters' code points: "!" first, byte 0x00 (U+0100) at 188.
  EXPECT_EQ(v.tokens[8], "!");
  EXPECT_EQ(v.byte_id('!'), 8);
  EXPECT_EQ(v.byte_id(0), 8 + 188);
  EXPECT_EQ(v.tokens[size_t(v.byte_id(0))], "Ā");
  EXPECT_EQ(v.tokens[size_t(v.byte_id(' '))], "Ġ");
  EXPECT_EQ(v.tokens[8 + 256], "ab");
  EXPECT_EQ(v.size(), 8 + 256 + 1);
}

TEST(BpeTrainer, NeverMergesIntoASpecialTokenText) {
  BpeTrainOptions o;
  o.vocab_size = 1000;
  o.min_frequency = 1;
  o.extra_specials = {"xy"};
  BpeTrainer t(o);
  t.add_word("xy", 100);
  t.add_word("yz", 1);
  EXPECT_EQ(merge_texts(t.train()), (std::vector<std::string>{"y z"}));
}

TEST(BpeTrainer, CountsWordsWithTheDeepSeekPreTokenizer) {
  BpeTrainOptions o;
  o.vocab_size = 300;
  BpeTrainer t(o);
  // DeepSeek-V3's pre-tokenizer: digits in groups of up to three, a letter run with one leading non-letter, a
  // punctuation run with its trailing newlines, CJK runs on their own.
  t.add_text("Hello world, hello world!\n12345 日本語x");
  EXPECT_EQ(t.word_count("Hello"), 1);
  EXPECT_EQ(t.word_count(" world"), 2);
  EXPECT_EQ(t.word_count(" hello"), 1);
  EXPECT_EQ(t.word_count(","), 1);
  EXPECT_EQ(t.word_count("!\n"), 1);
  EXPECT_EQ(t.word_count("123"), 1);
  EXPECT_EQ(t.word_count("45"), 1);
  EXPECT_EQ(t.word_count(" "), 1);
  EXPECT_EQ(t.word_count("日本語"), 1);
  EXPECT_EQ(t.word_count("x"), 1);
  EXPECT_EQ(t.total_words(), 11);
  // Ill-formed UTF-8 is repaired first, as encoding does.
  t.add_text("\xff");
  EXPECT_EQ(t.word_count("\xEF\xBF\xBD"), 1);
}

TEST(BpeTrainer, WrittenTokenizerLoadsAndRoundTrips) {
  BpeTrainOptions o;
  o.vocab_size = 400;
  BpeTrainer t(o);
  const std::string corpus =
      "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.\n"
      "Numbers 1234567 and 42, unicode café naïve 日本語 — and emoji 🙂🙂.\n";
  for (int i = 0; i < 20; i++) t.add_text(corpus);
  const BpeVocab v = t.train();
  ASSERT_GT(v.merges.size(), 20u);

  const std::string dir = testing::TempDir() + "bpe_trainer_written_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  write_bpe_tokenizer(v, dir);
  const Tokenizer tok = Tokenizer::from_path(dir);
  EXPECT_EQ(tok.vocab_size(), v.size());
  EXPECT_EQ(tok.bos_id(), 0);
  EXPECT_EQ(tok.eos_id(), 1);
  EXPECT_FALSE(tok.add_bos);
  for (int32_t i = 0; i < 7; i++) {
    EXPECT_TRUE(tok.is_special(i)) << i;
    EXPECT_EQ(tok.token_id(v.tokens[size_t(i)]), i);
  }
  for (int32_t i = 7; i < v.size(); i++) {
    EXPECT_FALSE(tok.is_special(i));
    EXPECT_EQ(tok.token_text(i), v.tokens[size_t(i)]);
  }
  // The learnt merges apply: a frequent word is one token, and encoding is shorter than the bytes.
  EXPECT_EQ(tok.encode(" the").size(), 1u);
  EXPECT_LT(tok.encode(corpus).size(), corpus.size() / 2);
  // Special tokens are text unless asked for; decoding gives back the input.
  EXPECT_EQ(tok.encode("<｜end▁of▁sentence｜>", true), std::vector<int32_t>{1});
  EXPECT_GT(tok.encode("<｜end▁of▁sentence｜>", false).size(), 1u);
  std::mt19937 rng(7);
  for (int k = 0; k < 200; k++) {
    std::string s;
    int n = int(rng() % 40);
    for (int i = 0; i < n; i++) {
      int r = int(rng() % 4);
      if (r == 0)
        s += corpus[rng() % 70];  // the ASCII first line
      else if (r == 1)
        s += " the";
      else if (r == 2)
        s += "é";
      else
        s += char(' ' + rng() % 95);
    }
    EXPECT_EQ(tok.decode(tok.encode(s)), s) << s;
  }
  // The config carries the R1 chat template and DeepSeek's special tokens.
  ChatTemplate tpl = ChatTemplate::from_model_dir(dir);
  nlohmann::json msgs = nlohmann::json::array({{{"role", "user"}, {"content", "Hi"}}});
  EXPECT_EQ(tpl.render(msgs, true), ChatTemplate::builtin(BuiltinChat::deepseek_r1).render(msgs, true));
  EXPECT_EQ(tpl.bos_token(), "<｜begin▁of▁sentence｜>");
  // The file's pre-tokenizer is DeepSeek-V3's, as written in the header constant.
  nlohmann::json j = nlohmann::json::parse(bpe_tokenizer_json(v));
  EXPECT_EQ(j["pre_tokenizer"], nlohmann::json::parse(kDeepSeekPreTokenizerJson));
  EXPECT_EQ(j["model"]["merges"].size(), v.merges.size());
  std::filesystem::remove_all(dir);
}

TEST(BpeTrainer, BadOptionsAndInput) {
  BpeTrainOptions o;
  o.vocab_size = 262;
  try {
    BpeTrainer t(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("256 byte tokens + 7 special tokens (at least 263)"), std::string::npos)
        << e.what();
  }
  o.vocab_size = 263;
  o.extra_specials = {"a"};
  EXPECT_THROW(BpeTrainer{o}, Error);  // spelled like a byte token
  o.extra_specials = {""};
  EXPECT_THROW(BpeTrainer{o}, Error);
  o.extra_specials = {"\xff"};
  EXPECT_THROW(BpeTrainer{o}, Error);
  o.extra_specials = {};
  BpeTrainer empty(o);
  empty.add_text("");
  try {
    empty.train();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no text"), std::string::npos) << e.what();
  }
  // Exactly the bytes and specials: trains, no merges.
  BpeTrainer bytes_only(o);
  bytes_only.add_text("abc abc");
  EXPECT_EQ(bytes_only.train().size(), 263);
}
