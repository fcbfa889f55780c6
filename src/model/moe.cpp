#include "model/moe.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "kernels/cpu/elementwise.h"

namespace seek {

MoeWeights load_moe(const Checkpoint& ck, const std::string& prefix, const DeepSeekConfig& c) {
  MoeWeights w;
  const int64_t D = c.hidden_size, E = c.n_routed_experts;
  w.gate = load_linear(ck, prefix + ".gate", E, D, c.fp8_block);
  if (w.gate.w.dtype == DType::E4M3)
    throw Error(ck.dir() + ": tensor '" + prefix + ".gate.weight' is fp8; the gate must be F32/BF16/F16");
  if (c.uses_selection_bias()) w.bias = load_vector_f32(ck, prefix + ".gate.e_score_correction_bias", E);
  w.experts.reserve(size_t(E));
  for (int64_t e = 0; e < E; e++)
    w.experts.push_back(
        load_mlp(ck, prefix + ".experts." + std::to_string(e), D, c.moe_intermediate_size, c.fp8_block));
  if (c.n_shared_experts > 0) {
    w.shared = load_mlp(ck, prefix + ".shared_experts", D, c.n_shared_experts * c.moe_intermediate_size, c.fp8_block);
    w.has_shared = true;
  }
  return w;
}

namespace {

// Indices of the k largest values (ties: lower index first), in descending order of value.
void top_k(const float* v, int64_t n, int64_t k, int32_t* out) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int32_t a, int32_t b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
  std::copy(ids.begin(), ids.begin() + k, out);
}

}  // namespace

void moe_select_experts(const DeepSeekConfig& c, const float* scores, const float* bias, int32_t* idx) {
  const int64_t E = c.n_routed_experts, K = c.num_experts_per_tok, G = c.n_group;
  std::vector<float> sel(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; e++) sel[size_t(e)] = scores[e] + (bias ? bias[e] : 0.0f);
  if (G > 1 && c.topk_method != TopkMethod::Greedy) {
    const int64_t per = E / G;
    std::vector<float> group_score(static_cast<size_t>(G));
    for (int64_t g = 0; g < G; g++) {
      const float* s = &sel[size_t(g * per)];
      if (bias) {  // V3: a group is as good as its two best experts
        int32_t best[2];
        top_k(s, per, 2, best);
        group_score[size_t(g)] = s[best[0]] + s[best[1]];
      } else {  // V2: a group is as good as its best expert
        group_score[size_t(g)] = *std::max_element(s, s + per);
      }
    }
    std::vector<int32_t> keep(static_cast<size_t>(G));
    top_k(group_score.data(), G, c.topk_group, keep.data());
    std::vector<bool> kept(size_t(G), false);
    for (int64_t i = 0; i < c.topk_group; i++) kept[size_t(keep[size_t(i)])] = true;
    for (int64_t e = 0; e < E; e++)
      if (!kept[size_t(e / per)]) sel[size_t(e)] = -INFINITY;
  }
  top_k(sel.data(), E, K, idx);
}

void moe_route(const MoeWeights& w, const DeepSeekConfig& c, const float* x, int64_t T, int32_t* idx, float* weight,
               Precision p) {
  const int64_t E = c.n_routed_experts, K = c.num_experts_per_tok;
  const bool bf = p == Precision::BF16;
  std::vector<float> logits(size_t(T * E));
  linear_forward(w.gate, x, T, logits.data(), p);  // [T, E]
  std::vector<float> scores(static_cast<size_t>(E));
  for (int64_t t = 0; t < T; t++) {
    const float* lg = &logits[size_t(t * E)];
    if (c.scoring_func == ScoringFunc::Softmax) {
      std::copy(lg, lg + E, scores.begin());
      cpu::softmax_rows(scores.data(), 1, E, E);  // in f32 whatever the activation dtype
    } else {
      for (int64_t e = 0; e < E; e++) {
        float s = 1.0f / (1.0f + std::exp(-lg[e]));
        scores[size_t(e)] = bf ? round_bf16(s) : s;  // the reference's sigmoid runs on the bf16 logits
      }
    }
    int32_t* id = idx + t * K;
    float* wt = weight + t * K;
    moe_select_experts(c, scores.data(), w.bias.defined() ? w.bias.f32() : nullptr, id);
    float sum = 0;
    for (int64_t k = 0; k < K; k++) sum += wt[k] = scores[size_t(id[k])];  // unbiased score
    for (int64_t k = 0; k < K; k++) {
      float v = c.renormalize_topk() ? wt[k] / sum : wt[k];
      v *= float(c.routed_scaling_factor);
      wt[k] = bf ? round_bf16(v) : v;
    }
  }
}

void moe_forward(const MoeWeights& w, const DeepSeekConfig& c, const float* x, int64_t T, float* out, Precision p,
                 int64_t* load) {
  const int64_t E = c.n_routed_experts, K = c.num_experts_per_tok, D = c.hidden_size;
  const bool bf = p == Precision::BF16;
  std::vector<int32_t> idx(size_t(T * K));
  std::vector<float> wt(size_t(T * K));
  moe_route(w, c, x, T, idx.data(), wt.data(), p);

  // Invert the routing: for each expert, the (token, weight) pairs sent to it.
  std::vector<std::vector<std::pair<int64_t, float>>> sent(static_cast<size_t>(E));
  for (int64_t t = 0; t < T; t++)
    for (int64_t k = 0; k < K; k++) sent[size_t(idx[size_t(t * K + k)])].push_back({t, wt[size_t(t * K + k)]});

  std::fill(out, out + T * D, 0.0f);
  std::vector<float> xe, ye;
  for (int64_t e = 0; e < E; e++) {
    const auto& s = sent[size_t(e)];
    if (s.empty()) continue;
    if (load) load[e] += int64_t(s.size());
    const int64_t n = int64_t(s.size());
    xe.resize(size_t(n * D));
    ye.resize(size_t(n * D));
    for (int64_t i = 0; i < n; i++)
      std::copy(x + s[size_t(i)].first * D, x + (s[size_t(i)].first + 1) * D, &xe[size_t(i * D)]);
    mlp_forward(w.experts[size_t(e)], xe.data(), n, ye.data(), p);  // [n, D]
    for (int64_t i = 0; i < n; i++) {
      float* o = out + s[size_t(i)].first * D;
      const float* y = &ye[size_t(i * D)];
      const float g = s[size_t(i)].second;
      for (int64_t d = 0; d < D; d++) o[d] = bf ? round_bf16(o[d] + round_bf16(y[d] * g)) : o[d] + y[d] * g;
    }
  }
  if (w.has_shared) {
    std::vector<float> z(size_t(T * D));
    mlp_forward(w.shared, x, T, z.data(), p);
    for (int64_t i = 0; i < T * D; i++) out[i] = bf ? round_bf16(out[i] + z[size_t(i)]) : out[i] + z[size_t(i)];
  }
}

}  // namespace seek
