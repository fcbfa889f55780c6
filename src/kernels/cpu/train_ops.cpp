#include "kernels/cpu/train_ops.h"

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
}  // namespace

template <class T>
void rmsnorm_train_forward(T* y, T* rstd, const T* x, const T* w, int64_t rows, int64_t dim, double eps) {
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t r = lo; r < hi; r++) {
          const T* xr = x + r * dim;
          double ss = 0;
          for (int64_t d = 0; d < dim; d++) ss += double(xr[d]) * double(xr[d]);
          const T rs = T(1.0 / std::sqrt(ss / double(dim) + eps));
          rstd[r] = rs;
          T* yr = y + r * dim;
          for (int64_t d = 0; d < dim; d++) yr[d] = w[d] * (xr[d] * rs);
        }
      },
      8);
}

template <class T>
void rmsnorm_train_backward(T* dx, T* dw, const T* dy, const T* x, const T* w, const T* rstd, int64_t rows, int64_t dim,
                            bool accumulate_dx) {
  // dx = rstd * (w*dy - xhat * mean(w*dy*xhat)),  xhat = x * rstd;  dw = sum_r dy * xhat.
  const int nt = num_threads();
  std::vector<T> dw_part(static_cast<size_t>(nt * dim), T(0));  // per-thread partial dw, reduced below
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int tid) {
        T* dwp = &dw_part[size_t(tid) * size_t(dim)];
        for (int64_t r = lo; r < hi; r++) {
          const T* xr = x + r * dim;
          const T* gr = dy + r * dim;
          const T rs = rstd[r];
          double dot = 0;
          for (int64_t d = 0; d < dim; d++) dot += double(w[d] * gr[d]) * double(xr[d] * rs);
          const T m = T(dot / double(dim));
          T* dxr = dx + r * dim;
          for (int64_t d = 0; d < dim; d++) {
            const T xh = xr[d] * rs;
            const T v = rs * (w[d] * gr[d] - xh * m);
            dxr[d] = accumulate_dx ? dxr[d] + v : v;
            dwp[d] += gr[d] * xh;
          }
        }
      },
      8);
  for (int t = 0; t < nt; t++)
    for (int64_t d = 0; d < dim; d++) dw[d] += dw_part[size_t(t) * size_t(dim) + size_t(d)];
}

template <class T>
static inline T sigmoid(T x) {
  return T(1) / (T(1) + exp_of(-x));
}

template <class T>
void swiglu_train_forward(T* out, const T* gate, const T* up, int64_t n) {
  parallel_ranges(
      n,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t i = lo; i < hi; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
      },
      4096);
}

template <class T>
void swiglu_train_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t n) {
  parallel_ranges(
      n,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t i = lo; i < hi; i++) {
          const T s = sigmoid(gate[i]);
          const T silu = gate[i] * s;
          dgate[i] = dout[i] * up[i] * (s * (T(1) + gate[i] * (T(1) - s)));
          dup[i] = dout[i] * silu;
        }
      },
      4096);
}

template <class T>
void rope_train(T* x, int64_t rows, int64_t heads, int64_t stride, int64_t offset, int64_t dim, const int32_t* pos,
                const float* cos, const float* sin, bool inverse) {
  const int64_t half = dim / 2;
  const T sgn = inverse ? T(-1) : T(1);
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t r = lo; r < hi; r++) {
          const float* c = cos + int64_t(pos[r]) * half;
          const float* s = sin + int64_t(pos[r]) * half;
          for (int64_t h = 0; h < heads; h++) {
            T* v = x + (r * heads + h) * stride + offset;
            for (int64_t i = 0; i < half; i++) {
              const T a = v[2 * i], b = v[2 * i + 1], ci = T(c[i]), si = sgn * T(s[i]);
              v[2 * i] = a * ci - b * si;
              v[2 * i + 1] = a * si + b * ci;
            }
          }
        }
      },
      8);
}

template <class T>
void attention_train_forward(T* o, T* p, const T* q, const T* k, const T* v, int64_t B, int64_t T_, int64_t H,
                             int64_t dk, int64_t dv, double scale) {
  // One (sequence, head) pair per job. Scores are computed as axpys over a transposed K so they vectorize.
  parallel_ranges(B * H, [&](int64_t lo, int64_t hi, int) {
    std::vector<T> kt(static_cast<size_t>(dk * T_));  // [dk, T] keys of this (b, h), transposed
    for (int64_t bh = lo; bh < hi; bh++) {
      const int64_t b = bh / H, h = bh % H;
      for (int64_t j = 0; j < T_; j++)
        for (int64_t d = 0; d < dk; d++) kt[size_t(d * T_ + j)] = k[((b * T_ + j) * H + h) * dk + d];
      T* P = p + bh * T_ * T_;
      for (int64_t i = 0; i < T_; i++) {
        T* pr = P + i * T_;
        const T* qi = q + ((b * T_ + i) * H + h) * dk;
        std::fill(pr, pr + T_, T(0));
        for (int64_t d = 0; d < dk; d++) {
          const T qd = qi[d];
          const T* kd = &kt[size_t(d * T_)];
          for (int64_t j = 0; j <= i; j++) pr[j] += qd * kd[j];
        }
        T mx = -INFINITY;
        for (int64_t j = 0; j <= i; j++) mx = std::max(mx, pr[j] *= T(scale));
        for (int64_t j = 0; j <= i; j++) pr[j] = exp_of(pr[j] - mx);  // vectorized
        T sum = 0;
        for (int64_t j = 0; j <= i; j++) sum += pr[j];
        const T inv = T(1) / sum;
        for (int64_t j = 0; j <= i; j++) pr[j] *= inv;
        T* oi = o + ((b * T_ + i) * H + h) * dv;
        std::fill(oi, oi + dv, T(0));
        for (int64_t j = 0; j <= i; j++) {
          const T pj = pr[j];
          const T* vj = v + ((b * T_ + j) * H + h) * dv;
          for (int64_t d = 0; d < dv; d++) oi[d] += pj * vj[d];
        }
      }
    }
  });
}

