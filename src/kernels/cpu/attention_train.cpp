#include "kernels/cpu/attention_train.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel.h"

#if defined(__AVX512F__)
// GCC 12's AVX-512 intrinsics trip -W(maybe-)uninitialized once inlined (see kernels/cpu/matmul_kernels.h).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

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

// The three block products, each with the loop order that keeps its accumulators in registers. Generic loops
// here (double, and builds without AVX-512); float on AVX-512 has the same functions with intrinsics below.

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

// acc[c][0..BK) += sum_r a.row(i0 + r)[c] * w[r][0..BK) for c < d, r < nq: a rank-nq update of a transposed
// [d, BK] block (dV^T of a key block += dO^T P).
template <class T>
void block_update_transposed(T* acc, int64_t d, HeadRows<T> a, int64_t i0, int64_t nq, const T* w) {
  for (int64_t c = 0; c < d; c++) {
    T x[BK];
    std::copy_n(acc + c * BK, BK, x);
    for (int64_t r = 0; r < nq; r++) {
      const T ac = a.row(i0 + r)[c];
      const T* wr = w + r * BK;
      for (int64_t jj = 0; jj < BK; jj++) x[jj] += ac * wr[jj];
    }
    std::copy_n(x, BK, acc + c * BK);
  }
}

// acct[c * ld + r] += sum_{jj < nk} wt[jj][r] * x.row(j0 + jj)[c] for c < d, r < BQ: rows of a query block
// accumulated in transposed form ([d, BQ] at stride ld: O^T += V^T P^T), wt the block's weights transposed [BK, BQ].
template <class T>
void block_rows_update(T* acct, int64_t ld, int64_t d, HeadRows<T> x, int64_t j0, int64_t nk, const T* wt) {
  for (int64_t jj = 0; jj < nk; jj++) {
    const T* xr = x.row(j0 + jj);
    const T* w = wt + jj * BQ;
    for (int64_t c = 0; c < d; c++)
      for (int64_t r = 0; r < BQ; r++) acct[c * ld + r] += w[r] * xr[c];
  }
}

