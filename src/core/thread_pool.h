// The process's worker threads. A job is split into one contiguous range per thread, and the ranges are claimed
// dynamically: the calling thread works too, and takes over any range a worker has not started, so a worker that
// the OS has descheduled (other processes on the cores) never makes the job wait for it. Workers spin briefly
// after each job (a decode step issues hundreds of small jobs, and
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
  // Splits [0, n) into min(size(), n) contiguous ranges and calls fn(ctx, lo, hi, r) once per range r (so r is
  // unique among the calls running at once and < size(): index per-thread scratch by it); returns when all are
  // done. A call from inside a job runs serially on the calling thread (no nested parallelism).
  void run(int64_t n, void (*fn)(void*, int64_t, int64_t, int), void* ctx);

  // The pool every kernel uses; created on first use with SEEK_THREADS threads (default: all cores);
  // set_num_threads() (parallel.h) replaces it with another size.
  static ThreadPool& instance();

 private:
  void worker_loop();
  void work_on_current_job();  // claims and runs ranges until none is left

  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};  // bumped to publish a job
  std::atomic<bool> stop_{false};
  // The current job. claim_ = (job number << 32) | next unclaimed range; a range is run only after a successful
  // compare-exchange on claim_, which cannot succeed once a newer job has been published, and a job is not over
  // (so fn_/ctx_ stay valid) until done_ reaches ranges_.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> done_{0};
  std::atomic<int64_t> n_{0};
  std::atomic<int> ranges_{0};
  void (*fn_)(void*, int64_t, int64_t, int) = nullptr;
  void* ctx_ = nullptr;
  uint32_t job_ = 0;
};

}  // namespace seek
