// Every training op's backward against central finite differences of its forward, in double precision: for a
// random upstream gradient g, d(sum(g * f(x)))/dx_i by (f(x + h e_i) - f(x - h e_i)) / 2h for every input element.
// The float instantiations (what training runs) are checked against the double ones.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "kernels/cpu/train_gemm.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/attention_train.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/rowops.h"

using namespace seek::cpu;
using seek::Precision;

namespace {

std::vector<double> randv(size_t n, uint32_t seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, scale);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i];
  return s;
}

// Checks analytic[i] == d(objective)/d(x[i]) for every i, where objective() reads x.
void expect_fd(std::vector<double>& x, const std::vector<double>& analytic, const std::function<double()>& objective,
               const char* what, double tol = 1e-7) {
  ASSERT_EQ(x.size(), analytic.size());
  const double h = 1e-5;
  double worst = 0;
  for (size_t i = 0; i < x.size(); i++) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double fp = objective();
    x[i] = x0 - h;
    const double fm = objective();
    x[i] = x0;
    const double fd = (fp - fm) / (2 * h);
    const double err = std::fabs(fd - analytic[i]) / std::max(1.0, std::fabs(fd));
    worst = std::max(worst, err);
  }
  EXPECT_LT(worst, tol) << what;
}

TEST(TrainOps, RmsNormBackward) {
  const int64_t R = 3, D = 7;
  auto x = randv(R * D, 1), w = randv(D, 2), g = randv(R * D, 3);
  std::vector<double> y(R * D), rstd(R), dx(R * D), dw(D, 0.0);
  auto f = [&] {
    rmsnorm_forward(y.data(), x.data(), w.data(), R, D, 1e-6, rstd.data());
    return dot(g, y);
  };
  f();
  rmsnorm_backward(dx.data(), dw.data(), g.data(), x.data(), w.data(), rstd.data(), R, D, false);
  expect_fd(x, dx, f, "dx");
  expect_fd(w, dw, f, "dw");
  // accumulate_dx adds
  std::vector<double> dx2(R * D, 1.0), dw2(D, 0.0);
  rmsnorm_backward(dx2.data(), dw2.data(), g.data(), x.data(), w.data(), rstd.data(), R, D, true);
  for (int64_t i = 0; i < R * D; i++) EXPECT_NEAR(dx2[i], dx[i] + 1.0, 1e-12);
}

TEST(TrainOps, SwiGluBackward) {
  const int64_t n = 11;
  auto gt = randv(n, 4, 2.0), up = randv(n, 5), g = randv(n, 6);
  std::vector<double> out(n), dg(n), du(n);
  auto f = [&] {
    swiglu_forward(out.data(), gt.data(), up.data(), n);
    return dot(g, out);
  };
  f();
  swiglu_backward(dg.data(), du.data(), g.data(), gt.data(), up.data(), n);
  expect_fd(gt, dg, f, "dgate");
  expect_fd(up, du, f, "dup");
}

TEST(TrainOps, RopeBackwardIsInverseRotation) {
  const int64_t R = 4, H = 2, stride = 10, off = 4, dim = 6;
  std::vector<float> cos(R * dim / 2), sin(R * dim / 2);
  for (int64_t p = 0; p < R; p++)
    for (int64_t i = 0; i < dim / 2; i++) {
      cos[p * dim / 2 + i] = float(std::cos(0.3 * p * (i + 1)));
      sin[p * dim / 2 + i] = float(std::sin(0.3 * p * (i + 1)));
    }
  std::vector<int32_t> pos = {0, 1, 2, 3};
  auto x = randv(R * H * stride, 7), g = randv(R * H * stride, 8);
  std::vector<double> y;
  auto f = [&] {
    y = x;
    rope(y.data(), R, H, stride, off, dim, pos.data(), cos.data(), sin.data(), RopeStyle::Interleaved, false);
    return dot(g, y);
  };
  f();
  std::vector<double> dx = g;
  rope(dx.data(), R, H, stride, off, dim, pos.data(), cos.data(), sin.data(), RopeStyle::Interleaved, true);
  expect_fd(x, dx, f, "drope");
}

