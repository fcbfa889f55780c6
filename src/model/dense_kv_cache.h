// Per-sequence K/V cache of a dense (Qwen2/Llama) model: per layer the rotated keys (a) and the values (b) of every
// cached token, each [len, kv_heads, head_dim] row-major, in f32.
#pragma once
#include <cstdint>
#include <memory>

#include "model/kv_store.h"

namespace seek {

class DenseKVCache : public KVStore {
 public:
  DenseKVCache(int64_t layers, int64_t kv_heads, int64_t head_dim);

  std::unique_ptr<SequenceCache> clone(int64_t n) const override;
  int64_t kv_heads() const { return kv_heads_; }
  int64_t head_dim() const { return head_dim_; }
  int64_t row() const { return row_a(); }       // values per token per layer in k() and v(): kv_heads * head_dim
  float* k(int64_t layer) { return a(layer); }  // [capacity, kv_heads, head_dim]
  float* v(int64_t layer) { return b(layer); }  // [capacity, kv_heads, head_dim]

 private:
  int64_t kv_heads_ = 0, head_dim_ = 0;
};

}  // namespace seek
