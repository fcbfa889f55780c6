#include "train/flops.h"

#include <string>

#include "core/error.h"

namespace seek {

int64_t block_active_matmul_params(const DeepSeekConfig& c, int64_t layer) {
  const int64_t D = c.hidden_size, H = c.num_attention_heads;
  // MLA: q (low-rank wq_a [q_lora, D] -> wq_b [H*qk, q_lora], or a plain wq [H*qk, D]), wkv_a [kv_lora+rope, D],
  // wkv_b [H*(nope+v), kv_lora], wo [D, H*v].
  int64_t attn = c.q_lora_rank > 0 ? c.q_lora_rank * D + H * c.qk_head_dim() * c.q_lora_rank : H * c.qk_head_dim() * D;
  attn += (c.kv_lora_rank + c.qk_rope_head_dim) * D;
  attn += H * (c.qk_nope_head_dim + c.v_head_dim) * c.kv_lora_rank;
  attn += D * H * c.v_head_dim;
  // SwiGLU MLP: w1, w3 [inter, D] and w2 [D, inter].
  int64_t ffn;
  if (c.is_moe_layer(layer)) {
    const int64_t expert = 3 * D * c.moe_intermediate_size;
    ffn = c.n_routed_experts * D             // gate [n_routed, D]
          + c.n_shared_experts * expert      // shared experts: every token
          + c.num_experts_per_tok * expert;  // the top-k routed experts
  } else {
    ffn = 3 * D * c.intermediate_size;
  }
  return attn + ffn;
}

double attention_flops_per_token(const DeepSeekConfig& c, int64_t seq_len) {
  const double mean_keys = (double(seq_len) + 1.0) / 2.0;
  return 2.0 * double(c.qk_head_dim() + c.v_head_dim) * double(c.num_attention_heads) * mean_keys;
}

FlopsPerToken flops_per_token(const DeepSeekConfig& c, int64_t seq_len, int64_t mtp_depth) {
  check(seq_len >= 1, "flops: sequence length must be at least 1, got " + std::to_string(seq_len));
  check(mtp_depth >= 0, "flops: MTP depth must be >= 0, got " + std::to_string(mtp_depth));
  check(c.hidden_size > 0 && c.num_hidden_layers > 0 && c.num_attention_heads > 0 && c.vocab_size > 0,
        "flops: config lacks hidden_size, num_hidden_layers, num_attention_heads or vocab_size");
  FlopsPerToken f;
  const double attn_layer = attention_flops_per_token(c, seq_len);
  for (int64_t l = 0; l < c.num_hidden_layers; l++) f.active_matmul_params += block_active_matmul_params(c, l);
  f.head_params = c.vocab_size * c.hidden_size;  // tied or not, the head is a matmul every token passes through
  f.matmul = 2.0 * double(f.active_matmul_params);
  f.attention = attn_layer * double(c.num_hidden_layers);
  f.head = 2.0 * double(f.head_params);
  double mtp_attention = 0;
  for (int64_t k = 0; k < mtp_depth; k++) {
    // eh_proj [D, 2D] on [enorm(emb) ; hnorm(h)], one block (stored as layer num_hidden_layers + k), shared head.
    f.mtp_active_matmul_params +=
        2 * c.hidden_size * c.hidden_size + block_active_matmul_params(c, c.num_hidden_layers + k) + f.head_params;
    mtp_attention += attn_layer;
  }
  f.mtp = 2.0 * double(f.mtp_active_matmul_params) + mtp_attention;
  f.forward = f.matmul + f.attention + f.head + f.mtp;
  f.training = 3.0 * f.forward;
  return f;
}

}  // namespace seek
