// seek::cpu::matmul on DeepSeek-like shapes, per weight dtype and precision: decode (M = 1, GEMV) as GB/s of weights
// read against the machine's measured read bandwidth, prefill (M = 128, 512, GEMM) as GFLOP/s against the measured
// core peak, and both against the PyTorch CPU peer (bench/matmul_peer.py, torch.matmul in bf16 and f32) run on the
// same shapes right after.
//
//   bench_matmul [--reps 5] [--pool-mb 1024] [--quick] [--no-peer] [--python /usr/bin/python3]
//
// Threads: seek's pool (SEEK_THREADS, default all cores); the peer is given the same number.
// Each call reads a different copy of the weight from a pool larger than the last-level cache (--pool-mb), so GEMV
// rates are memory rates, not cache rates; the peer does the same. Times are best and median over --reps passes over
// the pool. The machine limits are measured in this run: 2-thread streaming read over the pool, register-resident
// FMA and bf16-dot peaks.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 AVX-512 intrinsics, bug 105593
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/dtype.h"
#include "core/parallel.h"
#include "kernels/cpu/matmul.h"
#include "kernels/weight.h"

#ifndef SEEK_SOURCE_DIR
#define SEEK_SOURCE_DIR "."
#endif

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

float g_sink = 0;

// ---- machine limits (same method as bench_machine) ----

double read_bandwidth_gbs(const uint8_t* buf, size_t bytes, int reps) {
  const float* p = reinterpret_cast<const float*>(buf);
  const size_t n = bytes / 4;
  const int nt = seek::num_threads();
  double best = 0;
  for (int r = 0; r <= reps; r++) {
    std::vector<float> part(size_t(nt), 0.0f);
    double t0 = now_s();
    // one contiguous 256-byte aligned slice per thread, as a GEMV split over output rows reads
    seek::parallel_ranges(nt, [&](int64_t t, int64_t, int) {
      size_t lo = (n / 64) * size_t(t) / size_t(nt) * 64, hi = (n / 64) * size_t(t + 1) / size_t(nt) * 64;
#if defined(__AVX512F__)
      __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (size_t i = lo; i < hi; i += 64) {
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
      }
      part[size_t(t)] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
#elif defined(__AVX2__)
      // four independent sums of 8 lanes: bound by the loads, not by the add latency
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (size_t i = lo; i < hi; i += 32) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
      }
      float lanes[8];
      _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
      float total = 0;
      for (float v : lanes) total += v;
      part[size_t(t)] = total;
#else
      float total = 0;
      for (size_t i = lo; i < hi; i++) total += p[i];
      part[size_t(t)] = total;
#endif
    });
    const double dt = now_s() - t0;
    for (float v : part) g_sink += v;
    if (r > 0) best = std::max(best, double(bytes) / dt / 1e9);
  }
  return best;
}

// Register-resident peak of f32 FMA (bf16 = false) or bf16 pair dots, all threads, GFLOP/s.
double core_peak_gflops(bool bf16) {
  const int64_t iters = 10'000'000;
  const int nt = seek::num_threads();
  double best = 0;
  for (int r = 0; r < 3; r++) {
    std::vector<double> flops(size_t(nt), 0.0);
    double t0 = now_s();
    seek::parallel_ranges(nt, [&](int64_t t, int64_t, int) {
#if defined(__AVX512F__)
      __m512 acc[24];
      for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps(float(i) * 1e-3f);
#if defined(__AVX512BF16__)
      if (bf16) {
        __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3800);
        for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 24
          for (int i = 0; i < 24; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
          __asm__ volatile("" : "+v"(a));
        }
        flops[size_t(t)] = double(iters) * 24 * 64;
      }
#endif
      if (!bf16) {
        __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-4f);
        for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 24
          for (int i = 0; i < 24; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
          __asm__ volatile("" : "+v"(a));
        }
        flops[size_t(t)] = double(iters) * 24 * 32;
      }
      __m512 s = acc[0];
      for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, acc[i]);
      flops[size_t(t)] += 0 * double(_mm512_reduce_add_ps(s));
#elif defined(__AVX2__)
      if (!bf16) {  // no bf16 dot instruction without AVX-512: the bf16 peak is reported as 0
        __m256 acc[12];
        for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps(float(i) * 1e-3f);
        __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-4f);
        for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 12
          for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
          __asm__ volatile("" : "+x"(a));
        }
        __m256 s = acc[0];
        for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
        float lanes[8];
        _mm256_storeu_ps(lanes, s);
        flops[size_t(t)] = double(iters) * 12 * 16 + 0 * double(lanes[0]);
      }
