// Training a byte-level BPE vocabulary from text, written as a Hugging Face tokenizer.json that the Tokenizer in
// formats/ (and the reference tokenizer) load.
//
// Text is cut into words by DeepSeek-V3's pre-tokenizer (the Split regexes + ByteLevel sequence of its
// tokenizer.json, run by formats/pretokenize), the distinct words are counted, and each word starts as its bytes.
// Then, until the vocabulary reaches the asked size, the most frequent adjacent pair of symbols (counted over all
// words, weighted by word count) becomes a new token and is merged everywhere. Pair counts are kept up to date
// incrementally (only the words holding the merged pair are touched) and the best pair comes from a priority queue
// whose stale entries are corrected when they surface, as the standard trainers do.
//
// Tie-break: among pairs with the same count, the pair with the smaller (left id, right id) wins, ids as below.
// This is the reference trainer's rule; with the same id order it gives the same merges.
//
// Ids: special tokens first (0, 1, ... in the order given, DeepSeek's defaults first), then the 256 byte tokens in
// the order of their byte-level characters' code points ("!" first, as GPT-2-style vocabularies and DeepSeek-V3's
// order them), then one id per merge in the order the merges were made. A merge whose text equals a token that
// exists already reuses that token's id (it can happen: "a"+"bc" and "ab"+"c"); a merge whose text equals a special
// token is never made.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seek {

// <｜begin▁of▁sentence｜> (id 0), <｜end▁of▁sentence｜> (id 1), <｜▁pad▁｜>, <｜User｜>, <｜Assistant｜>, <think>,
// </think>.
const std::vector<std::string>& default_special_tokens();

// DeepSeek-V3's pre_tokenizer object from its tokenizer.json, as JSON text.
extern const char* const kDeepSeekPreTokenizerJson;

struct BpeTrainOptions {
  int64_t vocab_size = 0;                   // specials + 256 bytes + merges; the training stops there
  std::vector<std::string> extra_specials;  // after the defaults (duplicates of them are ignored)
  int64_t min_frequency = 2;                // pairs seen fewer times are never merged (the vocabulary may end smaller)
  bool progress = false;                    // a progress bar over the merges on stderr
};

// A trained vocabulary: token i's text is `tokens[i]` (byte-level characters for byte and merged tokens, the raw
// text for specials); merges[r] = (left id, right id, merged id) of rank r.
struct BpeVocab {
  std::vector<std::string> tokens;
  int32_t n_specials = 0;
  struct Merge {
    int32_t left, right, merged;
    int64_t count;  // how often the pair occurred when it was merged
  };
  std::vector<Merge> merges;

  int32_t size() const { return int32_t(tokens.size()); }
  int32_t byte_id(uint8_t b) const;  // the id of the token of one byte
};

class BpeTrainer {
 public:
  // Throws Error if vocab_size cannot hold the byte tokens and specials, or a special token is empty, not valid
  // UTF-8 or spelled like a byte token.
  explicit BpeTrainer(BpeTrainOptions options);
  ~BpeTrainer();
  BpeTrainer(const BpeTrainer&) = delete;
  BpeTrainer& operator=(const BpeTrainer&) = delete;

  // Pre-tokenizes `text` (ill-formed UTF-8 is repaired with U+FFFD first, as encoding does) and counts its words.
  void add_text(std::string_view text);
  // Counts one word as it is (tests, and callers with their own pre-tokenizer).
  void add_word(std::string_view word, int64_t count = 1);

  int64_t distinct_words() const;
  int64_t total_words() const;
  int64_t word_count(std::string_view word) const;  // how often `word` was counted
  const std::vector<std::string>& specials() const { return specials_; }

  // Runs the merges. Throws Error if no word was counted.
  BpeVocab train() const;

 private:
  struct Counts;
  BpeTrainOptions opt_;
  std::vector<std::string> specials_;
  std::unique_ptr<Counts> counts_;
};

// The Hugging Face tokenizer.json of a trained vocabulary (DeepSeek-V3's normalizer, pre-tokenizer, post-processor
// and decoder; the specials as special added tokens).
std::string bpe_tokenizer_json(const BpeVocab& vocab);
// tokenizer_config.json: BOS/EOS/pad tokens and the built-in DeepSeek-R1 chat template.
std::string bpe_tokenizer_config_json(const BpeVocab& vocab);
// Writes both into `dir` (created if missing), each atomically.
void write_bpe_tokenizer(const BpeVocab& vocab, const std::string& dir);

}  // namespace seek
