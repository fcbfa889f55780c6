#include "core/membw.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"

namespace seek {

double measure_read_bandwidth(size_t bytes, int reps) {
  const size_t n = bytes / sizeof(uint64_t);
  uint64_t* buf = static_cast<uint64_t*>(std::aligned_alloc(64, n * sizeof(uint64_t)));
  check(buf != nullptr, "measure_read_bandwidth: out of memory");
  parallel_for(0, int64_t(n), [&](int64_t i) { buf[i] = uint64_t(i); });  // touch every page from its own thread
  double best = 0;
  volatile uint64_t sink = 0;
  for (int r = 0; r < reps; r++) {
    auto t0 = std::chrono::steady_clock::now();
    uint64_t partial[256] = {};
    parallel_ranges(int64_t(n), [&](int64_t lo, int64_t hi, int t) {
      uint64_t x = 0;
      for (int64_t i = lo; i < hi; i++) x ^= buf[i];
      partial[t & 255] ^= x;
    });
    uint64_t total = 0;
    for (uint64_t x : partial) total ^= x;
    auto t1 = std::chrono::steady_clock::now();
    sink = sink ^ total;
    double s = std::chrono::duration<double>(t1 - t0).count();
    if (double(bytes) / s > best) best = double(bytes) / s;
  }
  std::free(buf);
  return best;
}

}  // namespace seek