template <class T>
void attention_train_backward(T* dq, T* dk_, T* dv_, const T* dout, const T* p, const T* q, const T* k, const T* v,
                              int64_t B, int64_t T_, int64_t H, int64_t dk, int64_t dv, double scale) {
  // dV = P^T dO;  dP = dO V^T;  dS = P * (dP - rowsum(dP * P));  dQ = scale dS K;  dK = scale dS^T Q.
  parallel_ranges(B * H, [&](int64_t lo, int64_t hi, int) {
    std::vector<T> ds(static_cast<size_t>(T_));
    for (int64_t bh = lo; bh < hi; bh++) {
      const int64_t b = bh / H, h = bh % H;
      for (int64_t j = 0; j < T_; j++) {
        std::fill(dk_ + ((b * T_ + j) * H + h) * dk, dk_ + ((b * T_ + j) * H + h) * dk + dk, T(0));
        std::fill(dv_ + ((b * T_ + j) * H + h) * dv, dv_ + ((b * T_ + j) * H + h) * dv + dv, T(0));
      }
      const T* P = p + bh * T_ * T_;
      for (int64_t i = 0; i < T_; i++) {
        const T* pr = P + i * T_;
        const T* doi = dout + ((b * T_ + i) * H + h) * dv;
        T rowdot = 0;
        for (int64_t j = 0; j <= i; j++) {
          const T* vj = v + ((b * T_ + j) * H + h) * dv;
          T* dvj = dv_ + ((b * T_ + j) * H + h) * dv;
          T dp = 0;
          for (int64_t d = 0; d < dv; d++) {
            dp += doi[d] * vj[d];
            dvj[d] += pr[j] * doi[d];
          }
          ds[size_t(j)] = dp;
          rowdot += dp * pr[j];
        }
        T* dqi = dq + ((b * T_ + i) * H + h) * dk;
        const T* qi = q + ((b * T_ + i) * H + h) * dk;
        std::fill(dqi, dqi + dk, T(0));
        for (int64_t j = 0; j <= i; j++) {
          const T s = pr[j] * (ds[size_t(j)] - rowdot) * T(scale);
          const T* kj = k + ((b * T_ + j) * H + h) * dk;
          T* dkj = dk_ + ((b * T_ + j) * H + h) * dk;
          for (int64_t d = 0; d < dk; d++) {
            dqi[d] += s * kj[d];
            dkj[d] += s * qi[d];
          }
        }
      }
    }
  });
}

template <class T>
double cross_entropy_train(T* dlogits, const T* logits, const int32_t* targets, int64_t rows, int64_t V,
                           double grad_scale) {
  const int nt = num_threads();
  std::vector<double> part(static_cast<size_t>(nt), 0.0);
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int tid) {
        for (int64_t r = lo; r < hi; r++) {
          const T* lr = logits + r * V;
          T* dr = dlogits + r * V;
          const int32_t tgt = targets[r];
          if (tgt < 0) {
            std::fill(dr, dr + V, T(0));
            continue;
          }
          T mx = lr[0];
          for (int64_t i = 1; i < V; i++) mx = std::max(mx, lr[i]);
          const T l_tgt = lr[tgt];
          // one exp per logit, kept in dr (which may be lr itself: each element is read before it is written)
          for (int64_t i = 0; i < V; i++) dr[i] = exp_of(lr[i] - mx);  // vectorized
          double sum = 0;
          for (int64_t i = 0; i < V; i++) sum += double(dr[i]);
          const double lse = double(mx) + std::log(sum);
          part[size_t(tid)] += lse - double(l_tgt);
          const T scale = T(grad_scale / sum);
          for (int64_t i = 0; i < V; i++) dr[i] *= scale;
          dr[tgt] -= T(grad_scale);
        }
      },
      4);
  double total = 0;
  for (double v : part) total += v;
  return total;
}

#define SEEK_INSTANTIATE(T)                                                                                          \
  template void rmsnorm_train_forward<T>(T*, T*, const T*, const T*, int64_t, int64_t, double);                      \
  template void rmsnorm_train_backward<T>(T*, T*, const T*, const T*, const T*, const T*, int64_t, int64_t, bool);   \
  template void swiglu_train_forward<T>(T*, const T*, const T*, int64_t);                                            \
  template void swiglu_train_backward<T>(T*, T*, const T*, const T*, const T*, int64_t);                             \
  template void rope_train<T>(T*, int64_t, int64_t, int64_t, int64_t, int64_t, const int32_t*, const float*,         \
                              const float*, bool);                                                                   \
  template void attention_train_forward<T>(T*, T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, \
                                           int64_t, double);                                                         \
  template void attention_train_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, int64_t,   \
                                            int64_t, int64_t, int64_t, int64_t, double);                             \
  template double cross_entropy_train<T>(T*, const T*, const int32_t*, int64_t, int64_t, double);

SEEK_INSTANTIATE(float)
SEEK_INSTANTIATE(double)

}  // namespace seek::cpu
