#include "core/thread_pool.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace seek {

namespace {
thread_local bool t_in_job = false;
constexpr int kSpins = 20000;  // ~50-100 us of polling before sleeping

// The process-wide pool. Replaced (not resized) when the thread count changes; that happens only between jobs
// (command start-up, tests), never while one runs.
std::unique_ptr<ThreadPool>& pool_slot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}
}  // namespace

int pool_default_threads() {
  if (const char* e = std::getenv("SEEK_THREADS")) {
    int n = std::atoi(e);
    if (n > 0) return n;
  }
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

void set_pool_threads(int n) {
  if (n <= 0) n = pool_default_threads();
  auto& slot = pool_slot();
  if (!slot || slot->size() != n) {
    slot.reset();
    slot = std::make_unique<ThreadPool>(n);
  }
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(1, threads); i++) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

ThreadPool& ThreadPool::instance() {
  auto& slot = pool_slot();
  if (!slot) slot = std::make_unique<ThreadPool>(pool_default_threads());
  return *slot;
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = generation_.load(std::memory_order_acquire);
    for (int s = 0; g == seen && s < kSpins; s++) {
      _mm_pause();
      g = generation_.load(std::memory_order_acquire);
    }
    if (g == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = g;
    if (stop_.load()) return;
    if (index < active_) {
      int64_t lo = n_ * index / active_, hi = n_ * (index + 1) / active_;
      t_in_job = true;
      if (lo < hi) fn_(ctx_, lo, hi, index);
      t_in_job = false;
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
  }
}

void ThreadPool::run(int64_t n, void (*fn)(void*, int64_t, int64_t, int), void* ctx) {
  if (n <= 0) return;
  int active = int(std::min<int64_t>(size(), n));
  if (active == 1 || t_in_job) {
    fn(ctx, 0, n, 0);
    return;
  }
  // One job at a time: callers from different threads (a server's request threads) take turns.
  static std::mutex job_mutex;
  std::lock_guard<std::mutex> lock(job_mutex);
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  active_ = active;
  pending_.store(active - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  t_in_job = true;
  fn(ctx, 0, n / active, 0);
  t_in_job = false;
  int p = pending_.load(std::memory_order_acquire);
  for (int s = 0; p != 0 && s < kSpins; s++) {
    _mm_pause();
    p = pending_.load(std::memory_order_acquire);
  }
  while (p != 0) {
    pending_.wait(p, std::memory_order_acquire);
    p = pending_.load(std::memory_order_acquire);
  }
}

}  // namespace seek
