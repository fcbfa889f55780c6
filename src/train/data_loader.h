// Reading token shards for training: a dataset over a shard folder (see token_shards.h), a shuffled batch loader
// for the train split and an in-order window iterator for validation loss.
//
// A split's token stream is cut into windows: window w holds the seq_len + 1 tokens starting at w * seq_len (the
// inputs are its first seq_len tokens, the targets its last seq_len), so consecutive windows overlap by one token
// and every token is predicted once per epoch. Windows cross document boundaries (documents are packed with EOS
// between them). A stream of L tokens has (L - 1) / seq_len whole windows; the tail that makes no whole window is
// left out.
//
// The loader visits the windows of an epoch in a pseudo-random order: a permutation of [0, windows) keyed by
// seed + epoch (a shuffle table, or for huge datasets a Feistel network that needs no memory), so a position in
// the data is just two integers. state()/restore() make a resumed run see exactly the batches it would have seen.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "train/token_shards.h"

namespace seek {

enum class Split { train, val };
const char* split_name(Split s);

class TokenDataset {
 public:
  // Reads DIR/index.json (validated: errors name the file and field) and maps every shard (its size must match
  // the index).
  explicit TokenDataset(const std::string& dir);

  const TokenShardsIndex& index() const { return *index_; }
  const std::string& dir() const { return dir_; }
  int64_t tokens(Split s) const;
  int64_t documents(Split s) const;
  int64_t vocab_size() const { return index_->vocab_size; }
  int32_t eos_id() const { return index_->eos_id; }
  int32_t bos_id() const { return index_->bos_id; }
  // Number of whole windows of seq_len + 1 tokens at stride seq_len in the split.
  int64_t windows(Split s, int64_t seq_len) const;

  // Copies tokens [start, start + n) of the split's stream to out. Throws Error if the range is outside the stream
  // or a token is not below vocab_size (naming the shard file and position).
  void read(Split s, int64_t start, int64_t n, int32_t* out) const;

 private:
  struct Shard {
    std::string path;
    int64_t begin = 0, tokens = 0;  // position of its first token in the split's stream
    std::shared_ptr<MappedFile> map;
  };
  const std::vector<Shard>& shards(Split s) const { return s == Split::train ? train_ : val_; }

  std::string dir_;
  std::shared_ptr<const TokenShardsIndex> index_;
  std::vector<Shard> train_, val_;
};

// A bijection of [0, n) chosen by `key` (exposed for tests): a Fisher-Yates shuffle table up to kTableMax elements
// (exactly uniform), above that a keyed Feistel network with cycle walking (no memory, so any dataset size works).
class WindowPermutation {
 public:
  static constexpr uint64_t kTableMax = uint64_t(1) << 22;

  WindowPermutation(uint64_t n, uint64_t key);
  uint64_t operator()(uint64_t i) const;
  uint64_t size() const { return n_; }

 private:
  uint64_t n_;
  std::shared_ptr<const std::vector<uint32_t>> table_;
  int half_bits_ = 0;
  uint64_t half_mask_ = 0;
  uint64_t keys_[8] = {};
};

class DataLoader {
 public:
  // Throws Error if the split has no whole window of seq_len + 1 tokens, or seq_len / batch < 1.
  DataLoader(const TokenDataset& data, Split split, int64_t seq_len, int64_t batch, uint64_t seed);

  // Fills tokens[batch][seq_len + 1] (row-major) with the next `batch` windows; moves on to the next epoch (a new
  // order) after the last window of one.
  void next_batch(int32_t* tokens);

  struct State {
    uint64_t epoch = 0;     // epochs completed
    uint64_t position = 0;  // windows of the current epoch already handed out
  };
  State state() const { return {epoch_, position_}; }
  // Continues from a state() of a loader with the same dataset, split, seq_len and seed. Throws Error if the
  // position is past the epoch's windows.
  void restore(State s);

  int64_t windows_per_epoch() const { return int64_t(windows_); }
  int64_t seq_len() const { return seq_len_; }
  int64_t batch() const { return batch_; }
  // The index of the window the next row will hold (for tests and logs).
  uint64_t peek_window() const;

 private:
  void start_epoch();

  TokenDataset data_;
  Split split_;
  int64_t seq_len_, batch_;
  uint64_t seed_, windows_;
  uint64_t epoch_ = 0, position_ = 0;
  WindowPermutation perm_;
};

// Validation windows in stream order, no shuffling, at most max_windows of them (<= 0: all).
class ValidationWindows {
 public:
  ValidationWindows(const TokenDataset& data, int64_t seq_len, int64_t max_windows = 0, Split split = Split::val);

  int64_t count() const { return count_; }
  // Fills up to `batch` rows of tokens[batch][seq_len + 1] with the next windows; returns how many it filled
  // (0 when all were handed out).
  int64_t next_batch(int32_t* tokens, int64_t batch);
  void reset() { next_ = 0; }

 private:
  TokenDataset data_;
  Split split_;
  int64_t seq_len_, count_, next_ = 0;
};

}  // namespace seek
