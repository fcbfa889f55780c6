// Multi-head Latent Attention in its training form: per-head K and V are materialized from the compressed latent
// (the "naive" form), causal over each sequence of the batch. Forward keeps every intermediate for backward.
#pragma once
#include "core/uninit_vector.h"
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"
#include "train/layers.h"

namespace seek::train {

struct MlaP {
  bool q_lora = false;
  LinearP wq;       // no q_lora: [H*dqk, D]
  LinearP wq_a;     // [qr, D]
  VectorP q_norm;   // [qr]
  LinearP wq_b;     // [H*dqk, qr]
  LinearP wkv_a;    // [r + dr, D]
  VectorP kv_norm;  // [r]
  LinearP wkv_b;    // [H*(dn+dv), r]
  LinearP wo;       // [D, H*dv]
};
MlaP make_mla(ParamStore& ps, const std::string& prefix, const DeepSeekConfig& c);

// The shape of one forward: B sequences of T tokens (rows b*T + t), rope position of row r = pos[r].
struct RowShape {
  int64_t B = 0, T = 0;
  int64_t rows() const { return B * T; }
};

struct MlaActs {
  uninit_vector<float> qa, qa_rstd, qan;  // [N, qr], [N], [N, qr]  (q_lora only)
  uninit_vector<float> q;                 // [N, H, dqk]  after rope
  uninit_vector<float> kva;               // [N, r + dr]  kpe part after rope
  uninit_vector<float> c_rstd, cn;        // [N], [N, r]
  uninit_vector<float> kv;                // [N, H, dn + dv]
  uninit_vector<float> k, v;              // [N, H, dqk], [N, H, dv]
  uninit_vector<float> p;                 // [B, H, T, T]
  uninit_vector<float> o;                 // [N, H*dv]
};

// Rope tables for positions 0..T-1: cos/sin [T, dr/2].
struct RopeTables {
  uninit_vector<float> cos, sin;
  std::vector<int32_t> pos;  // [B*T] position of each row
  void build(const DeepSeekConfig& c, const RowShape& s);
};

// out[N, D] = MLA(x[N, D]); x is the normalized block input.
void mla_fwd(const MlaP& w, const DeepSeekConfig& c, const RowShape& s, const RopeTables& rope, const float* x,
             float* out, MlaActs& a, GemmPrecision p);
// dx[N, D] (+)= gradient; parameter gradients accumulated.
void mla_bwd(const MlaP& w, const DeepSeekConfig& c, const RowShape& s, const RopeTables& rope, const float* x,
             const float* dout, const MlaActs& a, float* dx, bool accumulate_dx, GemmPrecision p);

}  // namespace seek::train
