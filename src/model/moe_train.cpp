#include "model/moe_train.h"

#include <algorithm>
#include <cmath>

#include "core/parallel.h"

namespace seek {

namespace {

// fn(e) for every expert, the experts shared out among the threads by their row counts (largest first, each to the
// thread with the least work so far), each thread running its experts one after another. Kernels called inside run
// on that thread alone (the pool does not nest), so one expert's small GEMMs pay no dispatch and the threads never
// wait on each other between experts.
template <class F>
void for_each_expert(const ExpertDispatch& d, F&& fn) {
  const int64_t E = int64_t(d.rows.size()), T = std::min<int64_t>(num_threads(), E);
  std::vector<int64_t> order(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; e++) order[size_t(e)] = e;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return d.rows[size_t(x)].size() > d.rows[size_t(y)].size(); });
  std::vector<std::vector<int64_t>> share(static_cast<size_t>(std::max<int64_t>(T, 1)));
  std::vector<int64_t> work(share.size(), 0);
  for (int64_t e : order) {
    const size_t t = size_t(std::min_element(work.begin(), work.end()) - work.begin());
    share[t].push_back(e);
    work[t] += int64_t(d.rows[size_t(e)].size()) + 1;
  }
  parallel_ranges(int64_t(share.size()), [&](int64_t lo, int64_t hi, int) {
    for (int64_t t = lo; t < hi; t++)
      for (int64_t e : share[size_t(t)]) fn(e);
  });
}

// at[t * K + k] = the row of assignment (t, k) among its expert's rows.
std::vector<int64_t> assignment_rows(const ExpertDispatch& d, int64_t N, int64_t K) {
  std::vector<int64_t> at(static_cast<size_t>(N * K), -1);
  for (const auto& rs : d.rows)
    for (size_t i = 0; i < rs.size(); i++) at[size_t(rs[i])] = int64_t(i);
  return at;
}

}  // namespace

void moe_fwd(const MoeWeights& w, const DeepSeekConfig& c, const RowShape& s, const float* x, float* out, MoeActs& a,
             int64_t* load, Precision p) {
  const int64_t N = s.rows(), E = c.n_routed_experts, K = c.num_experts_per_tok, D = c.hidden_size;
  // the gate in f32 (as V3 trains it): scores [N, E], choice idx [N, K], weights wt [N, K]
  uninit_vector<float> logits(size_t(N * E));
  linear_fwd(w.router, x, N, logits.data(), Precision::F32);
  route(c, logits.data(), N, w.bias, a.r, /*bf16=*/false);
  a.d.build(a.r.idx, N, K, E);
  if (load) a.d.count(load);

  // balance loss: per sequence, f_i = E/(K T) * count_i, P_i = mean_t s_i / sum_j s_j
  a.f.assign(size_t(s.B * E), 0.0f);
  a.balance = 0;
  for (int64_t b = 0; b < s.B; b++) {
    std::vector<double> P(static_cast<size_t>(E), 0.0);
    for (int64_t t = b * s.T; t < (b + 1) * s.T; t++) {
      const float* sc = &a.r.scores[size_t(t * E)];
      double sum = 0;
      for (int64_t e = 0; e < E; e++) sum += sc[e];
      for (int64_t e = 0; e < E; e++) P[size_t(e)] += sc[e] / sum / double(s.T);
      for (int64_t k = 0; k < K; k++)
        a.f[size_t(b * E + a.r.idx[size_t(t * K + k)])] += float(double(E) / double(K * s.T));
    }
    for (int64_t e = 0; e < E; e++) a.balance += double(a.f[size_t(b * E + e)]) * P[size_t(e)];
  }

  // routed experts, each thread running whole experts (their GEMMs then run on that thread alone)
  a.xe.resize(size_t(E));
  a.ye.resize(size_t(E));
  a.ea.resize(size_t(E));
  for_each_expert(a.d, [&](int64_t e) {
    const int64_t n = int64_t(a.d.rows[size_t(e)].size());
    a.xe[size_t(e)].resize(size_t(n * D));
    a.ye[size_t(e)].resize(size_t(n * D));
    if (n == 0) return;
    a.d.gather(e, x, D, K, a.xe[size_t(e)].data());
    mlp_fwd(w.experts[size_t(e)], a.xe[size_t(e)].data(), n, a.ye[size_t(e)].data(), a.ea[size_t(e)], p);
  });
  // out[t] = sum_k wt[t, k] * (expert idx[t, k]'s output for t), over tokens in parallel
  const std::vector<int64_t> at = assignment_rows(a.d, N, K);
  parallel_ranges(
      N,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t t = lo; t < hi; t++) {
          float* o = out + t * D;
          std::fill(o, o + D, 0.0f);
          for (int64_t k = 0; k < K; k++) {
            const int64_t e = a.r.idx[size_t(t * K + k)];
            const float g = a.r.wt[size_t(t * K + k)];
            const float* y = &a.ye[size_t(e)][size_t(at[size_t(t * K + k)] * D)];
            for (int64_t d = 0; d < D; d++) o[d] += g * y[d];
          }
        }
      },
      16);
  if (w.has_shared) {
    uninit_vector<float> z(static_cast<size_t>(N * D));
    mlp_fwd(w.shared, x, N, z.data(), a.sa, p);
    for (int64_t i = 0; i < N * D; i++) out[i] += z[size_t(i)];
  }
}