TEST(TrainOps, CausalAttentionBackward) {
  const int64_t B = 2, T = 5, H = 2, dk = 3, dv = 4;
  const double scale = 0.7;
  auto q = randv(B * T * H * dk, 9), k = randv(B * T * H * dk, 10), v = randv(B * T * H * dv, 11),
       g = randv(B * T * H * dv, 12);
  std::vector<double> o(B * T * H * dv), lse(B * H * T);
  auto f = [&] {
    attention_train_forward(o.data(), lse.data(), q.data(), k.data(), v.data(), B, T, H, dk, dv, scale);
    return dot(g, o);
  };
  f();
  // causality: the first token's output is its own value
  for (int64_t d = 0; d < dv; d++) EXPECT_NEAR(o[d], v[d], 1e-12);
  std::vector<double> dq(q.size()), dkk(k.size()), dvv(v.size());
  attention_train_backward(dq.data(), dkk.data(), dvv.data(), g.data(), o.data(), lse.data(), q.data(), k.data(),
                           v.data(), B, T, H, dk, dv, scale);
  expect_fd(q, dq, f, "dq");
  expect_fd(k, dkk, f, "dk");
  expect_fd(v, dvv, f, "dv");
}

// Packed rows: segment ids 0 0 0 1 1 | 5 5 6 6 6 (two sequences, two samples each). Finite differences through the
// segmented forward, and each sample's output equals the unsegmented attention over that sample alone.
TEST(TrainOps, SegmentedAttentionBackward) {
  const int64_t B = 2, T = 5, H = 2, dk = 3, dv = 4;
  const double scale = 0.7;
  const std::vector<int32_t> seg = {0, 0, 0, 1, 1, 5, 5, 6, 6, 6};
  auto q = randv(B * T * H * dk, 31), k = randv(B * T * H * dk, 32), v = randv(B * T * H * dv, 33),
       g = randv(B * T * H * dv, 34);
  std::vector<double> o(B * T * H * dv), lse(B * H * T);
  auto f = [&] {
    attention_train_forward(o.data(), lse.data(), q.data(), k.data(), v.data(), B, T, H, dk, dv, scale, seg.data());
    return dot(g, o);
  };
  f();
  std::vector<double> dq(q.size()), dkk(k.size()), dvv(v.size());
  attention_train_backward(dq.data(), dkk.data(), dvv.data(), g.data(), o.data(), lse.data(), q.data(), k.data(),
                           v.data(), B, T, H, dk, dv, scale, seg.data());
  expect_fd(q, dq, f, "dq");
  expect_fd(k, dkk, f, "dk");
  expect_fd(v, dvv, f, "dv");
  f();  // o at the unperturbed inputs
  // each sample alone: rows [first, first + n) as a sequence of their own
  for (auto [first, n] : {std::pair<int64_t, int64_t>{0, 3}, {3, 2}, {5, 2}, {7, 3}}) {
    auto rows = [&](const std::vector<double>& x, int64_t w) {
      return std::vector<double>(x.begin() + first * H * w, x.begin() + (first + n) * H * w);
    };
    const auto qs = rows(q, dk), ks = rows(k, dk), vs = rows(v, dv);
    std::vector<double> os(size_t(n * H * dv)), ls(size_t(H * n));
    attention_train_forward(os.data(), ls.data(), qs.data(), ks.data(), vs.data(), 1, n, H, dk, dv, scale);
    const auto want = rows(o, dv);
    for (size_t i = 0; i < os.size(); i++) EXPECT_NEAR(want[i], os[i], 1e-12) << "sample at row " << first;
  }
  // and the segments matter: without them the second sample's rows see the first's
  std::vector<double> o2(o.size()), l2(lse.size());
  attention_train_forward(o2.data(), l2.data(), q.data(), k.data(), v.data(), B, T, H, dk, dv, scale);
  EXPECT_GT(std::fabs(o2[3 * H * dv] - o[3 * H * dv]), 1e-6);
}

TEST(TrainOps, CrossEntropyBackward) {
  const int64_t R = 4, V = 9;
  auto logits = randv(R * V, 13, 3.0);
  std::vector<int32_t> tgt = {3, -1, 0, 8};
  std::vector<double> d(R * V);
  auto f = [&] { return cross_entropy_train(d.data(), logits.data(), tgt.data(), R, V, 1.0); };
  const double loss = f();
  // closed form for row 0
  double mx = -1e300, s = 0;
  for (int64_t i = 0; i < V; i++) mx = std::max(mx, logits[i]);
  for (int64_t i = 0; i < V; i++) s += std::exp(logits[i] - mx);
  double expect = 0;
  for (int64_t r : {0, 2, 3}) {
    double m = -1e300, z = 0;
    for (int64_t i = 0; i < V; i++) m = std::max(m, logits[r * V + i]);
    for (int64_t i = 0; i < V; i++) z += std::exp(logits[r * V + i] - m);
    expect += m + std::log(z) - logits[r * V + tgt[r]];
  }
  EXPECT_NEAR(loss, expect, 1e-12);
  std::vector<double> grad = d;
  std::vector<double> scratch(R * V);
  expect_fd(
      logits, grad, [&] { return cross_entropy_train(scratch.data(), logits.data(), tgt.data(), R, V, 1.0); },
      "dlogits");
  for (int64_t i = 0; i < V; i++) EXPECT_EQ(grad[V + i], 0.0);  // ignored row
}

