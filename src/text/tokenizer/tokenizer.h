// Text <-> token ids, exactly as the reference tokenizer does it for byte-level BPE models such as
// DeepSeek-V3/R1 and Qwen2/Qwen3 (R1-Distill):
//   added-token matching -> normalizer -> pre-tokenizer (regex splits, byte-level) -> BPE merges,
// and for decoding: tokens -> byte-level decoder -> UTF-8 (ill-formed parts become U+FFFD).
// Loaded from a tokenizer.json, a model folder holding one, or the tokenizer.ggml.* keys of a GGUF file.
// A Tokenizer is cheap to copy (the tables are shared and immutable) and safe to use from many threads.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace seek {

class GgufFile;
struct TokenizerImpl;

class Tokenizer {
 public:
  // A tokenizer.json file. Beside it, tokenizer_config.json (if present) supplies the BOS/EOS tokens.
  static Tokenizer from_json_file(const std::string& path);
  // tokenizer.json text; `origin` names it in error messages. config_json may hold tokenizer_config.json text.
  static Tokenizer from_json_string(std::string_view json, const std::string& origin,
                                    std::string_view config_json = {});
  static Tokenizer from_gguf(const GgufFile& gguf);
  // A tokenizer.json file, a folder holding tokenizer.json, or a .gguf file.
  static Tokenizer from_path(const std::string& path);

  // Token ids of `text`. Special tokens spelled in the text (e.g. "<｜end▁of▁sentence｜>") become their ids only
  // when allow_special is set; otherwise they are encoded as ordinary text. Non-special added tokens are always
  // recognised, as the reference does. Text that is not valid UTF-8 is repaired first (U+FFFD per bad sequence).
  // Never adds BOS; see add_bos.
  std::vector<int32_t> encode(std::string_view text, bool allow_special = false) const;
  void encode_append(std::string_view text, bool allow_special, std::vector<int32_t>& out) const;

  // Text of the ids. Ids without a token are skipped, as the reference does; skip_special drops special tokens.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const;
  std::string decode(const int32_t* ids, size_t n, bool skip_special = false) const;

  // The token's text as stored in the vocabulary (byte-level form, e.g. "Ġworld"); throws Error for ids outside
  // [0, vocab_size()); "" for an id without a token.
  std::string token_text(int32_t id) const;
  // The bytes decode() writes for this id on its own (before UTF-8 repair); "" for ids without a token.
  std::string_view token_bytes(int32_t id) const;
  // Id of the token with this stored text (added tokens first), or -1.
  int32_t token_id(std::string_view text) const;
  bool is_special(int32_t id) const;

  int32_t vocab_size() const;  // 1 + the largest id
  int32_t bos_id() const;      // -1 if unknown
  int32_t eos_id() const;      // -1 if unknown
  const std::string& origin() const;

  bool add_bos = false;  // whether the model expects BOS in front of every sequence (callers prepend it)

 private:
  friend class TokenStreamDecoder;
  explicit Tokenizer(std::shared_ptr<const TokenizerImpl> impl);
  std::shared_ptr<const TokenizerImpl> impl_;
};

// Turns a stream of generated ids into text as soon as it is complete: feed() returns the new text, holding back
// an incomplete UTF-8 sequence until the bytes that finish it arrive. The concatenation of all feed() results and
// finish() equals Tokenizer::decode of all the ids.
class TokenStreamDecoder {
 public:
  explicit TokenStreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);
  std::string feed(int32_t id);
  // Flushes what is held back (an unfinished sequence becomes U+FFFD) and resets the decoder.
  std::string finish();

 private:
  Tokenizer tok_;
  bool skip_special_;
  bool first_ = true;
  std::string pending_;
};

}  // namespace seek
