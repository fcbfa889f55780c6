// Thread parallelism. One process-wide pool: OpenMP's, which keeps its threads alive between parallel regions.
// parallel_for splits [begin, end) into contiguous chunks, one per thread (static schedule: the work per index in
// our kernels is uniform, and static chunks keep each thread on the same slice of weights across calls).
#pragma once
#include <omp.h>

#include <cstdint>

namespace seek {

inline int num_threads() { return omp_get_max_threads(); }
inline void set_num_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
}

template <class F>
void parallel_for(int64_t begin, int64_t end, F&& fn) {
  if (end - begin <= 1) {
    for (int64_t i = begin; i < end; i++) fn(i);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = begin; i < end; i++) fn(i);
}

// Like parallel_for but hands each thread one contiguous range [lo, hi): for kernels that want per-thread scratch.
template <class F>
void parallel_ranges(int64_t n, F&& fn) {
#pragma omp parallel
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
    if (lo < hi) fn(lo, hi, t);
  }
}

}  // namespace seek
