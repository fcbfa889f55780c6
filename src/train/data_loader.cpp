#include "train/data_loader.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"

namespace seek {

const char* split_name(Split s) { return s == Split::train ? "train" : "val"; }

// ---------------------------------------------------------------- dataset

TokenDataset::TokenDataset(const std::string& dir)
    : dir_(dir), index_(std::make_shared<const TokenShardsIndex>(read_token_shards_index(dir))) {
  const size_t bytes = token_dtype_bytes(index_->dtype);
  for (Split s : {Split::train, Split::val}) {
    const SplitInfo& info = s == Split::train ? index_->train : index_->val;
    std::vector<Shard>& out = s == Split::train ? train_ : val_;
    int64_t begin = 0;
    for (const ShardInfo& sh : info.shards) {
      Shard x;
      x.path = (std::filesystem::path(dir) / sh.file).string();
      x.begin = begin;
      x.tokens = sh.tokens;
      x.map = MappedFile::open(x.path);
      const uint64_t want = uint64_t(sh.tokens) * bytes;
      if (x.map->size() != want)
        throw Error(x.path + ": " + std::to_string(x.map->size()) + " bytes, but index.json says " +
                    std::to_string(sh.tokens) + " tokens of " + token_dtype_name(index_->dtype) + " (" +
                    std::to_string(want) + " bytes)");
      begin += sh.tokens;
      if (sh.tokens > 0) out.push_back(std::move(x));
    }
  }
}

int64_t TokenDataset::tokens(Split s) const { return s == Split::train ? index_->train.tokens : index_->val.tokens; }
int64_t TokenDataset::documents(Split s) const {
  return s == Split::train ? index_->train.documents : index_->val.documents;
}

int64_t TokenDataset::windows(Split s, int64_t seq_len) const {
  check(seq_len >= 1, "sequence length must be at least 1");
  int64_t n = tokens(s);
  return n >= 1 ? (n - 1) / seq_len : 0;
}

void TokenDataset::read(Split s, int64_t start, int64_t n, int32_t* out) const {
  if (start < 0 || n < 0 || start + n > tokens(s))
    throw Error(dir_ + ": tokens [" + std::to_string(start) + ", " + std::to_string(start + n) + ") are outside the " +
                split_name(s) + " split's " + std::to_string(tokens(s)) + " tokens");
  const std::vector<Shard>& sh = shards(s);
  // The shard holding `start`: the last one beginning at or before it.
  auto it = std::upper_bound(sh.begin(), sh.end(), start, [](int64_t x, const Shard& y) { return x < y.begin; });
  size_t k = size_t(it - sh.begin()) - 1;
  const bool u16 = index_->dtype == TokenDtype::u16;
  const int64_t vocab = index_->vocab_size;
  while (n > 0) {
    const Shard& shard = sh[k];
    const int64_t off = start - shard.begin;
    const int64_t take = std::min(n, shard.tokens - off);
    const uint8_t* p = shard.map->data() + off * (u16 ? 2 : 4);
    for (int64_t i = 0; i < take; i++) {
      uint32_t v = u16 ? uint32_t(p[2 * i]) | uint32_t(p[2 * i + 1]) << 8
                       : uint32_t(p[4 * i]) | uint32_t(p[4 * i + 1]) << 8 | uint32_t(p[4 * i + 2]) << 16 |
                             uint32_t(p[4 * i + 3]) << 24;
      if (int64_t(v) >= vocab)
        throw Error(shard.path + ": token " + std::to_string(off + i) + " is " + std::to_string(v) +
                    ", not below the vocabulary size " + std::to_string(vocab));
      out[i] = int32_t(v);
    }
    out += take, start += take, n -= take;
    k++;
  }
}

// ---------------------------------------------------------------- permutation

namespace {

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

WindowPermutation::WindowPermutation(uint64_t n, uint64_t key) : n_(n) {
  check(n >= 1, "a permutation needs at least one element");
  uint64_t state = key;
  auto next = [&] { return mix64(state += 0x9e3779b97f4a7c15ull); };
  if (n <= kTableMax) {
    auto t = std::make_shared<std::vector<uint32_t>>(size_t(n));
    for (uint64_t i = 0; i < n; i++) (*t)[size_t(i)] = uint32_t(i);
    for (uint64_t i = n - 1; i > 0; i--) {
      // Uniform in [0, i] by multiply-high (the same on every platform, unlike std::uniform_int_distribution).
      uint64_t j = uint64_t((static_cast<unsigned __int128>(next()) * (i + 1)) >> 64);
      std::swap((*t)[size_t(i)], (*t)[size_t(j)]);
    }
    table_ = std::move(t);
    return;
  }
  // The cipher works on 2 * half_bits bits, the smallest even width holding n - 1, so cycle walking below takes
  // fewer than 4 steps on average.
  int bits = 0;
  while (bits < 64 && ((n - 1) >> bits) != 0) bits++;
  half_bits_ = (bits + 1) / 2;
  half_mask_ = (uint64_t(1) << half_bits_) - 1;
  for (uint64_t& k : keys_) k = next();
}

uint64_t WindowPermutation::operator()(uint64_t i) const {
  check(i < n_, "permutation index out of range");
  if (table_) return (*table_)[size_t(i)];
  uint64_t x = i;
  do {
    // Eight Feistel rounds: a bijection of [0, 2^(2 * half_bits)); values outside [0, n) are encrypted again until
    // they land inside, which keeps it a bijection of [0, n).
    uint64_t l = x >> half_bits_, r = x & half_mask_;
    for (uint64_t k : keys_) {
      uint64_t f = mix64(k ^ r) & half_mask_;
      uint64_t nl = r;
      r = l ^ f;
      l = nl;
    }
    x = (l << half_bits_) | r;
  } while (x >= n_);
  return x;
}

// ---------------------------------------------------------------- loader

DataLoader::DataLoader(const TokenDataset& data, Split split, int64_t seq_len, int64_t batch, uint64_t seed)
    : data_(data), split_(split), seq_len_(seq_len), batch_(batch), seed_(seed), windows_(0), perm_(1, 0) {
  check(seq_len >= 1, "sequence length must be at least 1");
  check(batch >= 1, "batch size must be at least 1");
  int64_t w = data_.windows(split, seq_len);
  if (w < 1)
    throw Error(data_.dir() + ": the " + std::string(split_name(split)) + " split has " +
                std::to_string(data_.tokens(split)) +
                " tokens, fewer than one window of sequence length + 1 = " + std::to_string(seq_len + 1));
  windows_ = uint64_t(w);
  start_epoch();
}

void DataLoader::start_epoch() { perm_ = WindowPermutation(windows_, mix64(seed_ + epoch_)); }

uint64_t DataLoader::peek_window() const {
  if (position_ < windows_) return perm_(position_);
  return WindowPermutation(windows_, mix64(seed_ + epoch_ + 1))(0);
}

void DataLoader::next_batch(int32_t* tokens) {
  const int64_t row = seq_len_ + 1;
  for (int64_t r = 0; r < batch_; r++) {
    if (position_ == windows_) {
      epoch_++;
      position_ = 0;
      start_epoch();
    }
    uint64_t w = perm_(position_++);
    data_.read(split_, int64_t(w) * seq_len_, row, tokens + r * row);
  }
}

void DataLoader::restore(State s) {
  if (s.position > windows_)
    throw Error("data loader state: position " + std::to_string(s.position) + " is past the " +
                std::to_string(windows_) + " windows of an epoch (a different dataset or sequence length?)");
  epoch_ = s.epoch;
  position_ = s.position;
  start_epoch();
}

// ---------------------------------------------------------------- validation

ValidationWindows::ValidationWindows(const TokenDataset& data, int64_t seq_len, int64_t max_windows, Split split)
    : data_(data), split_(split), seq_len_(seq_len) {
  count_ = data_.windows(split, seq_len);
  if (max_windows > 0) count_ = std::min(count_, max_windows);
}

int64_t ValidationWindows::next_batch(int32_t* tokens, int64_t batch) {
  const int64_t row = seq_len_ + 1;
  int64_t r = 0;
  for (; r < batch && next_ < count_; r++, next_++) data_.read(split_, next_ * seq_len_, row, tokens + r * row);
  return r;
}

}  // namespace seek
