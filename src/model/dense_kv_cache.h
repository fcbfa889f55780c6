// Per-sequence K/V cache of a dense (Qwen2/Llama) model: per layer the rotated keys and the values of every cached
// token, each [len, kv_heads, head_dim] row-major, in f32. Grows on demand (doubling), as KVCache does.
#pragma once
#include <cstdint>
#include <vector>

#include "model/language_model.h"

namespace seek {

class DenseKVCache : public SequenceCache {
 public:
  DenseKVCache(int64_t layers, int64_t kv_heads, int64_t head_dim);

  int64_t len() const override { return len_; }
  // Truncate to n tokens (0 <= n <= len()); throws Error otherwise.
  void set_len(int64_t n) override;
  size_t bytes_per_token() const override { return 2 * size_t(row_) * k_.size() * sizeof(float); }

  int64_t layers() const { return int64_t(k_.size()); }
  int64_t kv_heads() const { return kv_heads_; }
  int64_t head_dim() const { return head_dim_; }
  int64_t row() const { return row_; }  // values per token per layer in k() and v(): kv_heads * head_dim
  int64_t capacity() const { return cap_; }
  void reserve(int64_t n);  // capacity >= n tokens; keeps the cached rows
  // Marks tokens [len(), n) as written (n <= capacity()): the model calls it after filling their rows.
  void extend_to(int64_t n);
  float* k(int64_t layer) { return k_[size_t(layer)].data(); }  // [capacity, kv_heads, head_dim]
  float* v(int64_t layer) { return v_[size_t(layer)].data(); }  // [capacity, kv_heads, head_dim]

 private:
  int64_t len_ = 0, cap_ = 0, kv_heads_ = 0, head_dim_ = 0, row_ = 0;
  std::vector<std::vector<float>> k_, v_;
};

}  // namespace seek
