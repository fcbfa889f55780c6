#include "model/dense_kv_cache.h"

#include <algorithm>

#include "core/error.h"

namespace seek {

DenseKVCache::DenseKVCache(int64_t layers, int64_t kv_heads, int64_t head_dim)
    : kv_heads_(kv_heads), head_dim_(head_dim), row_(kv_heads * head_dim) {
  k_.resize(static_cast<size_t>(layers));
  v_.resize(static_cast<size_t>(layers));
}

void DenseKVCache::set_len(int64_t n) {
  if (n < 0 || n > len_)
    throw Error("cache set_len(" + std::to_string(n) + "): can only truncate, the cache holds " + std::to_string(len_) +
                " tokens");
  len_ = n;
}

void DenseKVCache::extend_to(int64_t n) {
  check(n >= len_ && n <= cap_, "DenseKVCache::extend_to: length out of range");
  len_ = n;
}

void DenseKVCache::reserve(int64_t n) {
  if (n <= cap_) return;
  const int64_t cap = std::max<int64_t>({n, cap_ * 2, 16});
  for (auto& t : k_) t.resize(static_cast<size_t>(cap * row_));
  for (auto& t : v_) t.resize(static_cast<size_t>(cap * row_));
  cap_ = cap;
}

}  // namespace seek
