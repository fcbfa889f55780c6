// Grouped-query self-attention of the dense (Qwen2/Llama) models, with half-split ("rotate_half") RoPE.
//   q = x Wq^T (+bq) [T, heads, head_dim];  k, v = x Wk^T (+bk), x Wv^T (+bv) [T, kv_heads, head_dim]
//   rotate q and k at their positions; query head h attends with K/V head h / (heads / kv_heads), causally, with
//   scores scaled by head_dim^-0.5; out = concat_h(o_h) Wo^T (+bo) [T, dim].
#pragma once
#include <cstdint>
#include <string>

#include "formats/checkpoint.h"
#include "model/dense_config.h"
#include "model/dense_kv_cache.h"
#include "model/linear.h"
#include "model/rope.h"

namespace seek {

struct DenseAttention {
  Linear q;  // [heads * head_dim, dim], bias when qkv_bias
  Linear k;  // [kv_heads * head_dim, dim], bias when qkv_bias
  Linear v;  // [kv_heads * head_dim, dim], bias when qkv_bias
  Linear o;  // [dim, heads * head_dim], bias when o_bias
};

// Loads PREFIX.{q,k,v,o}_proj.weight (and biases as the config says), shape-checked; errors name the tensor.
DenseAttention load_dense_attention(const Checkpoint& ck, const std::string& prefix, const DenseConfig& c);

// The RoPE frequencies (head_dim / 2 of them) the config asks for: theta^(-2i/head_dim), scaled by rope_scaling.
RopeFrequencies dense_rope_frequencies(const DenseConfig& c);

// x [T, dim] at positions cache.len() .. cache.len()+T-1 -> out [T, dim]. Writes the new tokens' K/V rows of
// `layer` into the cache (reserving room) but does not change cache.len(); the model extends it after the last layer.
void dense_attention_forward(const DenseAttention& w, const DenseConfig& c, const RopeFrequencies& rope, int64_t layer,
                             const float* x, int64_t T, DenseKVCache& cache, float* out, Precision p);

}  // namespace seek
