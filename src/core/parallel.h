// Data parallelism over the process's ThreadPool. parallel_for splits [begin, end) into contiguous chunks, one per
// thread (the work per index in our kernels is uniform, and static chunks keep each thread on the same slice of
// weights across calls); parallel_ranges hands each thread its whole range, for kernels that want per-thread
// scratch. Jobs too small to be worth waking threads for (`min_per_thread` indices each) run on the caller.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include "core/thread_pool.h"

namespace seek {

int pool_default_threads();  // SEEK_THREADS (checked as below), else all cores
int max_pool_threads();      // 4 per core: more threads only add switching
// Throws Error naming `what` unless 1 <= n <= max_pool_threads().
void check_thread_count(int64_t n, const std::string& what);
// n == 0: the default; otherwise checked as above. Call between jobs only (start-up, tests).
void set_pool_threads(int n);

inline int num_threads() { return ThreadPool::instance().size(); }
inline void set_num_threads(int n) { set_pool_threads(n); }

template <class F>
void parallel_ranges(int64_t n, F&& fn, int64_t min_per_thread = 1) {
  if (n <= 0) return;
  ThreadPool& pool = ThreadPool::instance();
  int64_t chunks = std::min<int64_t>(pool.size(), std::max<int64_t>(1, n / std::max<int64_t>(1, min_per_thread)));
  if (chunks <= 1) {
    fn(int64_t(0), n, 0);
    return;
  }
  struct Ctx {
    F* f;
    int64_t n, chunks;
  } ctx{&fn, n, chunks};
  // Run `chunks` ranges; the pool numbers them 0..chunks-1.
  pool.run(
      chunks,
      [](void* c, int64_t lo, int64_t hi, int) {
        auto* x = static_cast<Ctx*>(c);
        for (int64_t k = lo; k < hi; k++) (*x->f)(x->n * k / x->chunks, x->n * (k + 1) / x->chunks, int(k));
      },
      &ctx);
}

template <class F>
void parallel_for(int64_t begin, int64_t end, F&& fn, int64_t min_per_thread = 1) {
  parallel_ranges(
      end - begin,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t i = lo; i < hi; i++) fn(begin + i);
      },
      min_per_thread);
}

}  // namespace seek
