#include "train/bpe_trainer.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/progress.h"
#include "text/tokenizer/bpe.h"
#include "text/chat/chat_template.h"
#include "text/tokenizer/pretokenize.h"
#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

// Copied character for character from DeepSeek-V3's tokenizer.json ("\r" and "\n" are JSON escapes: the regex holds
// the control characters themselves).
const char* const kDeepSeekPreTokenizerJson =
    R"JSON({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated", "invert": false}, {"type": "Split", "pattern": {"Regex": "[一-龥぀-ゟ゠-ヿ]+"}, "behavior": "Isolated", "invert": false}, {"type": "Split", "pattern": {"Regex": "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]})JSON";

const std::vector<std::string>& default_special_tokens() {
  static const std::vector<std::string> specials = {"<｜begin▁of▁sentence｜>",
                                                    "<｜end▁of▁sentence｜>",
                                                    "<｜▁pad▁｜>",
                                                    "<｜User｜>",
                                                    "<｜Assistant｜>",
                                                    "<think>",
                                                    "</think>"};
  return specials;
}

namespace {

using ojson = nlohmann::ordered_json;

// The byte tokens' order: by the code point of each byte's byte-level character.
struct ByteOrder {
  std::array<int32_t, 256> rank{};     // byte -> position
  std::array<uint8_t, 256> byte_at{};  // position -> byte
  ByteOrder() {
    std::array<int, 256> bytes;
    for (int b = 0; b < 256; b++) bytes[size_t(b)] = b;
    std::sort(bytes.begin(), bytes.end(),
              [](int x, int y) { return utf8::byte_to_char(uint8_t(x)) < utf8::byte_to_char(uint8_t(y)); });
    for (int r = 0; r < 256; r++) {
      byte_at[size_t(r)] = uint8_t(bytes[size_t(r)]);
      rank[size_t(bytes[size_t(r)])] = r;
    }
  }
};
const ByteOrder& byte_order() {
  static const ByteOrder order;
  return order;
}

std::string byte_level_text(std::string_view bytes) {
  std::string out;
  for (char c : bytes) utf8::append(out, utf8::byte_to_char(uint8_t(c)));
  return out;
}

// The pre-tokenizer of kDeepSeekPreTokenizerJson, built from the same JSON that goes into the written file so the
// two cannot drift apart. Only the step types that JSON holds are read.
PreTokenizer deepseek_pre_tokenizer() {
  const std::string where = "built-in DeepSeek-V3 pre_tokenizer";
  const nlohmann::json j = nlohmann::json::parse(kDeepSeekPreTokenizerJson);
  PreTokenizer pre;
  for (const auto& step : j.at("pretokenizers")) {
    const std::string type = step.at("type").get<std::string>();
    if (type == "Split") {
      pre.add_split(Regex::compile(step.at("pattern").at("Regex").get<std::string>(), where),
                    split_behavior_from_name(step.at("behavior").get<std::string>(), where),
                    step.at("invert").get<bool>(), where);
    } else if (type == "ByteLevel") {
      pre.add_byte_level(step.at("add_prefix_space").get<bool>(), step.at("use_regex").get<bool>(), where);
    } else {
      throw Error(where + ": unexpected step " + type);
    }
  }
  return pre;
}

uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
int32_t key_left(uint64_t k) { return int32_t(k >> 32); }
int32_t key_right(uint64_t k) { return int32_t(k & 0xffffffffu); }

// A queue entry: its count may be stale (too high); it is corrected when it reaches the top.
struct Candidate {
  int64_t count;
  int32_t left, right;
};
// Highest count first; on ties the smaller (left, right) first.
struct CandidateOrder {
  bool operator()(const Candidate& x, const Candidate& y) const {
    if (x.count != y.count) return x.count < y.count;
    return std::tie(x.left, x.right) > std::tie(y.left, y.right);
  }
};

// All words as symbol ids, back to back; a merge shortens a word in place.
struct Word {
  size_t off;
  uint32_t len;
  int64_t count;
};

class Merger {
 public:
  Merger(std::vector<int32_t> syms, std::vector<Word> words) : syms_(std::move(syms)), words_(std::move(words)) {
    for (uint32_t w = 0; w < words_.size(); w++) {
      const Word& wd = words_[w];
      for (uint32_t i = 0; i + 1 < wd.len; i++) {
        uint64_t k = pair_key(syms_[wd.off + i], syms_[wd.off + i + 1]);
        count_[k] += wd.count;
        auto& list = where_[k];
        if (list.empty() || list.back() != w) list.push_back(w);
      }
    }
    std::vector<Candidate> init;
    init.reserve(count_.size());
    for (const auto& [k, c] : count_) init.push_back({c, key_left(k), key_right(k)});
    queue_ = std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder>(CandidateOrder(), std::move(init));
  }

  // The most frequent pair (ties: the smaller pair) among those not excluded, with an exact count; false when no
  // pair is left.
  bool best(Candidate& out, const std::unordered_set<uint64_t>& excluded) {
    while (!queue_.empty()) {
      Candidate top = queue_.top();
      queue_.pop();
      uint64_t k = pair_key(top.left, top.right);
      if (excluded.count(k)) continue;
      auto it = count_.find(k);
      int64_t actual = it == count_.end() ? 0 : it->second;
      if (actual <= 0) continue;
      if (actual != top.count) {
        queue_.push({actual, top.left, top.right});
        continue;
      }
      out = top;
      return true;
    }
    return false;
  }

  // Replaces every occurrence of (a, b) by m (leftmost first, so "aaa" with (a, a) becomes "m a") and updates the
  // counts of the pairs around them.
  void merge(int32_t a, int32_t b, int32_t m) {
    uint64_t key = pair_key(a, b);
    auto wit = where_.find(key);
    if (wit == where_.end()) return;
    std::vector<uint32_t> list = std::move(wit->second);
    where_.erase(wit);
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    deltas_.clear();
    for (uint32_t w : list) merge_word(w, a, b, m);
    // Sum the changes per pair, then apply them; only pairs that gained get a (new, exact) queue entry.
    std::sort(deltas_.begin(), deltas_.end());
    for (size_t i = 0; i < deltas_.size();) {
      uint64_t k = deltas_[i].first;
      int64_t d = 0;
      for (; i < deltas_.size() && deltas_[i].first == k; i++) d += deltas_[i].second;
      if (d == 0) continue;
      int64_t& c = count_[k];
      c += d;
      if (c <= 0) {
        count_.erase(k);
        where_.erase(k);
      } else if (d > 0) {
        queue_.push({c, key_left(k), key_right(k)});
      }
    }
  }

 private:
  void merge_word(uint32_t w, int32_t a, int32_t b, int32_t m) {
    Word& wd = words_[w];
    const uint32_t n = wd.len;
    if (n < 2) return;
    int32_t* s = syms_.data() + wd.off;
    old_.assign(s, s + n);
    consumed_.assign(n, 0);
    fresh_.assign(n, 0);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; k++) {
      if (i + 1 < n && old_[i] == a && old_[i + 1] == b) {
        s[k] = m;
        fresh_[k] = 1;
        consumed_[i] = consumed_[i + 1] = 1;
        i += 2;
      } else {
        s[k] = old_[i];
        i += 1;
      }
    }
    if (k == n) return;  // a stale entry of the where-list: the word no longer holds the pair
    wd.len = k;
    // Pairs touching a merged symbol disappear; pairs touching a new symbol appear.
    for (uint32_t j = 0; j + 1 < n; j++)
      if (consumed_[j] || consumed_[j + 1]) deltas_.emplace_back(pair_key(old_[j], old_[j + 1]), -wd.count);
    for (uint32_t j = 0; j + 1 < k; j++) {
      if (!fresh_[j] && !fresh_[j + 1]) continue;
      uint64_t pk = pair_key(s[j], s[j + 1]);
      deltas_.emplace_back(pk, wd.count);
      auto& lst = where_[pk];
      if (lst.empty() || lst.back() != w) lst.push_back(w);
    }
  }

  std::vector<int32_t> syms_;
  std::vector<Word> words_;
  std::unordered_map<uint64_t, int64_t> count_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> where_;  // words that may hold the pair
  std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue_;
  std::vector<std::pair<uint64_t, int64_t>> deltas_;
  std::vector<int32_t> old_;
  std::vector<uint8_t> consumed_, fresh_;
};

}  // namespace

int32_t BpeVocab::byte_id(uint8_t b) const { return n_specials + byte_order().rank[b]; }

struct BpeTrainer::Counts {
  PreTokenizer pre = deepseek_pre_tokenizer();
  PreTokenizeScratch scratch;
  std::string repaired;
  std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>> words;
  int64_t total = 0;
};

BpeTrainer::BpeTrainer(BpeTrainOptions options) : opt_(std::move(options)), counts_(std::make_unique<Counts>()) {
  std::unordered_set<std::string> seen;
  std::unordered_set<std::string> byte_texts;
  for (int b = 0; b < 256; b++) byte_texts.insert(byte_level_text(std::string(1, char(b))));
  auto add = [&](const std::string& s) {
    if (s.empty()) throw Error("special token: an empty string is not a token");
    if (utf8::first_invalid(s) != s.size()) throw Error("special token '" + s + "' is not valid UTF-8");
    if (byte_texts.count(s)) throw Error("special token '" + s + "' is spelled like the token of a single byte");
    if (seen.insert(s).second) specials_.push_back(s);
  };
  for (const std::string& s : default_special_tokens()) add(s);
  for (const std::string& s : opt_.extra_specials) add(s);
  const int64_t least = int64_t(specials_.size()) + 256;
  if (opt_.vocab_size < least)
    throw Error("vocab size " + std::to_string(opt_.vocab_size) + " is smaller than the 256 byte tokens + " +
                std::to_string(specials_.size()) + " special tokens (at least " + std::to_string(least) + ")");
  if (opt_.vocab_size > (int64_t(1) << 30))
    throw Error("vocab size " + std::to_string(opt_.vocab_size) + " is too large (at most 2^30)");
  if (opt_.min_frequency < 0) throw Error("min frequency must not be negative");
}

BpeTrainer::~BpeTrainer() = default;

void BpeTrainer::add_word(std::string_view word, int64_t count) {
  if (word.empty() || count <= 0) return;
  auto it = counts_->words.find(word);
  if (it == counts_->words.end()) it = counts_->words.emplace(std::string(word), 0).first;
  it->second += count;
  counts_->total += count;
}

void BpeTrainer::add_text(std::string_view text) {
  Counts& c = *counts_;
  if (utf8::first_invalid(text) != text.size()) {
    c.repaired.clear();
    utf8::append_lossy(c.repaired, text, false);
    text = c.repaired;
  }
  auto sink = [this](std::string_view piece) { add_word(piece, 1); };
  c.pre.run(text, c.scratch, PieceSink(sink));
}

int64_t BpeTrainer::distinct_words() const { return int64_t(counts_->words.size()); }
int64_t BpeTrainer::total_words() const { return counts_->total; }
int64_t BpeTrainer::word_count(std::string_view word) const {
  auto it = counts_->words.find(word);
  return it == counts_->words.end() ? 0 : it->second;
}

BpeVocab BpeTrainer::train() const {
  if (counts_->words.empty()) throw Error("no text to train on (the inputs hold no words)");
  const ByteOrder& order = byte_order();
  BpeVocab v;
  v.n_specials = int32_t(specials_.size());
  v.tokens = specials_;
  // Symbols inside the trainer: 0..255 the byte tokens (in id order), then merged tokens; id = n_specials + symbol.
  std::vector<std::string> sym_bytes;
  std::unordered_map<std::string, int32_t> sym_of_bytes;
  for (int r = 0; r < 256; r++) {
    std::string one(1, char(order.byte_at[size_t(r)]));
    sym_bytes.push_back(one);
    sym_of_bytes.emplace(one, r);
    v.tokens.push_back(byte_level_text(one));
  }
  std::unordered_set<std::string> special_set(specials_.begin(), specials_.end());

  // Words in a fixed order (by text), so the where-lists and everything after are the same on every run.
  std::vector<const std::pair<const std::string, int64_t>*> sorted;
  sorted.reserve(counts_->words.size());
  size_t total_len = 0;
  for (const auto& e : counts_->words) sorted.push_back(&e), total_len += e.first.size();
  std::sort(sorted.begin(), sorted.end(), [](auto* x, auto* y) { return x->first < y->first; });
  std::vector<int32_t> syms;
  std::vector<Word> words;
  syms.reserve(total_len);
  words.reserve(sorted.size());
  for (const auto* e : sorted) {
    words.push_back({syms.size(), uint32_t(e->first.size()), e->second});
    for (char ch : e->first) syms.push_back(order.rank[uint8_t(ch)]);
  }
  Merger merger(std::move(syms), std::move(words));

  const int64_t target = opt_.vocab_size;
  std::unique_ptr<Progress> bar;
  if (opt_.progress) bar = std::make_unique<Progress>("merges", target - v.size(), "merge");
  std::unordered_set<uint64_t> excluded;  // pairs whose text is a special token's
  const int64_t min_count = std::max<int64_t>(1, opt_.min_frequency);
  Candidate top;
  while (v.size() < target && merger.best(top, excluded)) {
    if (top.count < min_count) break;
    std::string bytes = sym_bytes[size_t(top.left)] + sym_bytes[size_t(top.right)];
    std::string text = byte_level_text(bytes);
    if (special_set.count(text)) {
      excluded.insert(pair_key(top.left, top.right));
      continue;
    }
    int32_t m;
    auto it = sym_of_bytes.find(bytes);
    if (it != sym_of_bytes.end()) {
      m = it->second;
    } else {
      m = int32_t(sym_bytes.size());
      sym_of_bytes.emplace(bytes, m);
      sym_bytes.push_back(std::move(bytes));
      v.tokens.push_back(std::move(text));
      if (bar) bar->add(1);
    }
    v.merges.push_back({v.n_specials + top.left, v.n_specials + top.right, v.n_specials + m, top.count});
    merger.merge(top.left, top.right, m);
  }
  if (bar) bar->done();
  return v;
}

// ---------------------------------------------------------------- files

std::string bpe_tokenizer_json(const BpeVocab& v) {
  ojson added = ojson::array();
  for (int32_t i = 0; i < v.n_specials; i++) {
    added.push_back({{"id", i},
                     {"content", v.tokens[size_t(i)]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  ojson vocab = ojson::object();
  for (int32_t i = 0; i < v.size(); i++) vocab[v.tokens[size_t(i)]] = i;
  ojson merges = ojson::array();
  for (const auto& m : v.merges) merges.push_back(v.tokens[size_t(m.left)] + " " + v.tokens[size_t(m.right)]);
  ojson model = {{"type", "BPE"},
                 {"dropout", nullptr},
                 {"unk_token", nullptr},
                 {"continuing_subword_prefix", nullptr},
                 {"end_of_word_suffix", nullptr},
                 {"fuse_unk", false},
                 {"byte_fallback", false}};
  model["vocab"] = std::move(vocab);
  model["merges"] = std::move(merges);
  // Everything but the model as in DeepSeek-V3's tokenizer.json.
  ojson j = {{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}};
  j["added_tokens"] = std::move(added);
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", ojson::array()}};
  j["pre_tokenizer"] = ojson::parse(kDeepSeekPreTokenizerJson);
  j["post_processor"] = {
      {"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}};
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  j["model"] = std::move(model);
  return j.dump(2) + "\n";
}

std::string bpe_tokenizer_config_json(const BpeVocab& v) {
  check(v.n_specials >= 3, "a trained vocabulary must hold the BOS, EOS and pad tokens");
  // No BOS is added in front of text: the token shards seek trains on hold documents followed by EOS only. The chat
  // template writes BOS itself.
  ojson j = {{"add_bos_token", false},
             {"add_eos_token", false},
             {"bos_token", v.tokens[0]},
             {"eos_token", v.tokens[1]},
             {"pad_token", v.tokens[2]},
             {"unk_token", nullptr},
             {"clean_up_tokenization_spaces", false},
             {"legacy", true},
             {"tokenizer_class", "LlamaTokenizerFast"},
             {"chat_template", builtin_chat_source(BuiltinChat::deepseek_r1)}};
  return j.dump(2) + "\n";
}

void write_bpe_tokenizer(const BpeVocab& v, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir)) throw Error(dir + ": cannot create the output folder");
  const std::filesystem::path d(dir);
  std::string tok = bpe_tokenizer_json(v), cfg = bpe_tokenizer_config_json(v);
  write_file_atomic((d / "tokenizer.json").string(), tok.data(), tok.size());
  write_file_atomic((d / "tokenizer_config.json").string(), cfg.data(), cfg.size());
}

}  // namespace seek
