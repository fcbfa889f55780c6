// The process's worker threads. A job is split into one contiguous range per thread; the calling thread takes
// the first range itself. Workers spin briefly after each job (a decode step issues hundreds of small jobs, and
// waking a sleeping thread costs microseconds), then sleep on a futex, so an idle or oversubscribed machine is not
// burned by spinning — the failure mode of OpenMP's default barriers when other processes share the cores.
#pragma once
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace seek {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }
  // Calls fn(ctx, lo, hi, thread) for each thread's range of [0, n); returns when all are done. A call from inside
  // a job runs serially on the calling thread (no nested parallelism).
  void run(int64_t n, void (*fn)(void*, int64_t, int64_t, int), void* ctx);

  // The pool every kernel uses; created on first use with SEEK_THREADS threads (default: all cores);
  // set_num_threads() (parallel.h) replaces it with another size.
  static ThreadPool& instance();

 private:
  void worker_loop(int index);

  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};  // bumped to publish a job
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<bool> stop_{false};
  // The current job (written before generation_ is bumped, read after).
  void (*fn_)(void*, int64_t, int64_t, int) = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0;
  int active_ = 0;  // threads taking part (<= size(), fewer for tiny jobs)
};

}  // namespace seek
