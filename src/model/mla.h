// Multi-head Latent Attention (DeepSeek-V2/V3), fast form: the new tokens of one or more sequences (each with its
// own cache) in one call; the projections run over all rows together (one GEMM), the attention per sequence
// against its cache, naive (materialized per-head K/V) or absorbed (attention in the latent space) as the caches'
// form says. The trainable form over the same weights is in mla_train.h.
#pragma once
#include <cstdint>
#include <vector>

#include "model/config.h"
#include "model/kv_cache.h"
#include "model/linear.h"
#include "model/rope.h"
#include "model/schema.h"
#include "model/weight_source.h"

namespace seek {

struct MlaWeights {
  bool q_lora = false;
  Linear wq;     // no q_lora: [heads * qk_head_dim, dim]
  Linear wq_a;   // [q_lora_rank, dim]
  Vec q_norm;    // [q_lora_rank]
  Linear wq_b;   // [heads * qk_head_dim, q_lora_rank]; per head [qk_nope | qk_rope]
  Linear wkv_a;  // [kv_lora_rank + qk_rope_head_dim, dim]; [c_kv | k_pe]
  Vec kv_norm;   // [kv_lora_rank]
  Linear wkv_b;  // [heads * (qk_nope_head_dim + v_head_dim), kv_lora_rank]; per head [W_UK | W_UV]
  Linear wo;     // [dim, heads * v_head_dim]
};
MlaWeights bind_mla(WeightSource& src, const MlaSpec& s);

// One sequence's rows in a batched forward: activation rows [first, first + n) are its new tokens, at positions
// cache->len() .. cache->len() + n - 1. The model extends each cache after its last layer.
struct SeqRows {
  KVCache* cache = nullptr;
  int64_t first = 0, n = 0;
};

// out[N, dim] = MLA(x[N, dim]), x already normalized; N = the sum of the sequences' n. `rope` holds a table row
// per activation row (RopeTable::build with each row's position). Writes the new tokens' keys into each cache for
// `layer`. All caches have the same form.
void mla_forward(const MlaWeights& w, const DeepSeekConfig& c, const RopeTable& rope, int64_t layer, const float* x,
                 int64_t N, const std::vector<SeqRows>& seqs, float* out, Precision p);

}  // namespace seek
