#include "kernels/cpu/attention_train.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel.h"

// expf has vector versions in glibc's libmvec; declaring them lets the compiler vectorize the exp loops below
// (it needs -fno-math-errno, set for this file in CMakeLists.txt: we never read errno).
extern "C" __attribute__((simd("notinbranch"))) float expf(float) noexcept;

namespace seek::cpu {

namespace {

inline float exp_of(float x) { return expf(x); }
inline double exp_of(double x) { return std::exp(x); }

constexpr int64_t BQ = 16;  // query rows per block
constexpr int64_t BK = 64;  // keys per block: a row of block scores is 64 values, kept in vector registers

// One (sequence b, head h) of a [B*T, H, d] tensor: row i at base + i * stride.
template <class T>
struct HeadRows {
  const T* base;
  int64_t stride;
  const T* row(int64_t i) const { return base + i * stride; }
};
template <class T>
HeadRows<T> head_rows(const T* x, int64_t b, int64_t h, int64_t T_, int64_t H, int64_t d) {
  return {x + (b * T_ * H + h) * d, H * d};
}
template <class T>
T* head_row(T* x, int64_t b, int64_t h, int64_t i, int64_t T_, int64_t H, int64_t d) {
  return x + ((b * T_ + i) * H + h) * d;
}

// out[c, j] = x.row(j)[c] for j < T_, 0 for T_ <= j < Tp: the head's keys (or values) transposed, so a block of
// scores is a sum of contiguous 64-key vectors.
template <class T>
void transpose_head(T* out, int64_t Tp, HeadRows<T> x, int64_t T_, int64_t d) {
  for (int64_t j = 0; j < T_; j++) {
    const T* xr = x.row(j);
    for (int64_t c = 0; c < d; c++) out[c * Tp + j] = xr[c];
  }
  for (int64_t c = 0; c < d; c++) std::fill(out + c * Tp + T_, out + (c + 1) * Tp, T(0));
}

// s[r][jj] = a.row(i0 + r) . mt[:, j0 + jj] for r < nq, jj < BK; mt is [d, Tp] (transposed rows).
template <class T>
void block_dots(T* s, HeadRows<T> a, int64_t i0, int64_t nq, const T* mt, int64_t Tp, int64_t j0, int64_t d) {
  for (int64_t r = 0; r < nq; r++) {
    T acc[BK] = {};
    const T* ar = a.row(i0 + r);
    for (int64_t c = 0; c < d; c++) {
      const T x = ar[c];
      const T* m = mt + c * Tp + j0;
      for (int64_t jj = 0; jj < BK; jj++) acc[jj] += x * m[jj];
    }
    std::copy_n(acc, BK, s + r * BK);
  }
}

inline void axpy(float* y, const float* x, float a, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}
inline void axpy(double* y, const double* x, double a, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

// What one job works on: sequence b, head h, and the shapes.
struct Head {
  int64_t b, h, T, H, dk, dv;
  const int32_t* first;  // [T] first visible key of each row of sequence b
  int64_t Tp() const { return (T + BK - 1) / BK * BK; }
};

// Row i0 + r of a block sees keys [first, i]; the part inside the key block [j0, j0 + BK), as jj offsets [lo, hi]
// (empty when lo > hi).
struct Visible {
  int64_t lo, hi;
};
inline Visible visible(const Head& hd, int64_t i, int64_t j0) {
  return {std::max<int64_t>(hd.first[i], j0) - j0, std::min<int64_t>(i, j0 + BK - 1) - j0};
}

// Online softmax over key blocks (running max m and sum l per row, the output rescaled when the max grows).
template <class T>
void forward_head(const Head& hd, T* o, T* lse, const T* q, const T* k, const T* v, T scale) {
  const int64_t Tp = hd.Tp(), dv = hd.dv;
  std::vector<T> kt(size_t(hd.dk * Tp)), s(size_t(BQ * BK)), acc(size_t(BQ * dv));
  const HeadRows<T> Q = head_rows(q, hd.b, hd.h, hd.T, hd.H, hd.dk), V = head_rows(v, hd.b, hd.h, hd.T, hd.H, dv);
  transpose_head(kt.data(), Tp, head_rows(k, hd.b, hd.h, hd.T, hd.H, hd.dk), hd.T, hd.dk);
  for (int64_t i0 = 0; i0 < hd.T; i0 += BQ) {
    const int64_t nq = std::min(BQ, hd.T - i0);
    T m[BQ], l[BQ];
    std::fill(m, m + BQ, T(-INFINITY));
    std::fill(l, l + BQ, T(0));
    std::fill(acc.begin(), acc.end(), T(0));
    for (int64_t j0 = hd.first[i0] / BK * BK; j0 < i0 + nq; j0 += BK) {
      block_dots(s.data(), Q, i0, nq, kt.data(), Tp, j0, hd.dk);
      for (int64_t r = 0; r < nq; r++) {
        const Visible vis = visible(hd, i0 + r, j0);
        if (vis.lo > vis.hi) continue;
        T* sr = &s[size_t(r * BK)];
        T mx = m[r];
        for (int64_t jj = vis.lo; jj <= vis.hi; jj++) mx = std::max(mx, sr[jj] *= scale);
        const T corr = exp_of(m[r] - mx);  // 0 on the row's first block (m = -inf)
        T sum = 0;
        for (int64_t jj = vis.lo; jj <= vis.hi; jj++) sum += sr[jj] = exp_of(sr[jj] - mx);
        l[r] = l[r] * corr + sum;
        m[r] = mx;
        T* ar = &acc[size_t(r * dv)];
        if (corr != T(1))
          for (int64_t d = 0; d < dv; d++) ar[d] *= corr;
        for (int64_t jj = vis.lo; jj <= vis.hi; jj++) axpy(ar, V.row(j0 + jj), sr[jj], dv);
      }
    }
    for (int64_t r = 0; r < nq; r++) {
      const int64_t i = i0 + r;
      T* oi = head_row(o, hd.b, hd.h, i, hd.T, hd.H, dv);
      const T inv = T(1) / l[r];
      for (int64_t d = 0; d < dv; d++) oi[d] = acc[size_t(r * dv + d)] * inv;
      lse[(hd.b * hd.H + hd.h) * hd.T + i] = m[r] + std::log(l[r]);
    }
  }
}

// Per block: P = exp(scale S - lse), dP = dO V^T, dS = P (dP - D) with D_i = dO_i . o_i; then dV += P^T dO,
// dK += scale dS^T Q, dQ += scale dS K.
template <class T>
void backward_head(const Head& hd, T* dq, T* dk_, T* dv_, const T* dout, const T* o, const T* lse, const T* q,
                   const T* k, const T* v, T scale) {
  const int64_t Tp = hd.Tp(), dk = hd.dk, dv = hd.dv;
  std::vector<T> kt(size_t(dk * Tp)), vt(size_t(dv * Tp)), s(size_t(BQ * BK)), ds(size_t(BQ * BK)), D(size_t(hd.T));
  const HeadRows<T> Q = head_rows(q, hd.b, hd.h, hd.T, hd.H, dk), K = head_rows(k, hd.b, hd.h, hd.T, hd.H, dk),
                    dO = head_rows(dout, hd.b, hd.h, hd.T, hd.H, dv), O = head_rows(o, hd.b, hd.h, hd.T, hd.H, dv);
  transpose_head(kt.data(), Tp, K, hd.T, dk);
  transpose_head(vt.data(), Tp, head_rows(v, hd.b, hd.h, hd.T, hd.H, dv), hd.T, dv);
  for (int64_t i = 0; i < hd.T; i++) {
    T d = 0;
    for (int64_t c = 0; c < dv; c++) d += dO.row(i)[c] * O.row(i)[c];
    D[size_t(i)] = d;
    std::fill_n(head_row(dq, hd.b, hd.h, i, hd.T, hd.H, dk), dk, T(0));
    std::fill_n(head_row(dk_, hd.b, hd.h, i, hd.T, hd.H, dk), dk, T(0));
    std::fill_n(head_row(dv_, hd.b, hd.h, i, hd.T, hd.H, dv), dv, T(0));
  }
  const T* L = lse + (hd.b * hd.H + hd.h) * hd.T;
  for (int64_t i0 = 0; i0 < hd.T; i0 += BQ) {
    const int64_t nq = std::min(BQ, hd.T - i0);
    for (int64_t j0 = hd.first[i0] / BK * BK; j0 < i0 + nq; j0 += BK) {
      block_dots(s.data(), Q, i0, nq, kt.data(), Tp, j0, dk);
      block_dots(ds.data(), dO, i0, nq, vt.data(), Tp, j0, dv);
      for (int64_t r = 0; r < nq; r++) {  // s <- P, ds <- scale dS; 0 where the row does not see the key
        const int64_t i = i0 + r;
        const Visible vis = visible(hd, i, j0);
        T *sr = &s[size_t(r * BK)], *dr = &ds[size_t(r * BK)];
        for (int64_t jj = 0; jj < BK; jj++) {
          const bool seen = jj >= vis.lo && jj <= vis.hi;
          const T p = seen ? exp_of(scale * sr[jj] - L[i]) : T(0);
          sr[jj] = p;
          dr[jj] = p * (dr[jj] - D[size_t(i)]) * scale;
        }
        T* dqi = head_row(dq, hd.b, hd.h, i, hd.T, hd.H, dk);
        for (int64_t jj = vis.lo; jj <= vis.hi; jj++) axpy(dqi, K.row(j0 + jj), dr[jj], dk);
      }
      for (int64_t jj = 0; jj < std::min(BK, hd.T - j0); jj++) {
        const int64_t j = j0 + jj;
        T* dvj = head_row(dv_, hd.b, hd.h, j, hd.T, hd.H, dv);
        T* dkj = head_row(dk_, hd.b, hd.h, j, hd.T, hd.H, dk);
        for (int64_t r = 0; r < nq; r++) {
          if (s[size_t(r * BK + jj)] == T(0)) continue;  // not seen (or a probability that underflowed)
          axpy(dvj, dO.row(i0 + r), s[size_t(r * BK + jj)], dv);
          axpy(dkj, Q.row(i0 + r), ds[size_t(r * BK + jj)], dk);
        }
      }
    }
  }
}

}  // namespace

void segment_starts(const int32_t* segments, int64_t B, int64_t T, int32_t* first) {
  for (int64_t b = 0; b < B; b++)
    for (int64_t i = 0; i < T; i++) {
      const int64_t r = b * T + i;
      first[r] = !segments || i == 0 ? 0 : segments[r] == segments[r - 1] ? first[r - 1] : int32_t(i);
    }
}

// One (sequence, head) pair per job: each job writes only its own head's rows.
template <class T>
void attention_train_forward(T* o, T* lse, const T* q, const T* k, const T* v, int64_t B, int64_t T_, int64_t H,
                             int64_t dk, int64_t dv, double scale, const int32_t* segments) {
  std::vector<int32_t> first(static_cast<size_t>(B * T_));
  segment_starts(segments, B, T_, first.data());
  parallel_ranges(B * H, [&](int64_t lo, int64_t hi, int) {
    for (int64_t bh = lo; bh < hi; bh++) {
      const Head hd{bh / H, bh % H, T_, H, dk, dv, first.data() + (bh / H) * T_};
      forward_head(hd, o, lse, q, k, v, T(scale));
    }
  });
}

template <class T>
void attention_train_backward(T* dq, T* dk_, T* dv_, const T* dout, const T* o, const T* lse, const T* q, const T* k,
                              const T* v, int64_t B, int64_t T_, int64_t H, int64_t dk, int64_t dv, double scale,
                              const int32_t* segments) {
  std::vector<int32_t> first(static_cast<size_t>(B * T_));
  segment_starts(segments, B, T_, first.data());
  parallel_ranges(B * H, [&](int64_t lo, int64_t hi, int) {
    for (int64_t bh = lo; bh < hi; bh++) {
      const Head hd{bh / H, bh % H, T_, H, dk, dv, first.data() + (bh / H) * T_};
      backward_head(hd, dq, dk_, dv_, dout, o, lse, q, k, v, T(scale));
    }
  });
}

#define SEEK_INSTANTIATE(T)                                                                                          \
  template void attention_train_forward<T>(T*, T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, \
                                           int64_t, double, const int32_t*);                                         \
  template void attention_train_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, const T*,  \
                                            int64_t, int64_t, int64_t, int64_t, int64_t, double, const int32_t*);

SEEK_INSTANTIATE(float)
SEEK_INSTANTIATE(double)

}  // namespace seek::cpu
