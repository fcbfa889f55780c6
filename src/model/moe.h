// DeepSeekMoE: a gate picks num_experts_per_tok routed experts per token (optionally limited to the best groups),
// their SwiGLU outputs are summed with the gate weights, and shared experts are added for every token. One gate and
// one expert dispatch serve both forms: the fast moe_forward here, and the trainable moe_fwd / moe_bwd in
// moe_train.h (which adds the gradients through the chosen experts' weights and the sequence-wise balance loss).
#pragma once
#include <cstdint>
#include <vector>

#include "core/uninit_vector.h"
#include "model/config.h"
#include "model/linear.h"
#include "model/schema.h"
#include "model/weight_source.h"

namespace seek {

struct MoeWeights {
  Linear router;             // mlp.gate [n_routed_experts, dim], never quantized
  Vec bias;                  // e_score_correction_bias [n_routed_experts] (noaux_tc only; selection only)
  std::vector<Mlp> experts;  // routed, inter = moe_intermediate_size
  Mlp shared;                // inter = n_shared_experts * moe_intermediate_size
  bool has_shared = false;
};
MoeWeights bind_moe(WeightSource& src, const MoeSpec& s);
Mlp bind_mlp(WeightSource& src, const MlpSpec& s);

// ---- the gate ----
// Expert selection for one token from its unbiased scores[E] and the selection bias (noaux_tc; null otherwise):
// idx[K] in descending order of the (biased) score. Group limiting as the reference: with a bias a group scores
// the sum of its two best experts, without one its best expert; experts of dropped groups are never chosen.
void select_experts(const DeepSeekConfig& c, const float* scores, const float* bias, int32_t* idx);

struct Routing {
  uninit_vector<float> scores;  // [N, E] unbiased scores: softmax or sigmoid of the gate logits
  std::vector<int32_t> idx;     // [N, K] chosen experts
  uninit_vector<float> wt;      // [N, K] their weights: unbiased score, renormalized (sigmoid), x route scale
};
// Routes N tokens from their gate logits [N, E] (computed by the caller: the fast form at its precision, the
// trainable form in f32 as V3 trains the gate). bf16: round the sigmoid scores and the final weights to bf16, as
// the reference's bf16 inference holds them (the fast form in Precision::BF16 only).
void route(const DeepSeekConfig& c, const float* logits, int64_t N, const Vec& bias, Routing& r, bool bf16);

// ---- the expert dispatch ----
// Which assignments each expert receives: per expert, the assignment ids t * K + k in token order.
struct ExpertDispatch {
  std::vector<std::vector<int64_t>> rows;
  void build(const std::vector<int32_t>& idx, int64_t N, int64_t K, int64_t E);
  // xe[i, :] = x[token of assignment i of expert e, :]   (xe [rows[e].size(), D])
  void gather(int64_t e, const float* x, int64_t D, int64_t K, float* xe) const;
  // load[e] += number of assignments of expert e
  void count(int64_t* load) const;
};

// ---- fast form ----
// out[T, dim] = sum_k weight[t,k] * Expert_idx[t,k](x[t]) + Shared(x[t]). Routed outputs are accumulated in
// expert-index order, as the reference does (it matters for bf16 rounding). `load`, when given, counts tokens
// per expert (size n_routed_experts; added to).
void moe_forward(const MoeWeights& w, const DeepSeekConfig& c, const float* x, int64_t T, float* out, Precision p,
                 int64_t* load = nullptr);

}  // namespace seek