#else
      (void)t, (void)bf16, (void)iters;
#endif
    });
    const double dt = now_s() - t0;
    double total = 0;
    for (double f : flops) total += f;
    if (total > 0) best = std::max(best, total / dt / 1e9);
  }
  return best;
}

// ---- cases ----

struct Case {
  int64_t M, N, K;
  seek::DType dt;
  seek::Precision p;
};

std::string prec_name(seek::Precision p) { return p == seek::Precision::BF16 ? "bf16" : "f32"; }

struct Result {
  double best_s = 0, median_s = 0;
};

// A pool of random weights of one dtype, at least pool_bytes; each call reads the next N*K slice of it, so
// consecutive calls never find their weights in cache. Built once per dtype and shared by all shapes.
struct WeightPool {
  std::vector<uint8_t> bytes;
  std::vector<float> scales;
  seek::DType dt;

  WeightPool(seek::DType dtype, size_t pool_bytes) : dt(dtype) {
    const size_t chunk = 1 << 20;  // elements converted once, then tiled over the pool
    std::vector<float> v(chunk);
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (auto& e : v) e = u(rng);
    const size_t cbytes = chunk * seek::dtype_size(dt);
    bytes.resize((pool_bytes + cbytes - 1) / cbytes * cbytes);
    seek::from_f32(dt, v.data(), bytes.data(), chunk);
    for (size_t off = cbytes; off < bytes.size(); off += cbytes) std::memcpy(bytes.data() + off, bytes.data(), cbytes);
  }
  void grow_to(size_t n) {  // a weight bigger than the pool: repeat the pool's content
    const size_t old = bytes.size();
    if (n <= old) return;
    bytes.resize(n);
    for (size_t off = old; off < n; off += old) std::memcpy(bytes.data() + off, bytes.data(), std::min(old, n - off));
  }
};

struct PoolView {
  const WeightPool& pool;
  seek::WeightRef base;
  size_t wbytes, copies;
  std::vector<float> scales;
  PoolView(WeightPool& p, int64_t N, int64_t K) : pool(p) {
    wbytes = size_t(N * K) * seek::dtype_size(p.dt);
    p.grow_to(wbytes);
    copies = std::max<size_t>(1, p.bytes.size() / wbytes);
    base.dtype = p.dt;
    base.rows = N;
    base.cols = K;
    if (p.dt == seek::DType::E4M3) {
      scales.assign(size_t(((N + 127) / 128) * base.scale_cols()), 1.0f / 64);
      base.scale_inv = scales.data();
    }
  }
  seek::WeightRef at(size_t c) const {
    seek::WeightRef w = base;
    w.data = pool.bytes.data() + (c % copies) * wbytes;
    return w;
  }
};

Result run_case(const Case& c, WeightPool& wp, int reps) {
  PoolView pool(wp, c.N, c.K);
  std::vector<float> x(size_t(c.M * c.K)), y(size_t(c.M * c.N));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto& e : x) e = c.p == seek::Precision::BF16 ? seek::round_bf16(u(rng)) : u(rng);
  // calls per timed pass: one sweep over the pool, and at least 0.1 GFLOP of work for the small-weight GEMMs
  const double flops = 2.0 * double(c.M * c.N * c.K);
  const size_t calls = std::max<size_t>(pool.copies, size_t(1e8 / flops) + 1);
  for (size_t i = 0; i < std::min<size_t>(calls, pool.copies); i++)  // warm-up pass (page faults, clocks)
    seek::cpu::matmul(y.data(), x.data(), c.M, pool.at(i), c.p);
  std::vector<double> t;
  for (int r = 0; r < reps; r++) {
    double t0 = now_s();
    for (size_t i = 0; i < calls; i++) seek::cpu::matmul(y.data(), x.data(), c.M, pool.at(i), c.p);
    t.push_back((now_s() - t0) / double(calls));
  }
  std::sort(t.begin(), t.end());
  g_sink += y[0];
  return {t.front(), t[t.size() / 2]};
}