// Token log-probabilities (the RL objectives' input): logp and entropy against their definitions, and the gradient
// of sum_r c_r * logp_r against finite differences.
TEST(TrainOps, TokenLogprobsAndBackward) {
  const int64_t R = 4, V = 7;
  auto logits = randv(R * V, 21, 2.0);
  const std::vector<int32_t> tgt = {2, 6, -1, 0};
  const std::vector<double> c = {0.7, -1.3, 5.0, 0.4};  // d objective / d logp per row
  std::vector<double> logp(R), ent(R);
  token_logprobs(logits.data(), tgt.data(), R, V, logp.data(), ent.data());
  for (int64_t r = 0; r < R; r++) {
    if (tgt[r] < 0) {
      EXPECT_EQ(logp[r], 0.0);
      EXPECT_EQ(ent[r], 0.0);
      continue;
    }
    double z = 0;
    for (int64_t v = 0; v < V; v++) z += std::exp(logits[r * V + v]);
    double h = 0;
    for (int64_t v = 0; v < V; v++) {
      const double p = std::exp(logits[r * V + v]) / z;
      h -= p * std::log(p);
    }
    EXPECT_NEAR(logp[r], logits[r * V + tgt[r]] - std::log(z), 1e-12);
    EXPECT_NEAR(ent[r], h, 1e-12);
  }
  auto objective = [&] {
    std::vector<double> lp(R), e(R);
    token_logprobs(logits.data(), tgt.data(), R, V, lp.data(), e.data());
    double s = 0;
    for (int64_t r = 0; r < R; r++) s += c[size_t(r)] * lp[size_t(r)];
    return s;
  };
  std::vector<double> d(R * V);
  token_logprobs_backward(d.data(), logits.data(), tgt.data(), c.data(), R, V);
  expect_fd(logits, d, objective, "dlogits");
  for (int64_t v = 0; v < V; v++) EXPECT_EQ(d[2 * V + v], 0.0);  // ignored row
}

// The float GEMMs (seek's matmul kernels) against the double definitions, for each of the three shapes.
TEST(TrainOps, GemmShapesFloatMatchDouble) {
  const int64_t M = 37, N = 29, K = 53;
  auto a = randv(M * K, 14), b = randv(N * K, 15), c0 = randv(M * N, 16);
  std::vector<float> af(a.begin(), a.end()), bf(b.begin(), b.end());
  for (int variant = 0; variant < 3; variant++)
    for (bool acc : {false, true}) {
      std::vector<double> cd = c0;
      std::vector<float> cf(c0.begin(), c0.end());
      if (variant == 0) {
        gemm_nt(cd.data(), a.data(), b.data(), M, N, K, acc, Precision::F32);
        gemm_nt(cf.data(), af.data(), bf.data(), M, N, K, acc, Precision::F32);
      } else if (variant == 1) {  // A[M, K] B[K, N]
        gemm_nn(cd.data(), a.data(), b.data(), M, N, K, acc, Precision::F32);
        gemm_nn(cf.data(), af.data(), bf.data(), M, N, K, acc, Precision::F32);
      } else {  // A[K, M]^T B[K, N]
        gemm_tn(cd.data(), a.data(), b.data(), M, N, K, acc, Precision::F32);
        gemm_tn(cf.data(), af.data(), bf.data(), M, N, K, acc, Precision::F32);
      }
      double worst = 0;
      for (int64_t i = 0; i < M * N; i++) worst = std::max(worst, std::fabs(cd[i] - cf[i]));
      EXPECT_LT(worst, 1e-4) << "variant " << variant << " accumulate " << acc;
    }
  // and the double nt is the definition
  std::vector<double> c(M * N);
  gemm_nt(c.data(), a.data(), b.data(), M, N, K, false, Precision::F32);
  double s = 0;
  for (int64_t k = 0; k < K; k++) s += a[5 * K + k] * b[7 * K + k];
  EXPECT_NEAR(c[5 * N + 7], s, 1e-12);
}

