// Per-sequence attention state as token rows: for every layer two row-major planes, `a` [capacity, row_a] and
// `b` [capacity, row_b], in f32. The MLA cache (latent + rope key, or materialized K/V) and the dense models' K/V
// cache are both this; they differ only in what a row holds. Storage grows on demand (doubling), so a long context
// costs memory only when used.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/language_model.h"

namespace seek {

class KVStore : public SequenceCache {
 public:
  // `kind` names the layout (e.g. "mla-absorb") so that bytes saved by one layout are never loaded into another.
  KVStore(std::string kind, int64_t layers, int64_t row_a, int64_t row_b);

  int64_t len() const override { return len_; }
  // Truncate to n tokens (0 <= n <= len()); throws Error otherwise.
  void set_len(int64_t n) override;
  size_t bytes_per_token() const override { return size_t(row_a_ + row_b_) * a_.size() * sizeof(float); }
  std::string serialize(int64_t n) const override;
  void deserialize(const std::string& bytes) override;

  int64_t layers() const { return int64_t(a_.size()); }
  int64_t row_a() const { return row_a_; }  // values per token per layer in a()
  int64_t row_b() const { return row_b_; }  // values per token per layer in b()
  int64_t capacity() const { return cap_; }
  void reserve(int64_t n);  // capacity >= n tokens; keeps the cached rows
  // Marks tokens [len(), n) as written (len() <= n <= capacity()): the model calls it after its last layer.
  void extend_to(int64_t n);
  float* a(int64_t layer) { return a_[size_t(layer)].data(); }  // [capacity, row_a]
  float* b(int64_t layer) { return b_[size_t(layer)].data(); }  // [capacity, row_b]
  const float* a(int64_t layer) const { return a_[size_t(layer)].data(); }
  const float* b(int64_t layer) const { return b_[size_t(layer)].data(); }

 protected:
  // Copies this store's layout and first n rows into `dst` (same kind and shape, as made by a subclass's clone).
  void copy_prefix_to(KVStore& dst, int64_t n) const;

 private:
  std::string kind_;
  int64_t len_ = 0, cap_ = 0, row_a_ = 0, row_b_ = 0;
  std::vector<std::vector<float>> a_, b_;
};

}  // namespace seek
