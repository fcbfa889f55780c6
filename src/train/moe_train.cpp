#include "core/uninit_vector.h"
#include "train/moe_train.h"

#include <algorithm>
#include <cmath>

#include "core/parallel.h"
#include "model/moe.h"

namespace seek::train {

MoeP make_moe(ParamStore& ps, const std::string& prefix, const DeepSeekConfig& c) {
  const int64_t D = c.hidden_size, E = c.n_routed_experts;
  MoeP w;
  w.gate = make_linear(ps, prefix + ".gate", E, D);
  w.has_bias = c.uses_selection_bias();
  if (w.has_bias) w.bias = make_vector(ps, prefix + ".gate.e_score_correction_bias", E, /*trainable=*/false);
  for (int64_t e = 0; e < E; e++)
    w.experts.push_back(make_mlp(ps, prefix + ".experts." + std::to_string(e), D, c.moe_intermediate_size));
  w.has_shared = c.n_shared_experts > 0;
  if (w.has_shared)
    w.shared = make_mlp(ps, prefix + ".shared_experts", D, c.n_shared_experts * c.moe_intermediate_size);
  return w;
}

void moe_fwd(const MoeP& w, const DeepSeekConfig& c, const RowShape& s, const float* x, float* out, MoeActs& a,
             int64_t* load, GemmPrecision p) {
  const int64_t N = s.rows(), E = c.n_routed_experts, K = c.num_experts_per_tok, D = c.hidden_size;
  // gate: scores[N, E], choice idx[N, K], weights wt[N, K]
  a.scores.resize(size_t(N * E));
  linear_fwd(w.gate, x, N, a.scores.data(), GemmPrecision::F32);  // the gate stays in f32, as V3 trains it
  a.idx.resize(size_t(N * K));
  a.wt.resize(size_t(N * K));
  parallel_ranges(
      N,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t t = lo; t < hi; t++) {
          float* sc = &a.scores[size_t(t * E)];
          if (c.scoring_func == ScoringFunc::Softmax) {
            float mx = *std::max_element(sc, sc + E), sum = 0;
            for (int64_t e = 0; e < E; e++) sum += sc[e] = std::exp(sc[e] - mx);
            for (int64_t e = 0; e < E; e++) sc[e] /= sum;
          } else {
            for (int64_t e = 0; e < E; e++) sc[e] = 1.0f / (1.0f + std::exp(-sc[e]));
          }
          int32_t* id = &a.idx[size_t(t * K)];
          moe_select_experts(c, sc, w.has_bias ? w.bias.w : nullptr, id);
          float* wt = &a.wt[size_t(t * K)];
          float sum = 0;
          for (int64_t k = 0; k < K; k++) sum += wt[k] = sc[id[k]];
          for (int64_t k = 0; k < K; k++)
            wt[k] = (c.renormalize_topk() ? wt[k] / sum : wt[k]) * float(c.routed_scaling_factor);
        }
      },
      16);
  // the assignments of each expert, in token order
  a.rows.assign(size_t(E), {});
  for (int64_t t = 0; t < N; t++)
    for (int64_t k = 0; k < K; k++) a.rows[size_t(a.idx[size_t(t * K + k)])].push_back(t * K + k);
  if (load)
    for (int64_t e = 0; e < E; e++) load[e] += int64_t(a.rows[size_t(e)].size());

  // balance loss: per sequence, f_i = E/(K T) * count_i, P_i = mean_t s_i / sum_j s_j
  a.f.assign(size_t(s.B * E), 0.0f);
  a.balance = 0;
  for (int64_t b = 0; b < s.B; b++) {
    std::vector<double> P(static_cast<size_t>(E), 0.0);
    for (int64_t t = b * s.T; t < (b + 1) * s.T; t++) {
      const float* sc = &a.scores[size_t(t * E)];
      double sum = 0;
      for (int64_t e = 0; e < E; e++) sum += sc[e];
      for (int64_t e = 0; e < E; e++) P[size_t(e)] += sc[e] / sum / double(s.T);
      for (int64_t k = 0; k < K; k++)
        a.f[size_t(b * E + a.idx[size_t(t * K + k)])] += float(double(E) / double(K * s.T));
    }
    for (int64_t e = 0; e < E; e++) a.balance += double(a.f[size_t(b * E + e)]) * P[size_t(e)];
  }

  // routed experts
  std::fill(out, out + N * D, 0.0f);
  a.xe.resize(size_t(E));
  a.ye.resize(size_t(E));
  a.ea.resize(size_t(E));
  for (int64_t e = 0; e < E; e++) {
    const auto& rs = a.rows[size_t(e)];
    const int64_t n = int64_t(rs.size());
    a.xe[size_t(e)].resize(size_t(n * D));
    a.ye[size_t(e)].resize(size_t(n * D));
    if (n == 0) continue;
    for (int64_t i = 0; i < n; i++) std::copy_n(x + rs[size_t(i)] / K * D, D, &a.xe[size_t(e)][size_t(i * D)]);
    mlp_fwd(w.experts[size_t(e)], a.xe[size_t(e)].data(), n, a.ye[size_t(e)].data(), a.ea[size_t(e)], p);
    for (int64_t i = 0; i < n; i++) {
      const int64_t t = rs[size_t(i)] / K;
      const float g = a.wt[size_t(rs[size_t(i)])];
      const float* y = &a.ye[size_t(e)][size_t(i * D)];
      float* o = out + t * D;
      for (int64_t d = 0; d < D; d++) o[d] += g * y[d];
    }
  }
  if (w.has_shared) {
    uninit_vector<float> z(static_cast<size_t>(N * D));
    mlp_fwd(w.shared, x, N, z.data(), a.sa, p);
    for (int64_t i = 0; i < N * D; i++) out[i] += z[size_t(i)];
  }
}