// The materialized form, as the definition: P[i, j] = softmax_j(scale q_i.k_j) over the keys row i sees (j <= i,
// j >= its sample's first row), o = P V; dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dP P)), dQ = scale dS K,
// dK = scale dS^T Q. Double loops, whole T x T matrices.
struct MaterializedAttention {
  std::vector<double> o, dq, dk, dv;
};
MaterializedAttention materialized_attention(const std::vector<double>& q, const std::vector<double>& k,
                                             const std::vector<double>& v, const std::vector<double>& dout, int64_t B,
                                             int64_t T, int64_t H, int64_t dk, int64_t dv, double scale,
                                             const std::vector<int32_t>& seg) {
  MaterializedAttention r{std::vector<double>(v.size()), std::vector<double>(q.size()), std::vector<double>(k.size()),
                          std::vector<double>(v.size())};
  auto at = [&](int64_t b, int64_t i, int64_t h, int64_t d) { return ((b * T + i) * H + h) * d; };
  for (int64_t b = 0; b < B; b++)
    for (int64_t h = 0; h < H; h++) {
      std::vector<double> P(size_t(T * T), 0.0), dP(size_t(T * T), 0.0);
      for (int64_t i = 0; i < T; i++) {
        int64_t j0 = i;
        while (j0 > 0 && seg[size_t(b * T + j0 - 1)] == seg[size_t(b * T + i)]) j0--;
        double mx = -1e300;
        for (int64_t j = j0; j <= i; j++) {
          double s = 0;
          for (int64_t d = 0; d < dk; d++) s += q[size_t(at(b, i, h, dk) + d)] * k[size_t(at(b, j, h, dk) + d)];
          P[size_t(i * T + j)] = s * scale;
          mx = std::max(mx, s * scale);
        }
        double z = 0;
        for (int64_t j = j0; j <= i; j++) z += P[size_t(i * T + j)] = std::exp(P[size_t(i * T + j)] - mx);
        for (int64_t j = j0; j <= i; j++) P[size_t(i * T + j)] /= z;
      }
      for (int64_t i = 0; i < T; i++) {
        double rowdot = 0;
        for (int64_t j = 0; j < T; j++) {
          const double p = P[size_t(i * T + j)];
          if (p == 0) continue;
          double dp = 0;
          for (int64_t d = 0; d < dv; d++) {
            r.o[size_t(at(b, i, h, dv) + d)] += p * v[size_t(at(b, j, h, dv) + d)];
            r.dv[size_t(at(b, j, h, dv) + d)] += p * dout[size_t(at(b, i, h, dv) + d)];
            dp += dout[size_t(at(b, i, h, dv) + d)] * v[size_t(at(b, j, h, dv) + d)];
          }
          dP[size_t(i * T + j)] = dp;
          rowdot += dp * p;
        }
        for (int64_t j = 0; j < T; j++) {
          const double ds = P[size_t(i * T + j)] * (dP[size_t(i * T + j)] - rowdot) * scale;
          for (int64_t d = 0; d < dk; d++) {
            r.dq[size_t(at(b, i, h, dk) + d)] += ds * k[size_t(at(b, j, h, dk) + d)];
            r.dk[size_t(at(b, j, h, dk) + d)] += ds * q[size_t(at(b, i, h, dk) + d)];
          }
        }
      }
    }
  return r;
}

