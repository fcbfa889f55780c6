// DeepSeekMoE in its trainable form, over the same MoeWeights, gate (route) and expert dispatch as the fast form:
// a forward that keeps what the backward needs, and the backward. Gradients flow through the chosen experts'
// weights and the complementary sequence-wise balance loss into the gate; the selection itself is discrete.
#pragma once
#include <cstdint>
#include <vector>

#include "core/uninit_vector.h"
#include "model/config.h"
#include "model/moe.h"
#include "model/rope.h"

namespace seek {

struct MoeActs {
  Routing r;                                 // scores [N, E], idx [N, K], wt [N, K]
  ExpertDispatch d;                          // per expert, its assignments in token order
  std::vector<uninit_vector<float>> xe, ye;  // per expert: gathered inputs [n_e, D], outputs [n_e, D]
  std::vector<MlpActs> ea;                   // per expert
  MlpActs sa;                                // shared experts
  double balance = 0;                        // sum over sequences of sum_i f_i P_i (before alpha and the mean)
  uninit_vector<float> f;                    // [B, E] f_i per sequence (needed by the balance gradient)
};

// out[N, D] = MoE(x[N, D]) for B sequences of T rows (s); `load` [E] counts assignments (added to).
void moe_fwd(const MoeWeights& w, const DeepSeekConfig& c, const RowShape& s, const float* x, float* out, MoeActs& a,
             int64_t* load, Precision p);
// dx (+)= gradient. balance_scale multiplies d(balance)/d(params): alpha / (number of sequences), or 0.
void moe_bwd(const MoeWeights& w, const DeepSeekConfig& c, const RowShape& s, const float* x, const float* dout,
             const MoeActs& a, double balance_scale, float* dx, bool accumulate_dx, Precision p);

}  // namespace seek
