// The thread pool: every index runs exactly once, for any size and thread count; nested and concurrent callers
// are safe; a model forward gives the same logits on 1 and 3 threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "model/deepseek.h"

using namespace seek;

TEST(ThreadPool, EveryIndexOnce) {
  for (int threads : {1, 2, 3, 5}) {
    set_num_threads(threads);
    EXPECT_EQ(num_threads(), threads);
    for (int64_t n : {0, 1, 2, 3, 7, 100, 1001}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      parallel_for(0, n, [&](int64_t i) { hits[size_t(i)]++; });
      for (int64_t i = 0; i < n; i++) EXPECT_EQ(hits[size_t(i)].load(), 1) << "n=" << n << " i=" << i;
    }
  }
  set_num_threads(0);
}

TEST(ThreadPool, RangesCoverWithoutOverlap) {
  set_num_threads(3);
  for (int64_t n : {1, 2, 5, 64}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    parallel_ranges(n, [&](int64_t lo, int64_t hi, int) {
      for (int64_t i = lo; i < hi; i++) hits[size_t(i)]++;
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
  // min_per_thread: a small job stays on the caller.
  std::atomic<int> calls{0};
  std::atomic<int64_t> width{0};
  parallel_ranges(
      10,
      [&](int64_t lo, int64_t hi, int) {
        calls++;
        width += hi - lo;
      },
      100);
  EXPECT_EQ(width.load(), 10);
  EXPECT_EQ(calls.load(), 1);
  set_num_threads(0);
}

TEST(ThreadPool, NestedAndConcurrentCallers) {
  set_num_threads(3);
  std::atomic<int64_t> sum{0};
  parallel_for(0, 8, [&](int64_t i) { parallel_for(0, 10, [&](int64_t j) { sum += i * 10 + j; }); });
  EXPECT_EQ(sum.load(), 79 * 80 / 2);
  std::atomic<int64_t> a{0}, b{0};
  std::thread t1([&] {
    for (int r = 0; r < 200; r++) parallel_for(0, 50, [&](int64_t i) { a += i; });
  });
  std::thread t2([&] {
    for (int r = 0; r < 200; r++) parallel_for(0, 50, [&](int64_t i) { b += i; });
  });
  t1.join();
  t2.join();
  EXPECT_EQ(a.load(), 200 * 1225);
  EXPECT_EQ(b.load(), 200 * 1225);
  set_num_threads(0);
}

TEST(ThreadPool, ForwardIndependentOfThreadCount) {
  auto m = DeepSeekModel::load(std::string(SEEK_SHARED_DIR) + "/fixtures/deepseek-v3-tiny");
  std::vector<int32_t> toks = {0, 17, 200, 5, 5, 93, 255, 1};
  std::vector<float> one(toks.size() * 256), three(toks.size() * 256);
  for (auto [threads, out] : {std::pair{1, &one}, std::pair{3, &three}}) {
    set_num_threads(threads);
    KVCache cache = m->new_cache(AttnForm::Absorb);
    m->forward(toks.data(), int64_t(toks.size()), cache, ForwardOptions{}, out->data());
  }
  for (size_t i = 0; i < one.size(); i++) EXPECT_NEAR(one[i], three[i], 1e-5) << i;
  set_num_threads(0);
}

TEST(ThreadPool, CountsOutsideBoundsAreErrors) {
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(max_pool_threads(), 4 * cores);
  for (int64_t bad : {int64_t(-3), int64_t(-1), int64_t(4 * cores + 1), int64_t(100000), int64_t(1) << 40}) {
    try {
      check_thread_count(bad, "--threads");
      ADD_FAILURE() << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--threads: " + std::to_string(bad)), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(set_num_threads(-3), Error);
  EXPECT_THROW(set_num_threads(100000), Error);
  EXPECT_NO_THROW(check_thread_count(1, "x"));
  EXPECT_NO_THROW(check_thread_count(max_pool_threads(), "x"));
  set_num_threads(max_pool_threads());
  EXPECT_EQ(num_threads(), max_pool_threads());
  const char* was = std::getenv("SEEK_THREADS");
  const std::string saved = was ? was : "";
  setenv("SEEK_THREADS", "abc", 1);
  EXPECT_THROW(pool_default_threads(), Error);
  setenv("SEEK_THREADS", "100000", 1);
  EXPECT_THROW(pool_default_threads(), Error);
  setenv("SEEK_THREADS", "1", 1);
  EXPECT_EQ(pool_default_threads(), 1);
  if (was)
    setenv("SEEK_THREADS", saved.c_str(), 1);
  else
    unsetenv("SEEK_THREADS");
  set_num_threads(0);
}
