#include "model/kv_cache.h"

#include <algorithm>

namespace seek {

KVCache::KVCache(const DeepSeekConfig& c, AttnForm form) : form_(form) {
  if (form == AttnForm::Absorb) {
    row_a_ = c.kv_lora_rank;
    row_b_ = c.qk_rope_head_dim;
  } else {
    row_a_ = c.num_attention_heads * c.qk_head_dim();
    row_b_ = c.num_attention_heads * c.v_head_dim;
  }
  a_.resize(size_t(c.num_hidden_layers));
  b_.resize(size_t(c.num_hidden_layers));
}

void KVCache::reserve(int64_t n) {
  if (n <= cap_) return;
  int64_t cap = std::max<int64_t>({n, cap_ * 2, 16});
  for (auto& v : a_) v.resize(size_t(cap * row_a_));
  for (auto& v : b_) v.resize(size_t(cap * row_b_));
  cap_ = cap;
}

}  // namespace seek
