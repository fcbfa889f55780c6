#include "kernels/cpu/rowops.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/dtype.h"
#include "core/parallel.h"

// expf has vector versions in glibc's libmvec; declaring them lets the compiler vectorize the exp loops below
// (it needs -fno-math-errno, set for this file in CMakeLists.txt: we never read errno).
extern "C" __attribute__((simd("notinbranch"))) float expf(float) noexcept;

namespace seek::cpu {

namespace {
inline float exp_of(float x) { return expf(x); }
inline double exp_of(double x) { return std::exp(x); }

template <class T>
inline T round_if(T v, bool bf16) {
  if constexpr (std::is_same_v<T, float>) return bf16 ? round_bf16(v) : v;
  return v;
}
}  // namespace

void round_bf16_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] = round_bf16(x[i]);
}

template <class T>
void rmsnorm_forward(T* y, const T* x, const T* w, int64_t rows, int64_t dim, double eps, T* rstd_out, bool bf16) {
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t r = lo; r < hi; r++) {
          const T* xr = x + r * dim;
          double ss = 0;  // a double sum keeps long rows (7168) exact to f32 precision whatever the order
          for (int64_t d = 0; d < dim; d++) ss += double(xr[d]) * double(xr[d]);
          const T rs = T(1.0 / std::sqrt(ss / double(dim) + eps));
          if (rstd_out) rstd_out[r] = rs;
          T* yr = y + r * dim;
          if (bf16) {
            for (int64_t d = 0; d < dim; d++) yr[d] = round_if(round_if(xr[d] * rs, true) * w[d], true);
          } else {
            for (int64_t d = 0; d < dim; d++) yr[d] = w[d] * (xr[d] * rs);
          }
        }
      },
      8);
}

template <class T>
void rmsnorm_backward(T* dx, T* dw, const T* dy, const T* x, const T* w, const T* rstd, int64_t rows, int64_t dim,
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
void swiglu_forward(T* out, const T* gate, const T* up, int64_t n, bool bf16) {
  parallel_ranges(
      n,
      [&](int64_t lo, int64_t hi, int) {
        if (bf16) {
          for (int64_t i = lo; i < hi; i++) {
            const T g = gate[i];
            out[i] = round_if(round_if(g / (T(1) + exp_of(-g)), true) * up[i], true);
          }
          return;
        }
        for (int64_t i = lo; i < hi; i++) {
          const T g = gate[i];
          out[i] = g / (T(1) + exp_of(-g)) * up[i];  // vectorized
        }
      },
      4096);
}

template <class T>
void swiglu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t n) {
  parallel_ranges(
      n,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t i = lo; i < hi; i++) {
          const T s = T(1) / (T(1) + exp_of(-gate[i]));
          const T silu = gate[i] * s;
          dgate[i] = dout[i] * up[i] * (s * (T(1) + gate[i] * (T(1) - s)));
          dup[i] = dout[i] * silu;
        }
      },
      4096);
}

template <class T>
void rope(T* x, int64_t rows, int64_t heads, int64_t stride, int64_t offset, int64_t dim, const int32_t* pos,
          const float* cos, const float* sin, RopeStyle style, bool inverse, bool bf16_ops) {
  const int64_t half = dim / 2;
  const T sgn = inverse ? T(-1) : T(1);
  // (a, b) -> (a c - b s, a s + b c); the element offsets of a pair: (2i, 2i+1) or (i, i + half).
  const int64_t step = style == RopeStyle::Interleaved ? 2 : 1, partner = style == RopeStyle::Interleaved ? 1 : half;
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t r = lo; r < hi; r++) {
          const float* c = cos + int64_t(pos[r]) * half;
          const float* s = sin + int64_t(pos[r]) * half;
          for (int64_t h = 0; h < heads; h++) {
            T* v = x + (r * heads + h) * stride + offset;
            for (int64_t i = 0; i < half; i++) {
              T* pa = v + i * step;
              T* pb = pa + partner;
              const T a = *pa, b = *pb, ci = T(c[i]), si = sgn * T(s[i]);
              if (bf16_ops) {
                *pa = round_if(round_if(a * ci, true) - round_if(b * si, true), true);
                *pb = round_if(round_if(b * ci, true) + round_if(a * si, true), true);
              } else {
                *pa = a * ci - b * si;
                *pb = a * si + b * ci;
              }
            }
          }
        }
      },
      8);
}

void softmax_rows(float* x, int64_t rows, int64_t n, int64_t stride) {
  for (int64_t r = 0; r < rows; r++) {
    float* v = x + r * stride;
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) mx = std::max(mx, v[i]);
    if (mx == -INFINITY) {  // every key masked: define the result as zeros rather than NaN
      std::fill(v, v + n, 0.0f);
      continue;
    }
    for (int64_t i = 0; i < n; i++) v[i] = exp_of(v[i] - mx);  // vectorized
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += v[i];
    const float inv = float(1.0 / sum);
    for (int64_t i = 0; i < n; i++) v[i] *= inv;
  }
}

#define SEEK_INSTANTIATE(T)                                                                                          \
  template void rmsnorm_forward<T>(T*, const T*, const T*, int64_t, int64_t, double, T*, bool);                      \
  template void rmsnorm_backward<T>(T*, T*, const T*, const T*, const T*, const T*, int64_t, int64_t, bool);         \
  template void swiglu_forward<T>(T*, const T*, const T*, int64_t, bool);                                            \
  template void swiglu_backward<T>(T*, T*, const T*, const T*, const T*, int64_t);                                   \
  template void rope<T>(T*, int64_t, int64_t, int64_t, int64_t, int64_t, const int32_t*, const float*, const float*, \
                        RopeStyle, bool, bool);

SEEK_INSTANTIATE(float)
SEEK_INSTANTIATE(double)

}  // namespace seek::cpu