namespace {

// dlogit[N, E] = d(loss)/d(gate logits) from dwt[N, K] = d(loss)/d(weight of each assignment) and, with
// balance_scale != 0, the sequence-wise balance loss (through the normalized scores).
void gate_bwd(const DeepSeekConfig& c, const RowShape& s, const MoeActs& a, const float* dwt, double balance_scale,
              float* dlogit) {
  const int64_t N = s.rows(), E = c.n_routed_experts, K = c.num_experts_per_tok;
  parallel_ranges(
      N,
      [&](int64_t lo, int64_t hi, int) {
        std::vector<double> ds(static_cast<size_t>(E));
        for (int64_t t = lo; t < hi; t++) {
          const float* sc = &a.r.scores[size_t(t * E)];
          const int32_t* id = &a.r.idx[size_t(t * K)];
          std::fill(ds.begin(), ds.end(), 0.0);
          const double rsf = c.routed_scaling_factor;
          if (c.renormalize_topk()) {  // w_k = rsf * s_k / S,  S = sum of chosen s
            double S = 0, dot = 0;
            for (int64_t k = 0; k < K; k++) {
              S += sc[id[k]];
              dot += double(dwt[t * K + k]) * sc[id[k]];
            }
            for (int64_t k = 0; k < K; k++) ds[size_t(id[k])] += rsf * (dwt[t * K + k] / S - dot / (S * S));
          } else {
            for (int64_t k = 0; k < K; k++) ds[size_t(id[k])] += rsf * dwt[t * K + k];
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
          float* dl = dlogit + t * E;
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
}

}  // namespace

void moe_bwd(const MoeWeights& w, const DeepSeekConfig& c, const RowShape& s, const float* x, const float* dout,
             const MoeActs& a, double balance_scale, float* dx, bool accumulate_dx, Precision p) {
  const int64_t N = s.rows(), E = c.n_routed_experts, K = c.num_experts_per_tok, D = c.hidden_size;
  if (!accumulate_dx) std::fill(dx, dx + N * D, 0.0f);
  if (w.has_shared) mlp_bwd(w.shared, x, dout, N, a.sa, dx, true, p);

  // routed experts (whole experts per thread, as in the forward), and d(loss)/d(weight of each assignment)
  uninit_vector<float> dwt(static_cast<size_t>(N * K), 0.0f);
  std::vector<uninit_vector<float>> dxe(static_cast<size_t>(E));  // per expert: its rows' input gradient [n_e, D]
  for_each_expert(a.d, [&](int64_t e) {
    const auto& rs = a.d.rows[size_t(e)];
    const int64_t n = int64_t(rs.size());
    if (n == 0) return;
    uninit_vector<float> dy(static_cast<size_t>(n * D));
    dxe[size_t(e)].resize(size_t(n * D));
    for (int64_t i = 0; i < n; i++) {
      const int64_t t = rs[size_t(i)] / K;
      const float g = a.r.wt[size_t(rs[size_t(i)])];
      const float* go = dout + t * D;
      const float* y = &a.ye[size_t(e)][size_t(i * D)];
      double dot = 0;
      for (int64_t d = 0; d < D; d++) {
        dy[size_t(i * D + d)] = g * go[d];
        dot += double(go[d]) * double(y[d]);
      }
      dwt[size_t(rs[size_t(i)])] = float(dot);  // each assignment belongs to one expert: no two threads write it
    }
    mlp_bwd(w.experts[size_t(e)], a.xe[size_t(e)].data(), dy.data(), n, a.ea[size_t(e)], dxe[size_t(e)].data(), false,
            p);
  });
  const std::vector<int64_t> at = assignment_rows(a.d, N, K);
  parallel_ranges(
      N,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t t = lo; t < hi; t++) {
          float* o = dx + t * D;
          for (int64_t k = 0; k < K; k++) {
            const int64_t e = a.r.idx[size_t(t * K + k)];
            const float* g = &dxe[size_t(e)][size_t(at[size_t(t * K + k)] * D)];
            for (int64_t d = 0; d < D; d++) o[d] += g[d];
          }
        }
      },
      16);

  // the gate: through the chosen experts' weights and the balance loss to the logits, then the router
  uninit_vector<float> dlogit(static_cast<size_t>(N * E));
  gate_bwd(c, s, a, dwt.data(), balance_scale, dlogit.data());
  linear_bwd(w.router, x, dlogit.data(), N, dx, true, Precision::F32);
}

}  // namespace seek
