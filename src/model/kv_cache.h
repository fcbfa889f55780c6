// Per-sequence attention cache for MLA layers, in one of the two forms:
//   Absorb: per layer the normalized latent c_kv [len, kv_lora_rank] and the rotated shared key k_pe
//           [len, qk_rope_head_dim] — (kv_lora_rank + qk_rope_head_dim) values per token per layer.
//   Naive:  per layer the materialized keys [len, heads, qk_head_dim] and values [len, heads, v_head_dim].
// Storage grows on demand (doubling), so a long context costs memory only when used.
#pragma once
#include <cstdint>
#include <vector>

#include "model/config.h"
#include "model/language_model.h"

namespace seek {

class KVCache : public SequenceCache {
 public:
  KVCache(const DeepSeekConfig& c, AttnForm form);

  AttnForm form() const { return form_; }
  int64_t len() const override { return len_; }
  void set_len(int64_t n) override {
    len_ = n;
  }                                         // truncate (n <= len) after a rejected speculative step, or reset to 0
  void reserve(int64_t n);                  // capacity >= n tokens
  int64_t row_a() const { return row_a_; }  // values per token in a(): kv_lora_rank or heads * qk_head_dim
  int64_t row_b() const { return row_b_; }  // values per token in b(): qk_rope_head_dim or heads * v_head_dim
  float* a(int64_t layer) { return a_[size_t(layer)].data(); }
  float* b(int64_t layer) { return b_[size_t(layer)].data(); }
  size_t bytes_per_token() const override { return size_t(row_a_ + row_b_) * a_.size() * sizeof(float); }

 private:
  AttnForm form_;
  int64_t len_ = 0, cap_ = 0, row_a_ = 0, row_b_ = 0;
  std::vector<std::vector<float>> a_, b_;
};

}  // namespace seek
