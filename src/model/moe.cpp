#include "model/moe.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/parallel.h"
#include "kernels/cpu/rowops.h"

namespace seek {

Mlp bind_mlp(WeightSource& src, const MlpSpec& s) {
  return Mlp{src.matrix(s.gate), src.matrix(s.up), src.matrix(s.down)};
}

MoeWeights bind_moe(WeightSource& src, const MoeSpec& s) {
  MoeWeights w;
  w.router = src.matrix(s.router);
  if (s.bias) w.bias = src.vector(*s.bias);
  w.experts.reserve(s.experts.size());
  for (const MlpSpec& e : s.experts) w.experts.push_back(bind_mlp(src, e));
  if (s.shared) {
    w.shared = bind_mlp(src, *s.shared);
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

void select_experts(const DeepSeekConfig& c, const float* scores, const float* bias, int32_t* idx) {
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

void route(const DeepSeekConfig& c, const float* logits, int64_t N, const Vec& bias, Routing& r, bool bf16) {
  const int64_t E = c.n_routed_experts, K = c.num_experts_per_tok;
  r.scores.resize(size_t(N * E));
  r.idx.resize(size_t(N * K));
  r.wt.resize(size_t(N * K));
  parallel_ranges(
      N,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t t = lo; t < hi; t++) {
          const float* lg = logits + t * E;
          float* sc = &r.scores[size_t(t * E)];
          if (c.scoring_func == ScoringFunc::Softmax) {
            std::copy(lg, lg + E, sc);
            cpu::softmax_rows(sc, 1, E, E);  // in f32 whatever the activation dtype
          } else {
            for (int64_t e = 0; e < E; e++) {
              const float s = 1.0f / (1.0f + std::exp(-lg[e]));
              sc[e] = bf16 ? round_bf16(s) : s;  // the reference's sigmoid runs on the bf16 logits
            }
          }
          int32_t* id = &r.idx[size_t(t * K)];
          select_experts(c, sc, bias.w, id);
          float* wt = &r.wt[size_t(t * K)];
          float sum = 0;
          for (int64_t k = 0; k < K; k++) sum += wt[k] = sc[id[k]];  // unbiased score
          for (int64_t k = 0; k < K; k++) {
            const float v = (c.renormalize_topk() ? wt[k] / sum : wt[k]) * float(c.routed_scaling_factor);
            wt[k] = bf16 ? round_bf16(v) : v;
          }
        }
      },
      16);
}

void ExpertDispatch::build(const std::vector<int32_t>& idx, int64_t N, int64_t K, int64_t E) {
  rows.assign(size_t(E), {});
  for (int64_t t = 0; t < N; t++)
    for (int64_t k = 0; k < K; k++) rows[size_t(idx[size_t(t * K + k)])].push_back(t * K + k);
}

void ExpertDispatch::gather(int64_t e, const float* x, int64_t D, int64_t K, float* xe) const {
  const auto& rs = rows[size_t(e)];
  for (size_t i = 0; i < rs.size(); i++) std::copy_n(x + rs[i] / K * D, D, xe + int64_t(i) * D);
}

void ExpertDispatch::count(int64_t* load) const {
  for (size_t e = 0; e < rows.size(); e++) load[e] += int64_t(rows[e].size());
}

void moe_forward(const MoeWeights& w, const DeepSeekConfig& c, const float* x, int64_t T, float* out, Precision p,
                 int64_t* load) {
  const int64_t E = c.n_routed_experts, K = c.num_experts_per_tok, D = c.hidden_size;
  const bool bf = p == Precision::BF16;
  uninit_vector<float> logits(size_t(T * E));
  linear_forward(w.router, x, T, logits.data(), p);  // [T, E]
  Routing r;
  route(c, logits.data(), T, w.bias, r, bf);
  ExpertDispatch d;
  d.build(r.idx, T, K, E);
  if (load) d.count(load);

  std::fill(out, out + T * D, 0.0f);
  uninit_vector<float> xe, ye;
  for (int64_t e = 0; e < E; e++) {
    const auto& rs = d.rows[size_t(e)];
    if (rs.empty()) continue;
    const int64_t n = int64_t(rs.size());
    xe.resize(size_t(n * D));
    ye.resize(size_t(n * D));
    d.gather(e, x, D, K, xe.data());
    mlp_forward(w.experts[size_t(e)], xe.data(), n, ye.data(), p);  // [n, D]
    for (int64_t i = 0; i < n; i++) {
      float* o = out + rs[size_t(i)] / K * D;
      const float* y = &ye[size_t(i * D)];
      const float g = r.wt[size_t(rs[size_t(i)])];
      for (int64_t j = 0; j < D; j++) o[j] = bf ? round_bf16(o[j] + round_bf16(y[j] * g)) : o[j] + y[j] * g;
    }
  }
  if (w.has_shared) {
    uninit_vector<float> z(size_t(T * D));
    mlp_forward(w.shared, x, T, z.data(), p);
    for (int64_t i = 0; i < T * D; i++) out[i] = bf ? round_bf16(out[i] + z[size_t(i)]) : out[i] + z[size_t(i)];
  }
}

}  // namespace seek
