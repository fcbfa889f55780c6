// Byte-pair encoding of one pre-token, as the reference tokenizer's BPE model does it: start from one symbol per
// character (per byte, for byte-level vocabularies), then repeatedly merge the adjacent pair with the lowest merge
// rank (the leftmost such pair on ties) until no adjacent pair has a merge.
// Merges live in an open-addressing hash map keyed by the pair of token ids. Encoded words are remembered in a
// per-thread cache (BpeScratch), so frequent words cost one hash lookup.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace seek {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using Vocab = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// Per-thread working memory of BpeModel::encode_word, including the word cache.
class BpeScratch {
 public:
  BpeScratch();

 private:
  friend class BpeModel;
  struct Slot {        // 16 bytes, so the table stays in cache
    uint32_t tag = 0;  // high half of the hash with the low bit set; 0: empty
    uint32_t key_off = 0, val_off = 0;
    uint16_t key_len = 0, val_len = 0;
  };
  const Slot* find(std::string_view word, uint64_t hash) const;
  void insert(std::string_view word, uint64_t hash, const int32_t* ids, size_t n);
  void clear();

  std::vector<Slot> slots_;
  size_t used_ = 0;
  std::string keys_;
  std::vector<int32_t> values_;
  // merge working arrays
  std::vector<int32_t> ids_, ranks_, merged_, prev_, next_;
  std::string mapped_;
};

class BpeModel {
 public:
  // `vocab` maps token text (byte-level characters for byte-level models) to id.
  explicit BpeModel(Vocab vocab = {});

  const Vocab& vocab() const { return vocab_; }
  int32_t token_id(std::string_view text) const {
    auto it = vocab_.find(text);
    return it == vocab_.end() ? -1 : it->second;
  }

  // Declares the next merge (rank = number of merges declared before it). A pair declared twice keeps the later
  // rank, as the reference does.
  void add_merge(int32_t left, int32_t right, int32_t merged);
  size_t merge_count() const { return merge_count_; }
  void reserve_merges(size_t n);

  // Byte-level models start from one symbol per byte (the token of the byte's alphabet character).
  void set_byte_level(bool on);
  bool byte_level() const { return byte_level_; }
  void set_unk(int32_t id, bool fuse) { unk_ = id, fuse_unk_ = fuse; }
  void set_byte_fallback(bool on);  // characters missing from the vocabulary become <0xAB> tokens
  void set_ignore_merges(bool on) { ignore_merges_ = on; }

  // Appends the ids of one pre-token (raw UTF-8 bytes of the piece) to out.
  void encode_word(std::string_view word, BpeScratch& scratch, std::vector<int32_t>& out) const;

 private:
  struct Merge {
    uint64_t key = ~uint64_t(0);  // ~0: empty slot
    int32_t rank = 0, merged = 0;
  };
  static uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
  const Merge* find_merge(int32_t a, int32_t b) const;
  void grow_merges();
  void initial_symbols(std::string_view word, BpeScratch& s) const;
  void merge_small(BpeScratch& s) const;
  void merge_large(BpeScratch& s) const;

  Vocab vocab_;
  std::vector<Merge> merges_;
  size_t merge_count_ = 0, merge_used_ = 0;
  bool byte_level_ = false, fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  int32_t unk_ = -1;
  std::array<int32_t, 256> byte_token_{};
  std::array<int32_t, 256> byte_fallback_token_{};  // "<0xAB>" tokens, for byte_fallback
};

}  // namespace seek
