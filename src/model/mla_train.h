// Multi-head Latent Attention in its trainable form, over the same MlaWeights as the fast form (mla.h): per-head K
// and V are materialized from the compressed latent (the "naive" form), causal over each sequence of the batch.
// Forward keeps every intermediate for backward.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/linear.h"
#include "model/mla.h"
#include "model/rope.h"

namespace seek {

// The up-projection side of the forward: the RMSNorms of the two low-rank latents and what MLA projects up from
// them. With activation checkpointing (DeepSeek-V3's "recomputation of RMSNorm and MLA up-projection") the
// forward drops these after attention and the backward computes them again from the saved latents.
struct MlaUp {
  uninit_vector<float> qa_rstd, qan;  // [N], [N, qr]  (q_lora only)
  uninit_vector<float> q;             // [N, H, dqk]  after rope
  uninit_vector<float> c_rstd, cn;    // [N], [N, r]
  uninit_vector<float> k, v;          // [N, H, dqk], [N, H, dv]
};

struct MlaActs {
  uninit_vector<float> qa;   // [N, qr] q_a_proj(x)  (q_lora only)
  uninit_vector<float> kva;  // [N, r + dr]  kpe part after rope
  MlaUp up;                  // empty after a forward with recompute
  uninit_vector<float> lse;  // [B, H, T] attention log-sum-exp per row
  uninit_vector<float> o;    // [N, H*dv]
};

// out[N, D] = MLA(x[N, D]); x is the normalized block input. segments [N] (null: one sample per sequence): packed
// samples, each attending only within itself (the kernel's convention, kernels/cpu/attention.h); rope positions
// restarting per sample are the RopeTable's business.
// recompute: keep only the latents, attention's lse and output (MlaUp is recomputed by the backward).
void mla_fwd(const MlaWeights& w, const DeepSeekConfig& c, const RowShape& s, const RopeTable& rope, const float* x,
             float* out, MlaActs& a, Precision p, const int32_t* segments = nullptr, bool recompute = false);
// dx[N, D] (+)= gradient; parameter gradients accumulated; segments as in the forward.
void mla_bwd(const MlaWeights& w, const DeepSeekConfig& c, const RowShape& s, const RopeTable& rope, const float* x,
             const float* dout, const MlaActs& a, float* dx, bool accumulate_dx, Precision p,
             const int32_t* segments = nullptr);

}  // namespace seek