// The blocked kernel (16 query rows x 64 keys) against the materialized form, over lengths that cross block edges
// and packed samples that start and end inside blocks, in double (float rounding only) and in float.
TEST(TrainOps, FlashAttentionMatchesMaterialized) {
  const int64_t B = 2, T = 150, H = 2, dk = 24, dv = 20;
  const double scale = 0.3;
  std::vector<int32_t> seg(size_t(B * T));
  for (int64_t i = 0; i < T; i++) {
    seg[size_t(i)] = i < 70 ? 0 : i < 81 ? 1 : 2;  // samples of 70, 11 and 69 rows
    seg[size_t(T + i)] = i < 129 ? 3 : 4;          // 129 and 21
  }
  auto q = randv(B * T * H * dk, 41, 2.0), k = randv(B * T * H * dk, 42, 2.0), v = randv(B * T * H * dv, 43),
       g = randv(B * T * H * dv, 44);
  for (bool segmented : {false, true}) {
    std::vector<int32_t> none(seg.size(), 0);
    const MaterializedAttention want =
        materialized_attention(q, k, v, g, B, T, H, dk, dv, scale, segmented ? seg : none);
    const int32_t* sp = segmented ? seg.data() : nullptr;
    std::vector<double> o(v.size()), lse(size_t(B * H * T)), dq(q.size()), dk_(k.size()), dv_(v.size());
    attention_train_forward(o.data(), lse.data(), q.data(), k.data(), v.data(), B, T, H, dk, dv, scale, sp);
    attention_train_backward(dq.data(), dk_.data(), dv_.data(), g.data(), o.data(), lse.data(), q.data(), k.data(),
                             v.data(), B, T, H, dk, dv, scale, sp);
    auto worst = [](const auto& a, const std::vector<double>& b) {
      double w = 0;
      for (size_t i = 0; i < b.size(); i++) w = std::max(w, std::fabs(double(a[i]) - b[i]));
      return w;
    };
    EXPECT_LT(worst(o, want.o), 1e-12) << "segmented " << segmented;
    EXPECT_LT(worst(dq, want.dq), 1e-12) << "segmented " << segmented;
    EXPECT_LT(worst(dk_, want.dk), 1e-12) << "segmented " << segmented;
    EXPECT_LT(worst(dv_, want.dv), 1e-12) << "segmented " << segmented;
    std::vector<float> qf(q.begin(), q.end()), kf(k.begin(), k.end()), vf(v.begin(), v.end()), gf(g.begin(), g.end());
    std::vector<float> of(v.size()), lf(lse.size()), dqf(q.size()), dkf(k.size()), dvf(v.size());
    attention_train_forward(of.data(), lf.data(), qf.data(), kf.data(), vf.data(), B, T, H, dk, dv, scale, sp);
    attention_train_backward(dqf.data(), dkf.data(), dvf.data(), gf.data(), of.data(), lf.data(), qf.data(), kf.data(),
                             vf.data(), B, T, H, dk, dv, scale, sp);
    EXPECT_LT(worst(of, want.o), 2e-5) << "segmented " << segmented;
    EXPECT_LT(worst(dqf, want.dq), 1e-4) << "segmented " << segmented;
    EXPECT_LT(worst(dkf, want.dk), 1e-4) << "segmented " << segmented;
    EXPECT_LT(worst(dvf, want.dv), 2e-5) << "segmented " << segmented;
  }
}

// Float instantiations against double on the attention op (the one with the most arithmetic).
TEST(TrainOps, FloatAttentionMatchesDouble) {
  const int64_t B = 1, T = 9, H = 3, dk = 5, dv = 4;
  auto q = randv(B * T * H * dk, 17), k = randv(B * T * H * dk, 18), v = randv(B * T * H * dv, 19),
       g = randv(B * T * H * dv, 20);
  std::vector<double> o(v.size()), lse(B * H * T), dq(q.size()), dk_(k.size()), dv_(v.size());
  attention_train_forward(o.data(), lse.data(), q.data(), k.data(), v.data(), B, T, H, dk, dv, 0.5);
  attention_train_backward(dq.data(), dk_.data(), dv_.data(), g.data(), o.data(), lse.data(), q.data(), k.data(),
                           v.data(), B, T, H, dk, dv, 0.5);
  std::vector<float> qf(q.begin(), q.end()), kf(k.begin(), k.end()), vf(v.begin(), v.end()), gf(g.begin(), g.end());
  std::vector<float> of(v.size()), lf(lse.size()), dqf(q.size()), dkf(k.size()), dvf(v.size());
  attention_train_forward(of.data(), lf.data(), qf.data(), kf.data(), vf.data(), B, T, H, dk, dv, 0.5);
  attention_train_backward(dqf.data(), dkf.data(), dvf.data(), gf.data(), of.data(), lf.data(), qf.data(), kf.data(),
                           vf.data(), B, T, H, dk, dv, 0.5);
  for (size_t i = 0; i < o.size(); i++) EXPECT_NEAR(of[i], o[i], 1e-5);
  for (size_t i = 0; i < q.size(); i++) EXPECT_NEAR(dqf[i], dq[i], 1e-5);
  for (size_t i = 0; i < k.size(); i++) EXPECT_NEAR(dkf[i], dk_[i], 1e-5);
}

}  // namespace
