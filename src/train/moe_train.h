// DeepSeekMoE in training: the gate (scores, biased top-k selection, renormalized and scaled weights of the chosen
// experts), routed and shared SwiGLU experts, and the complementary sequence-wise balance loss. Gradients flow
// through the chosen experts' weights and the balance loss into the gate; the selection itself is discrete.
#pragma once
#include "core/uninit_vector.h"
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"
#include "train/layers.h"
#include "train/mla_train.h"

namespace seek::train {

struct MoeP {
  LinearP gate;  // [E, D]
  VectorP bias;  // e_score_correction_bias [E] (noaux_tc only; not trained by gradients)
  bool has_bias = false;
  std::vector<MlpP> experts;
  MlpP shared;
  bool has_shared = false;
};
MoeP make_moe(ParamStore& ps, const std::string& prefix, const DeepSeekConfig& c);

struct MoeActs {
  uninit_vector<float> scores;               // [N, E] sigmoid/softmax of the gate logits
  std::vector<int32_t> idx;                  // [N, K] chosen experts
  uninit_vector<float> wt;                   // [N, K] their weights (renormalized, route-scaled)
  std::vector<std::vector<int64_t>> rows;    // per expert: the (token*K + slot) assignments, in token order
  std::vector<uninit_vector<float>> xe, ye;  // per expert: gathered inputs [n_e, D], outputs [n_e, D]
  std::vector<MlpActs> ea;                   // per expert
  MlpActs sa;                                // shared experts
  double balance = 0;                        // sum over sequences of sum_i f_i P_i (before alpha and the mean)
  uninit_vector<float> f;                    // [B, E] f_i per sequence (needed by the balance gradient)
};

// out[N, D] = MoE(x[N, D]); `load` [E] counts assignments (added to).
void moe_fwd(const MoeP& w, const DeepSeekConfig& c, const RowShape& s, const float* x, float* out, MoeActs& a,
             int64_t* load, GemmPrecision p);
// dx (+)= gradient. balance_scale multiplies d(balance)/d(params): alpha / (number of sequences), or 0.
void moe_bwd(const MoeP& w, const DeepSeekConfig& c, const RowShape& s, const float* x, const float* dout,
             const MoeActs& a, double balance_scale, float* dx, bool accumulate_dx, GemmPrecision p);

}  // namespace seek::train