// ---- the peer ----

using PeerKey = std::tuple<int64_t, int64_t, int64_t, std::string>;  // M, N, K, torch dtype

// Runs the PyTorch CPU peer on the cases it supports (bf16 and f32 weights); returns best seconds per call.
std::map<PeerKey, double> run_peer(const std::vector<Case>& cases, const std::string& python, size_t pool_mb,
                                   int reps) {
  std::map<PeerKey, double> out;
  char head[256];
  std::snprintf(head, sizeof head, " %s/bench/matmul_peer.py --pool-mb %zu --reps %d --threads %d", SEEK_SOURCE_DIR,
                pool_mb, reps, seek::num_threads());
  std::string cmd = python;
  cmd += head;
  std::vector<PeerKey> asked;
  for (const Case& c : cases) {
    // torch.matmul on the CPU has no f16 or fp8; bf16 weights in f32 precision are timed as f32 x f32
    std::string d = c.dt == seek::DType::BF16 && c.p == seek::Precision::BF16 ? "bf16"
                    : c.dt == seek::DType::F32                                ? "f32"
                                                                              : "";
    if (d.empty()) continue;
    PeerKey k{c.M, c.N, c.K, d};
    if (std::find(asked.begin(), asked.end(), k) != asked.end()) continue;
    asked.push_back(k);
    char arg[96];
    std::snprintf(arg, sizeof arg, " %lldx%lldx%lld:%s", (long long)c.M, (long long)c.N, (long long)c.K, d.c_str());
    cmd += arg;
  }
  std::fprintf(stderr, "peer: %s\n", cmd.c_str());
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  char line[512];
  while (std::fgets(line, sizeof line, f)) {
    long long M, N, K;
    char d[16];
    double s;
    if (std::sscanf(line, "%lld %lld %lld %15s %lf", &M, &N, &K, d, &s) == 5) out[{M, N, K, d}] = s;
  }
  if (pclose(f) != 0) std::fprintf(stderr, "peer: exited with an error (its rows show '-')\n");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  size_t pool_mb = 1024;
  bool quick = false, peer = true;
  std::string python = "/usr/bin/python3";
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--pool-mb" && i + 1 < argc)
      pool_mb = size_t(std::atol(argv[++i]));
    else if (a == "--quick")
      quick = true;
    else if (a == "--no-peer")
      peer = false;
    else if (a == "--python" && i + 1 < argc)
      python = argv[++i];
    else {
      std::printf("usage: bench_matmul [--reps 5] [--pool-mb 1024] [--quick] [--no-peer] [--python PATH]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  const size_t pool_bytes = pool_mb << 20;
  using seek::DType;
  using seek::Precision;

  // shapes [N, K]: DeepSeek-like projections (2048 hidden, 5632 FFN) and one DeepSeek-V3 expert-sized / dense one
  std::vector<std::pair<int64_t, int64_t>> nk = {{2048, 2048}, {5632, 2048}, {2048, 5632}, {18432, 7168}};
  std::vector<int64_t> ms = {1, 128, 512};
  if (quick) {
    nk = {{2048, 2048}, {5632, 2048}};
    ms = {1, 128};
  }
  const std::vector<std::pair<DType, Precision>> kinds = {
      {DType::F32, Precision::F32}, {DType::BF16, Precision::F32}, {DType::BF16, Precision::BF16},
      {DType::F16, Precision::F32}, {DType::E4M3, Precision::F32}, {DType::E4M3, Precision::BF16}};
  std::vector<Case> cases;
  for (int64_t M : ms)
    for (auto [N, K] : nk)
      for (auto [dt, p] : kinds) {
        if (M > 1 && N * K > 2048 * 5632) continue;  // the big shape only for decode (GEMM on it takes seconds)
        cases.push_back({M, N, K, dt, p});
      }

  std::printf("threads: %d, weight pool: %zu MiB\n", seek::num_threads(), pool_mb);
  double bw = 0;
  {
    std::vector<uint8_t> buf(pool_bytes, 1);
    bw = read_bandwidth_gbs(buf.data(), buf.size(), reps);
  }
  const double peak_f32 = core_peak_gflops(false);
#if defined(__AVX512BF16__)
  const double peak_bf16 = core_peak_gflops(true);
#else
  const double peak_bf16 = peak_f32;
#endif
  std::printf("measured: read bandwidth %.1f GB/s, f32 FMA peak %.1f GFLOP/s, bf16 dot peak %.1f GFLOP/s\n\n", bw,
              peak_f32, peak_bf16);

  std::vector<Result> res(cases.size());
  for (DType dt : {DType::F32, DType::BF16, DType::F16, DType::E4M3}) {
    WeightPool pool(dt, pool_bytes);
    for (size_t i = 0; i < cases.size(); i++)
      if (cases[i].dt == dt) {
        res[i] = run_case(cases[i], pool, reps);
        std::fprintf(stderr, ".");
      }
  }
  std::fprintf(stderr, "\n");
  std::map<PeerKey, double> peer_s;
  if (peer) peer_s = run_peer(cases, python, pool_mb, reps);

  std::printf("%-5s %-5s %-4s %5s %6s %6s | %9s %7s %5s %8s %5s | %9s %8s %7s\n", "W", "prec", "mode", "M", "N", "K",
              "seek ms", "GB/s", "%bw", "GFLOP/s", "%pk", "peer ms", "GFLOP/s", "speedup");
  for (size_t i = 0; i < cases.size(); i++) {
    const Case& c = cases[i];
    const double s = res[i].best_s;
    const double gbs = double(c.N * c.K) * double(seek::dtype_size(c.dt)) / s / 1e9;
    const double gf = 2.0 * double(c.M * c.N * c.K) / s / 1e9;
    const bool bf16_mode = c.p == Precision::BF16 && (c.dt == DType::BF16 || c.dt == DType::E4M3);
    const double pk = bf16_mode ? peak_bf16 : peak_f32;
    std::string d = c.dt == DType::BF16 && c.p == Precision::BF16 ? "bf16" : c.dt == DType::F32 ? "f32" : "";
    auto it = peer_s.find({c.M, c.N, c.K, d});
    char peer_col[64] = "        -        -       -";
    if (it != peer_s.end())
      std::snprintf(peer_col, sizeof peer_col, "%9.3f %8.1f %6.2fx", it->second * 1e3,
                    2.0 * double(c.M * c.N * c.K) / it->second / 1e9, it->second / s);
    std::printf("%-5s %-5s %-4s %5lld %6lld %6lld | %9.3f %7.1f %4.0f%% %8.1f %4.0f%% | %s\n", seek::dtype_name(c.dt),
                prec_name(c.p).c_str(), c.M <= seek::cpu::matmul_gemv_max_m() ? "gemv" : "gemm", (long long)c.M,
                (long long)c.N, (long long)c.K, s * 1e3, gbs, 100 * gbs / bw, gf, 100 * gf / pk, peer_col);
  }
  std::printf(
      "\n%%bw: weight bytes read per second / measured read bandwidth (meaningful for M = 1).\n"
      "%%pk: GFLOP/s / measured register-resident peak of the arithmetic used (bf16 dot for bf16/e4m3 "
      "weights in bf16 precision, f32 FMA otherwise).\n"
      "peer: torch.matmul, bf16 x bf16 for bf16 weights in bf16 precision, f32 x f32 for f32 weights; speedup "
      "= peer time / seek time.\n(sink %g)\n",
      double(g_sink) * 0);
  return 0;
}
