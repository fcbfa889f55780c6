// DeepSeekMoE: a gate picks num_experts_per_tok routed experts per token (optionally limited to the best groups),
// their SwiGLU outputs are summed with the gate weights, and shared experts are added for every token.
#pragma once
#include <cstdint>
#include <vector>

#include "model/config.h"
#include "model/linear.h"

namespace seek {

struct MoeWeights {
  Linear gate;               // [n_routed_experts, dim], never quantized
  Tensor bias;               // f32 [n_routed_experts]: e_score_correction_bias (noaux_tc only; selection only)
  std::vector<Mlp> experts;  // routed, inter = moe_intermediate_size
  Mlp shared;                // inter = n_shared_experts * moe_intermediate_size
  bool has_shared = false;
};

MoeWeights load_moe(const Checkpoint& ck, const std::string& prefix, const DeepSeekConfig& c);

// Expert selection for one token from its unbiased gate scores[E] (sigmoid or softmax) and the selection bias
// (noaux_tc; null otherwise): idx[K] in descending order of the (biased) score. Group limiting as the reference:
// with a bias a group scores the sum of its two best experts, without one its best expert.
void moe_select_experts(const DeepSeekConfig& c, const float* scores, const float* bias, int32_t* idx);

// The gate for T tokens: idx[T, K] expert ids and weight[T, K] gate weights (K = num_experts_per_tok), exactly as
// the reference selects them (bias for selection only, group limit, renormalization, route scale).
void moe_route(const MoeWeights& w, const DeepSeekConfig& c, const float* x, int64_t T, int32_t* idx, float* weight,
               Precision p);

// out[T, dim] = sum_k weight[t,k] * Expert_idx[t,k](x[t]) + Shared(x[t]). Routed outputs are accumulated in
// expert-index order, as the reference does (it matters for bf16 rounding). `load`, when given, counts tokens
// per expert (size n_routed_experts; added to).
void moe_forward(const MoeWeights& w, const DeepSeekConfig& c, const float* x, int64_t T, float* out, Precision p,
                 int64_t* load = nullptr);

}  // namespace seek
