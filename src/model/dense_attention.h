// Grouped-query self-attention of the dense (Qwen2/Llama) models, with half-split ("rotate_half") RoPE.
//   q = x Wq^T (+bq) [T, heads, head_dim];  k, v = x Wk^T (+bk), x Wv^T (+bv) [T, kv_heads, head_dim]
//   rotate q and k at their positions; query head h attends with K/V head h / (heads / kv_heads), causally, with
//   scores scaled by head_dim^-0.5; out = concat_h(o_h) Wo^T (+bo) [T, dim].
#pragma once
#include <cstdint>
#include <string>

#include <vector>

#include "model/dense_config.h"
#include "model/dense_kv_cache.h"
#include "model/linear.h"
#include "model/rope.h"
#include "model/schema.h"
#include "model/weight_source.h"

namespace seek {

struct DenseAttention {
  Linear q;  // [heads * head_dim, dim], bias when qkv_bias
  Linear k;  // [kv_heads * head_dim, dim], bias when qkv_bias
  Linear v;  // [kv_heads * head_dim, dim], bias when qkv_bias
  Linear o;  // [dim, heads * head_dim], bias when o_bias
};

DenseAttention bind_dense_attention(WeightSource& src, const DenseAttnSpec& s);

// The RoPE frequencies (head_dim / 2 of them) the config asks for: theta^(-2i/head_dim), scaled by rope_scaling.
RopeFrequencies dense_rope_frequencies(const DenseConfig& c);

// One sequence's rows in a batched forward: activation rows [first, first + n) at positions cache->len() ...
struct DenseSeqRows {
  DenseKVCache* cache = nullptr;
  int64_t first = 0, n = 0;
};

// x [N, dim] -> out [N, dim] for the new tokens of several sequences; `rope` has a table row per activation row
// (rounded to bf16 by the caller in BF16). Writes the new tokens' K/V rows of `layer` into each cache (reserving
// room) but does not change its length; the model extends it after the last layer.
void dense_attention_forward(const DenseAttention& w, const DenseConfig& c, const RopeTable& rope, int64_t layer,
                             const float* x, int64_t N, const std::vector<DenseSeqRows>& seqs, float* out, Precision p);

}  // namespace seek
