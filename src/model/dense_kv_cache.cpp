#include "model/dense_kv_cache.h"

namespace seek {

DenseKVCache::DenseKVCache(int64_t layers, int64_t kv_heads, int64_t head_dim)
    : KVStore("dense-kv", layers, kv_heads * head_dim, kv_heads * head_dim), kv_heads_(kv_heads), head_dim_(head_dim) {}

std::unique_ptr<SequenceCache> DenseKVCache::clone(int64_t n) const {
  auto c = std::make_unique<DenseKVCache>(layers(), kv_heads_, head_dim_);
  copy_prefix_to(*c, n);
  return c;
}

}  // namespace seek
