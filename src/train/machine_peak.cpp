#include "train/machine_peak.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "core/parallel.h"
#include "kernels/cpu/matmul.h"

namespace seek {

namespace {

double measure(Precision p) {
  // M = 512 rows is well inside the packed-GEMM path and large enough that weight packing is amortized;
  // N = K = 2048 keeps the 8 MiB bf16 weight compute-bound (each weight element is reused 512 times).
  constexpr int64_t M = 512, N = 2048, K = 2048;
  std::vector<float> x(static_cast<size_t>(M * K)), y(static_cast<size_t>(M * N));
  // Deterministic values of moderate size (bf16-representable, as BF16 activations are).
  uint32_t s = 12345;
  auto next = [&] {
    s = s * 1664525u + 1013904223u;
    return round_bf16(float(int32_t(s >> 9) - (1 << 22)) / float(1 << 23));
  };
  for (float& v : x) v = next();
  WeightRef w;
  w.rows = N;
  w.cols = K;
  std::vector<float> wf(static_cast<size_t>(N * K));
  for (float& v : wf) v = next();
  std::vector<uint16_t> wb;
  if (p == Precision::BF16) {
    wb.resize(wf.size());
    from_f32(DType::BF16, wf.data(), wb.data(), wf.size());
    w.dtype = DType::BF16;
    w.data = wb.data();
  } else {
    w.dtype = DType::F32;
    w.data = wf.data();
  }
  using clock = std::chrono::steady_clock;
  cpu::matmul(y.data(), x.data(), M, w, p);  // warm-up: page faults, scratch buffers, thread wake-up
  const double flops = 2.0 * double(M) * double(N) * double(K);
  double best = 0;
  const auto start = clock::now();
  // Best of as many calls as fit in 0.3 s (at least 2): on AMX tiles one call takes ~3 ms, and a best of only a
  // few is at the mercy of one busy moment on a shared machine.
  for (int rep = 0; rep < 1000; rep++) {
    const auto t0 = clock::now();
    cpu::matmul(y.data(), x.data(), M, w, p);
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    if (dt > 0) best = std::max(best, flops / dt);
    if (rep >= 1 && std::chrono::duration<double>(clock::now() - start).count() > 0.3) break;
  }
  return best;
}

}  // namespace

double measured_matmul_peak_flops(Precision p) {
  // Per-process cache: the measurement is a property of the machine and pool size, and costs ~0.3 s.
  static std::mutex mu;
  static std::map<std::pair<int, int>, double> cache;
  std::lock_guard<std::mutex> lock(mu);
  const std::pair<int, int> key{int(p), num_threads()};
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  const double r = measure(p);
  cache.emplace(key, r);
  return r;
}

}  // namespace seek
