#include "kernels/cpu/cross_entropy.h"

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

template <class T>
void token_logprobs(const T* logits, const int32_t* targets, int64_t rows, int64_t V, double* logp, double* entropy) {
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int) {
        std::vector<T> e(static_cast<size_t>(V));
        for (int64_t r = lo; r < hi; r++) {
          const T* lr = logits + r * V;
          if (targets[r] < 0) {
            logp[r] = entropy[r] = 0;
            continue;
          }
          T mx = lr[0];
          for (int64_t i = 1; i < V; i++) mx = std::max(mx, lr[i]);
          for (int64_t i = 0; i < V; i++) e[size_t(i)] = exp_of(lr[i] - mx);  // vectorized
          double sum = 0, dot = 0;                                            // dot = sum_v e_v (l_v - mx)
          for (int64_t i = 0; i < V; i++) {
            sum += double(e[size_t(i)]);
            dot += double(e[size_t(i)]) * double(lr[i] - mx);
          }
          const double lse = std::log(sum);  // of (l - mx)
          logp[r] = double(lr[targets[r]] - mx) - lse;
          entropy[r] = lse - dot / sum;
        }
      },
      4);
}

template <class T>
void token_logprobs_backward(T* dlogits, const T* logits, const int32_t* targets, const double* dlogp, int64_t rows,
                             int64_t V) {
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int) {
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
          for (int64_t i = 0; i < V; i++) dr[i] = exp_of(lr[i] - mx);  // each element read before it is written
          double sum = 0;
          for (int64_t i = 0; i < V; i++) sum += double(dr[i]);
          const T scale = T(-dlogp[r] / sum);
          for (int64_t i = 0; i < V; i++) dr[i] *= scale;
          dr[tgt] += T(dlogp[r]);
        }
      },
      4);
}

#define SEEK_INSTANTIATE(T)                                                                       \
  template double cross_entropy_train<T>(T*, const T*, const int32_t*, int64_t, int64_t, double); \
  template void token_logprobs<T>(const T*, const int32_t*, int64_t, int64_t, double*, double*);  \
  template void token_logprobs_backward<T>(T*, const T*, const int32_t*, const double*, int64_t, int64_t);

SEEK_INSTANTIATE(float)
SEEK_INSTANTIATE(double)

}  // namespace seek::cpu