#if defined(__AVX512F__)
// 4 rows x 64 keys in 16 registers; the 4 key vectors of each c loaded once for the 4 rows.
template <int R>
void block_dots_rows(float* s, HeadRows<float> a, int64_t i0, const float* mt, int64_t Tp, int64_t j0, int64_t d) {
  __m512 acc[R][4];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < 4; v++) acc[r][v] = _mm512_setzero_ps();
  for (int64_t c = 0; c < d; c++) {
    const float* m = mt + c * Tp + j0;
    const __m512 b[4] = {_mm512_loadu_ps(m), _mm512_loadu_ps(m + 16), _mm512_loadu_ps(m + 32),
                         _mm512_loadu_ps(m + 48)};
    for (int r = 0; r < R; r++) {
      const __m512 x = _mm512_set1_ps(a.row(i0 + r)[c]);
      for (int v = 0; v < 4; v++) acc[r][v] = _mm512_fmadd_ps(x, b[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < 4; v++) _mm512_storeu_ps(s + r * BK + 16 * v, acc[r][v]);
}
void block_dots(float* s, HeadRows<float> a, int64_t i0, int64_t nq, const float* mt, int64_t Tp, int64_t j0,
                int64_t d) {
  int64_t r = 0;
  for (; r + 4 <= nq; r += 4) block_dots_rows<4>(s + r * BK, a, i0 + r, mt, Tp, j0, d);
  for (; r < nq; r++) block_dots_rows<1>(s + r * BK, a, i0 + r, mt, Tp, j0, d);
}

// Two c at a time: 8 accumulators, each row's 4 weight vectors loaded once for both.
void block_update_transposed(float* acc, int64_t d, HeadRows<float> a, int64_t i0, int64_t nq, const float* w) {
  for (int64_t c = 0; c < d; c += 2) {
    const int nc = c + 1 < d ? 2 : 1;
    __m512 x[2][4];
    for (int u = 0; u < nc; u++)
      for (int v = 0; v < 4; v++) x[u][v] = _mm512_loadu_ps(acc + (c + u) * BK + 16 * v);
    for (int64_t r = 0; r < nq; r++) {
      const float* wr = w + r * BK;
      const __m512 wv[4] = {_mm512_loadu_ps(wr), _mm512_loadu_ps(wr + 16), _mm512_loadu_ps(wr + 32),
                            _mm512_loadu_ps(wr + 48)};
      const float* ar = a.row(i0 + r) + c;
      for (int u = 0; u < nc; u++) {
        const __m512 s = _mm512_set1_ps(ar[u]);
        for (int v = 0; v < 4; v++) x[u][v] = _mm512_fmadd_ps(s, wv[v], x[u][v]);
      }
    }
    for (int u = 0; u < nc; u++)
      for (int v = 0; v < 4; v++) _mm512_storeu_ps(acc + (c + u) * BK + 16 * v, x[u][v]);
  }
}

// BQ = 16 rows are one vector: 8 c at a time, each key's weight vector loaded once for the 8.
void block_rows_update(float* acct, int64_t ld, int64_t d, HeadRows<float> x, int64_t j0, int64_t nk,
                       const float* wt) {
  static_assert(BQ == 16, "one vector of query rows");
  for (int64_t c = 0; c < d; c += 8) {
    const int nc = int(std::min<int64_t>(8, d - c));
    __m512 acc[8];
    for (int u = 0; u < nc; u++) acc[u] = _mm512_loadu_ps(acct + (c + u) * ld);
    for (int64_t jj = 0; jj < nk; jj++) {
      const __m512 w = _mm512_loadu_ps(wt + jj * BQ);
      const float* xr = x.row(j0 + jj) + c;
      for (int u = 0; u < nc; u++) acc[u] = _mm512_fmadd_ps(_mm512_set1_ps(xr[u]), w, acc[u]);
    }
    for (int u = 0; u < nc; u++) _mm512_storeu_ps(acct + (c + u) * ld, acc[u]);
  }
}
#endif

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

// Online softmax over key blocks (running max m and sum l per row, the output rescaled when the max grows). The
// output block is accumulated transposed, [dv, BQ], so each query row is one lane.
template <class T>
void forward_head(const Head& hd, T* o, T* lse, const T* q, const T* k, const T* v, T scale) {
  const int64_t Tp = hd.Tp(), dv = hd.dv;
  std::vector<T> kt(size_t(hd.dk * Tp)), s(size_t(BQ * BK)), pt(size_t(BK * BQ)), acct(size_t(dv * BQ));
  const HeadRows<T> Q = head_rows(q, hd.b, hd.h, hd.T, hd.H, hd.dk), V = head_rows(v, hd.b, hd.h, hd.T, hd.H, dv);
  transpose_head(kt.data(), Tp, head_rows(k, hd.b, hd.h, hd.T, hd.H, hd.dk), hd.T, hd.dk);
  for (int64_t i0 = 0; i0 < hd.T; i0 += BQ) {
    const int64_t nq = std::min(BQ, hd.T - i0);
    T m[BQ], l[BQ], corr[BQ];
    std::fill(m, m + BQ, T(-INFINITY));
    std::fill(l, l + BQ, T(0));
    std::fill(acct.begin(), acct.end(), T(0));
    for (int64_t j0 = hd.first[i0] / BK * BK; j0 < i0 + nq; j0 += BK) {
      block_dots(s.data(), Q, i0, nq, kt.data(), Tp, j0, hd.dk);
      std::fill(pt.begin(), pt.end(), T(0));
      std::fill(corr, corr + BQ, T(1));
      for (int64_t r = 0; r < nq; r++) {
        const Visible vis = visible(hd, i0 + r, j0);
        if (vis.lo > vis.hi) continue;
        T* sr = &s[size_t(r * BK)];
        T mx = m[r];
        for (int64_t jj = vis.lo; jj <= vis.hi; jj++) mx = std::max(mx, sr[jj] *= scale);
        corr[r] = exp_of(m[r] - mx);  // 0 on the row's first block (m = -inf)
        T sum = 0;
        for (int64_t jj = vis.lo; jj <= vis.hi; jj++) sum += sr[jj] = exp_of(sr[jj] - mx);
        l[r] = l[r] * corr[r] + sum;
        m[r] = mx;
        for (int64_t jj = vis.lo; jj <= vis.hi; jj++) pt[size_t(jj * BQ + r)] = sr[jj];
      }
      for (int64_t c = 0; c < dv; c++)
        for (int64_t r = 0; r < BQ; r++) acct[size_t(c * BQ + r)] *= corr[r];
      block_rows_update(acct.data(), BQ, dv, V, j0, std::min(BK, hd.T - j0), pt.data());
    }
    for (int64_t r = 0; r < nq; r++) {
      const int64_t i = i0 + r;
      T* oi = head_row(o, hd.b, hd.h, i, hd.T, hd.H, dv);
      const T inv = T(1) / l[r];
      for (int64_t c = 0; c < dv; c++) oi[c] = acct[size_t(c * BQ + r)] * inv;
      lse[(hd.b * hd.H + hd.h) * hd.T + i] = m[r] + std::log(l[r]);
    }
  }
}

// Key blocks outside, query blocks inside (FlashAttention-2's backward order): a key block's dK and dV gather over
// every query block that sees it, in transposed [d, BK] accumulators written out once; dQ gathers in a transposed
// [dk, Tp] buffer. Per (query, key) block: P = exp(scale S - lse), dP = dO V^T, dS = P (dP - D) with
// D_i = dO_i . o_i; dV += P^T dO, dK += scale dS^T Q, dQ += scale dS K.
template <class T>
void backward_head(const Head& hd, T* dq, T* dk_, T* dv_, const T* dout, const T* o, const T* lse, const T* q,
                   const T* k, const T* v, T scale) {
  const int64_t Tp = hd.Tp(), dk = hd.dk, dv = hd.dv;
  std::vector<T> kt(size_t(dk * Tp)), vt(size_t(dv * Tp)), dqt(size_t(dk * Tp)), D(size_t(hd.T));
  std::vector<T> s(size_t(BQ * BK)), ds(size_t(BQ * BK)), dst(size_t(BK * BQ));
  std::vector<T> dkt(size_t(dk * BK)), dvt(size_t(dv * BK));  // the key block's dK^T, dV^T
  const HeadRows<T> Q = head_rows(q, hd.b, hd.h, hd.T, hd.H, dk), K = head_rows(k, hd.b, hd.h, hd.T, hd.H, dk),
                    dO = head_rows(dout, hd.b, hd.h, hd.T, hd.H, dv), O = head_rows(o, hd.b, hd.h, hd.T, hd.H, dv);
  transpose_head(kt.data(), Tp, K, hd.T, dk);
  transpose_head(vt.data(), Tp, head_rows(v, hd.b, hd.h, hd.T, hd.H, dv), hd.T, dv);
  for (int64_t i = 0; i < hd.T; i++) {
    T d = 0;
    for (int64_t c = 0; c < dv; c++) d += dO.row(i)[c] * O.row(i)[c];
    D[size_t(i)] = d;
  }
  const T* L = lse + (hd.b * hd.H + hd.h) * hd.T;
  for (int64_t j0 = 0; j0 < hd.T; j0 += BK) {
    const int64_t nk = std::min(BK, hd.T - j0);
    std::fill(dkt.begin(), dkt.end(), T(0));
    std::fill(dvt.begin(), dvt.end(), T(0));
    // rows before j0 see none of these keys; `first` only grows with i, so once a block's first row starts
    // after the key block, every later one does too
    for (int64_t i0 = j0 / BQ * BQ; i0 < hd.T && hd.first[i0] < j0 + BK; i0 += BQ) {
      const int64_t nq = std::min(BQ, hd.T - i0);
      block_dots(s.data(), Q, i0, nq, kt.data(), Tp, j0, dk);
      block_dots(ds.data(), dO, i0, nq, vt.data(), Tp, j0, dv);
      std::fill(dst.begin(), dst.end(), T(0));
      for (int64_t r = 0; r < nq; r++) {  // s <- P, ds <- scale dS; 0 where the row does not see the key
        const int64_t i = i0 + r;
        const Visible vis = visible(hd, i, j0);
        T *sr = &s[size_t(r * BK)], *dr = &ds[size_t(r * BK)];
        const T li = L[i], di = D[size_t(i)];
        for (int64_t jj = vis.lo; jj <= vis.hi; jj++) {
          const T p = exp_of(scale * sr[jj] - li);
          sr[jj] = p;
          dr[jj] = p * (dr[jj] - di) * scale;
        }
        for (int64_t jj = 0; jj < BK; jj++)
          if (jj < vis.lo || jj > vis.hi) sr[jj] = dr[jj] = T(0);
        for (int64_t jj = vis.lo; jj <= vis.hi; jj++) dst[size_t(jj * BQ + r)] = dr[jj];
      }
      block_rows_update(dqt.data() + i0, Tp, dk, K, j0, nk, dst.data());
      block_update_transposed(dvt.data(), dv, dO, i0, nq, s.data());
      block_update_transposed(dkt.data(), dk, Q, i0, nq, ds.data());
    }
    for (int64_t jj = 0; jj < nk; jj++) {
      T* dkj = head_row(dk_, hd.b, hd.h, j0 + jj, hd.T, hd.H, dk);
      T* dvj = head_row(dv_, hd.b, hd.h, j0 + jj, hd.T, hd.H, dv);
      for (int64_t c = 0; c < dk; c++) dkj[c] = dkt[size_t(c * BK + jj)];
      for (int64_t c = 0; c < dv; c++) dvj[c] = dvt[size_t(c * BK + jj)];
    }
  }
  for (int64_t i = 0; i < hd.T; i++) {
    T* dqi = head_row(dq, hd.b, hd.h, i, hd.T, hd.H, dk);
    for (int64_t c = 0; c < dk; c++) dqi[c] = dqt[size_t(c * Tp + i)];
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
