// Multi-head Latent Attention (DeepSeek-V2/V3), forward over T new tokens that follow the cached ones.
#pragma once
#include <cstdint>

#include "model/config.h"
#include "model/kv_cache.h"
#include "model/linear.h"
#include "model/rope.h"

namespace seek {

struct MlaWeights {
  Linear wq;       // q_lora_rank == 0 only: [heads * qk_head_dim, dim]
  Linear wq_a;     // [q_lora_rank, dim]
  Tensor q_norm;   // f32 [q_lora_rank]
  Linear wq_b;     // [heads * qk_head_dim, q_lora_rank]; per head [qk_nope | qk_rope]
  Linear wkv_a;    // [kv_lora_rank + qk_rope_head_dim, dim]; [c_kv | k_pe]
  Tensor kv_norm;  // f32 [kv_lora_rank]
  Linear wkv_b;    // [heads * (qk_nope_head_dim + v_head_dim), kv_lora_rank]; per head [W_UK | W_UV]
  Linear wo;       // [dim, heads * v_head_dim]
};

MlaWeights load_mla(const Checkpoint& ck, const std::string& prefix, const DeepSeekConfig& c);

// out[T, dim] = MLA(x[T, dim]) for tokens at positions cache.len() .. cache.len() + T - 1, x already normalized.
// Appends the new tokens' keys to `cache` for `layer` (the caller advances cache.len() after the last layer).
void mla_forward(const MlaWeights& w, const DeepSeekConfig& c, const RopeFrequencies& rope, int64_t layer,
                 const float* x, int64_t T, KVCache& cache, float* out, Precision p);

}  // namespace seek
