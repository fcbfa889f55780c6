// Per-sequence attention cache for MLA layers, in one of the two forms:
//   Absorb: per layer the normalized latent c_kv [len, kv_lora_rank] (a) and the rotated shared key k_pe
//           [len, qk_rope_head_dim] (b) — (kv_lora_rank + qk_rope_head_dim) values per token per layer.
//   Naive:  per layer the materialized keys [len, heads, qk_head_dim] (a) and values [len, heads, v_head_dim] (b).
#pragma once
#include <cstdint>
#include <memory>

#include "model/config.h"
#include "model/kv_store.h"

namespace seek {

class KVCache : public KVStore {
 public:
  KVCache(const DeepSeekConfig& c, AttnForm form);
  // A cache of `layers` MLA layers of c's shape (an MTP module's block: one layer).
  KVCache(const DeepSeekConfig& c, AttnForm form, int64_t layers);

  AttnForm form() const { return form_; }
  std::unique_ptr<SequenceCache> clone(int64_t n) const override;

 private:
  KVCache(AttnForm form, int64_t layers, int64_t row_a, int64_t row_b);
  AttnForm form_;
};

}  // namespace seek
