// FLOPs per token of a DeepSeek-V3-architecture model, the "model FLOPs" that utilization (MFU) and the cost
// planner are measured in. Counted as every matmul a token passes through, 2 FLOPs per multiply-add; element-wise
// work (norms, RoPE, SwiGLU, softmax, router top-k) and the embedding lookup are not counted, and neither is
// recomputation in the backward (model FLOPs, not hardware FLOPs).
#pragma once
#include <cstdint>

#include "model/config.h"

namespace seek {

struct FlopsPerToken {
  // Forward pass, per token:
  double matmul = 0;     // main model's Linear layers except the head: 2 x active matmul parameters
  double attention = 0;  // main model's causal score (q.k) and value (p.v) products
  double head = 0;       // main model's output head: 2 x vocab x dim
  double mtp = 0;        // all MTP modules: eh_proj, block (its Linears and attention), the shared head
  double forward = 0;    // matmul + attention + head + mtp
  double training = 0;   // 3 x forward: the backward computes gradients for inputs and weights, each ~ forward

  // Parameters behind `matmul` / `head` / `mtp` (what 2x multiplies), for reports.
  int64_t active_matmul_params = 0;  // main model, without the head
  int64_t head_params = 0;
  int64_t mtp_active_matmul_params = 0;  // eh_proj + block Linears + shared head, all modules
};

// Forward score+value FLOPs of one token in one causal attention layer, averaged over the positions of a
// seq_len-long sequence: the token at position i (0-based) attends to i+1 keys; the mean over i of (i+1) is
// (seq_len+1)/2. Per (query, key, head) q.k costs 2 x qk_head_dim FLOPs and adding p x v costs 2 x v_head_dim,
// so the mean per token is 2 x (qk_head_dim + v_head_dim) x heads x (seq_len+1)/2. (This is the materialized
// per-head form training uses; half of the 2 x seq_len x ... of a non-causal count.)
double attention_flops_per_token(const DeepSeekConfig& c, int64_t seq_len);

// FLOPs per token for training on seq_len-token sequences with mtp_depth MTP modules (0: none). The MTP modules
// run the same block as a main MoE layer over (about) the same positions. Throws Error for seq_len < 1,
// mtp_depth < 0, or a config without its sizes.
FlopsPerToken flops_per_token(const DeepSeekConfig& c, int64_t seq_len, int64_t mtp_depth);

}  // namespace seek
