// The tables behind a Tokenizer (private to src/formats/tokenizer*.cpp) and the per-thread scratch pool.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "text/tokenizer/bpe.h"
#include "text/tokenizer/pretokenize.h"
#include "text/tokenizer/tokenizer_added.h"
#include "text/tokenizer/tokenizer_normalize.h"

namespace seek {

// Everything one encode call needs to write; kept between calls so the word cache stays warm.
struct EncodeScratch {
  PreTokenizeScratch pre;
  BpeScratch bpe;
  std::string repaired;  // the input with ill-formed UTF-8 replaced
  std::string normalized;
};

// A free list of scratch objects: each encode call borrows one, so concurrent calls never share one and no
// call allocates after warm-up.
class ScratchPool {
 public:
  class Lease {
   public:
    Lease(ScratchPool& pool, std::unique_ptr<EncodeScratch> s) : pool_(pool), s_(std::move(s)) {}
    ~Lease() { pool_.give_back(std::move(s_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    EncodeScratch& operator*() const { return *s_; }
    EncodeScratch* operator->() const { return s_.get(); }

   private:
    ScratchPool& pool_;
    std::unique_ptr<EncodeScratch> s_;
  };
  Lease borrow();

 private:
  void give_back(std::unique_ptr<EncodeScratch> s);
  std::mutex mu_;
  std::vector<std::unique_ptr<EncodeScratch>> free_;
};

struct TokenizerImpl {
  std::string origin;  // file the tokenizer came from, for messages
  BpeModel bpe;
  Normalizer normalizer;
  PreTokenizer pre;
  std::vector<AddedToken> added;   // in file order
  bool byte_level_decoder = true;  // false: no decoder, tokens are joined with spaces
  int32_t bos = -1, eos = -1;
  bool add_bos = false;

  // Filled by finalize():
  AddedTokenMatcher added_raw, added_normalized;
  Vocab added_ids;
  std::vector<std::string> id_text;   // stored token text per id ("" where no token)
  std::vector<std::string> id_bytes;  // decoder output per id
  std::vector<uint8_t> id_flags;      // kExists | kSpecial
  static constexpr uint8_t kExists = 1, kSpecial = 2;

  mutable ScratchPool pool;

  // Builds the id tables and added-token matchers from bpe.vocab() and `added`. Throws Error naming `origin`.
  void finalize();
  void encode(std::string_view text, bool allow_special, std::vector<int32_t>& out) const;
  int32_t token_id(std::string_view text) const;
};

}  // namespace seek