void moe_bwd(const MoeP& w, const DeepSeekConfig& c, const RowShape& s, const float* x, const float* dout,
             const MoeActs& a, double balance_scale, float* dx, bool accumulate_dx, GemmPrecision p) {
  const int64_t N = s.rows(), E = c.n_routed_experts, K = c.num_experts_per_tok, D = c.hidden_size;
  if (!accumulate_dx) std::fill(dx, dx + N * D, 0.0f);
  if (w.has_shared) mlp_bwd(w.shared, x, dout, N, a.sa, dx, true, p);

  // routed experts, and d(loss)/d(weight of each assignment)
  uninit_vector<float> dwt(static_cast<size_t>(N * K), 0.0f);
  uninit_vector<float> dy, dxe;
  for (int64_t e = 0; e < E; e++) {
    const auto& rs = a.rows[size_t(e)];
    const int64_t n = int64_t(rs.size());
    if (n == 0) continue;
    dy.resize(size_t(n * D));
    dxe.resize(size_t(n * D));
    for (int64_t i = 0; i < n; i++) {
      const int64_t t = rs[size_t(i)] / K;
      const float g = a.wt[size_t(rs[size_t(i)])];
      const float* go = dout + t * D;
      const float* y = &a.ye[size_t(e)][size_t(i * D)];
      double dot = 0;
      for (int64_t d = 0; d < D; d++) {
        dy[size_t(i * D + d)] = g * go[d];
        dot += double(go[d]) * double(y[d]);
      }
      dwt[size_t(rs[size_t(i)])] = float(dot);
    }
    mlp_bwd(w.experts[size_t(e)], a.xe[size_t(e)].data(), dy.data(), n, a.ea[size_t(e)], dxe.data(), false, p);
    for (int64_t i = 0; i < n; i++) {
      float* o = dx + rs[size_t(i)] / K * D;
      for (int64_t d = 0; d < D; d++) o[d] += dxe[size_t(i * D + d)];
    }
  }

  // gradient w.r.t. the scores ds[N, E], then the gate logits
  uninit_vector<float> dlogit(static_cast<size_t>(N * E));
  parallel_ranges(
      N,
      [&](int64_t lo, int64_t hi, int) {
        std::vector<double> ds(static_cast<size_t>(E));
        for (int64_t t = lo; t < hi; t++) {
          const float* sc = &a.scores[size_t(t * E)];
          const int32_t* id = &a.idx[size_t(t * K)];
          std::fill(ds.begin(), ds.end(), 0.0);
          const double rsf = c.routed_scaling_factor;
          if (c.renormalize_topk()) {  // w_k = rsf * s_k / S,  S = sum of chosen s
            double S = 0, dot = 0;
            for (int64_t k = 0; k < K; k++) {
              S += sc[id[k]];
              dot += double(dwt[size_t(t * K + k)]) * sc[id[k]];
            }
            for (int64_t k = 0; k < K; k++) ds[size_t(id[k])] += rsf * (dwt[size_t(t * K + k)] / S - dot / (S * S));
          } else {
            for (int64_t k = 0; k < K; k++) ds[size_t(id[k])] += rsf * dwt[size_t(t * K + k)];
          }
          if (balance_scale != 0) {  // P_i = mean_t s'_i, s' = s / sum(s): d/ds_j = (g_j - sum_i g_i s'_i) / sum(s)
            const int64_t b = t / s.T;
            double sum = 0;
            for (int64_t e = 0; e < E; e++) sum += sc[e];
            double gs = 0;
            for (int64_t e = 0; e < E; e++) gs += double(a.f[size_t(b * E + e)]) * sc[e] / sum;
            const double k = balance_scale / double(s.T);
            for (int64_t e = 0; e < E; e++) ds[size_t(e)] += k * (a.f[size_t(b * E + e)] - gs) / sum;
          }
          float* dl = &dlogit[size_t(t * E)];
          if (c.scoring_func == ScoringFunc::Softmax) {
            double dot = 0;
            for (int64_t e = 0; e < E; e++) dot += ds[size_t(e)] * sc[e];
            for (int64_t e = 0; e < E; e++) dl[e] = float(sc[e] * (ds[size_t(e)] - dot));
          } else {
            for (int64_t e = 0; e < E; e++) dl[e] = float(ds[size_t(e)] * sc[e] * (1.0 - sc[e]));
          }
        }
      },
      16);
  linear_bwd(w.gate, x, dlogit.data(), N, dx, true, GemmPrecision::F32);
}

}  // namespace seek::train
