#include "core/thread_pool.h"

#include <immintrin.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>
#include <memory>
#include <mutex>

#include "core/error.h"

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

int max_pool_threads() { return 4 * int(std::max(1u, std::thread::hardware_concurrency())); }

void check_thread_count(int64_t n, const std::string& what) {
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (n < 1)
    throw Error(what + ": " + std::to_string(n) + " threads; expected at least 1 (leave it out to use all " +
                std::to_string(cores) + " cores)");
  if (n > max_pool_threads())
    throw Error(what + ": " + std::to_string(n) + " threads is more than 4 per core on this machine (" +
                std::to_string(cores) + " cores, at most " + std::to_string(max_pool_threads()) + ")");
}

int pool_default_threads() {
  if (const char* e = std::getenv("SEEK_THREADS"); e && *e) {
    int64_t n = 0;
    const char* end = e + std::strlen(e);
    auto [p, ec] = std::from_chars(e, end, n);
    if (ec != std::errc() || p != end) throw Error(std::string("SEEK_THREADS='") + e + "' is not a whole number");
    check_thread_count(n, "SEEK_THREADS");
    return int(n);
  }
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

void set_pool_threads(int n) {
  if (n == 0) n = pool_default_threads();
  check_thread_count(n, "threads");
  auto& slot = pool_slot();
  if (!slot || slot->size() != n) {
    slot.reset();
    slot = std::make_unique<ThreadPool>(n);
  }
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(1, threads); i++) workers_.emplace_back([this] { worker_loop(); });
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

void ThreadPool::work_on_current_job() {
  for (;;) {
    uint64_t c = claim_.load(std::memory_order_acquire);
    const int r = int(uint32_t(c)), ranges = ranges_.load(std::memory_order_relaxed);
    if (r >= ranges) return;  // all claimed (or a newer job replaced ranges_: then the exchange below fails)
    if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;
    // Range r of the current job is ours; the job cannot end (and fn_, ctx_, n_ cannot change) before we report it.
    const int64_t n = n_.load(std::memory_order_relaxed);
    const bool nested = t_in_job;
    t_in_job = true;
    fn_(ctx_, n * r / ranges, n * (r + 1) / ranges, r);
    t_in_job = nested;
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == ranges) done_.notify_one();
  }
}

void ThreadPool::worker_loop() {
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
    work_on_current_job();
  }
}

void ThreadPool::run(int64_t n, void (*fn)(void*, int64_t, int64_t, int), void* ctx) {
  if (n <= 0) return;
  const int ranges = int(std::min<int64_t>(size(), n));
  if (ranges == 1 || t_in_job) {
    fn(ctx, 0, n, 0);
    return;
  }
  // One job at a time: callers from different threads (a server's request threads) take turns.
  static std::mutex job_mutex;
  std::lock_guard<std::mutex> lock(job_mutex);
  fn_ = fn;
  ctx_ = ctx;
  n_.store(n, std::memory_order_relaxed);
  ranges_.store(ranges, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  job_++;
  claim_.store(uint64_t(job_) << 32, std::memory_order_release);  // publishes the fields above
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  work_on_current_job();
  int d = done_.load(std::memory_order_acquire);
  for (int s = 0; d != ranges && s < kSpins; s++) {
    _mm_pause();
    d = done_.load(std::memory_order_acquire);
  }
  while (d != ranges) {
    done_.wait(d, std::memory_order_acquire);
    d = done_.load(std::memory_order_acquire);
  }
}

}  // namespace seek
