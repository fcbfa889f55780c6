// The machine's limits, measured: memory read bandwidth (the ceiling for decode GEMV, which reads every weight byte
// once per token) and the GEMM rates of the candidate kernels (the ceiling for prefill). Other benchmarks print their
// rates as a fraction of these numbers.
//
//   bench_machine [--mb 1024] [--reps 5] [--quick]
//
// Sections:
//   bandwidth   streaming f32 sum over a buffer much larger than the last-level cache, 1 and all threads; plus a
//               sweep over buffer sizes so the cache cliffs are visible (a weight that fits in cache is read faster
//               than memory allows, which matters when benchmarking GEMV on one small matrix).
//   core peak   register-resident FMA / bf16 dot-product loops: the arithmetic ceiling of the cores.
//   gemm        OpenBLAS sgemm, oneDNN matmul (f32, bf16) and seek::cpu::matmul on the same shapes.
// GCC 12's AVX-512 intrinsics trip -W(maybe-)uninitialized once inlined (GCC bug 105593); silence it for the header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/parallel.h"
#include "kernels/cpu/matmul.h"
#include "kernels/weight.h"

#ifdef SEEK_BENCH_OPENBLAS
#include <cblas.h>
extern "C" char* openblas_get_corename(void);
extern "C" void openblas_set_num_threads(int);
#endif
#ifdef SEEK_BENCH_DNNL
#include <dnnl.hpp>
#endif

namespace {

using Clock = std::chrono::steady_clock;

double now_s() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

struct Stats {
  double best = 0, median = 0;  // of a rate (higher is better)
};

// Runs fn `reps` times after one warm-up and returns best and median of work/seconds.
Stats measure_rate(int reps, double work, const std::function<void()>& fn) {
  fn();
  std::vector<double> r;
  for (int i = 0; i < reps; i++) {
    double t0 = now_s();
    fn();
    double dt = now_s() - t0;
    r.push_back(work / dt);
  }
  std::sort(r.begin(), r.end());
  return {r.back(), r[r.size() / 2]};
}

// ---------------------------------------------------------------------------------------------------------------
// Memory bandwidth

float g_sink = 0;  // keeps the sums alive

// Sum of n floats with several independent accumulators, so the loop is bound by loads, not by add latency.
float stream_sum(const float* p, size_t n) {
#if defined(__AVX512F__)
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
    a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
    a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
    a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
  }
  float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  for (; i < n; i++) s += p[i];
  return s;
#elif defined(__AVX2__)
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  float s = 0;
  for (float v : lanes) s += v;
  for (; i < n; i++) s += p[i];
  return s;
#else
  float s[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) s[j] += p[i + j];
  float t = 0;
  for (; i < n; i++) t += p[i];
  for (float v : s) t += v;
  return t;
#endif
}

// GB/s reading `bytes` of buf with `threads` threads, each reading its own contiguous slice (what a GEMV split over
// output rows does).
Stats read_bandwidth(const float* buf, size_t bytes, int threads, int reps) {
  size_t n = bytes / 4;
  // Repeat small buffers so each timed run lasts long enough to measure.
  int inner = int(std::max<size_t>(1, (size_t(256) << 20) / bytes));
  return measure_rate(reps, double(bytes) * inner / 1e9, [&] {
    float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
      int t = omp_get_thread_num(), nt = omp_get_num_threads();
      // 64-float (256 B) aligned slices
      size_t lo = (n / 64) * t / nt * 64, hi = (n / 64) * (t + 1) / nt * 64;
      for (int r = 0; r < inner; r++) total += stream_sum(buf + lo, hi - lo);
    }
    g_sink += total;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Core arithmetic peak: 24 independent accumulator chains, enough to cover FMA latency on two pipes.

#if defined(__AVX512F__)
double fma_peak_once(int64_t iters) {
  __m512 acc[24];
  for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps(float(i) * 1e-3f);
  __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-4f);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    // keep the compiler from collapsing the loop
    __asm__ volatile("" : "+v"(a));
  }
  __m512 s = acc[0];
  for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, acc[i]);
  g_sink += _mm512_reduce_add_ps(s);
  return double(iters) * 24 * 16 * 2;  // flops
}
#endif

#if !defined(__AVX512F__) && defined(__AVX2__)
double fma_peak_once(int64_t iters) {
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
  for (float v : lanes) g_sink += v;
  return double(iters) * 12 * 8 * 2;  // flops
}
#endif

#if defined(__AVX512BF16__)
double dpbf16_peak_once(int64_t iters) {
  __m512 acc[24];
  for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps(float(i) * 1e-3f);
  __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3800);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    __asm__ volatile("" : "+v"(a));
  }
  __m512 s = acc[0];
  for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, acc[i]);
  g_sink += _mm512_reduce_add_ps(s);
  return double(iters) * 24 * 32 * 2;  // each lane does two multiply-adds
}
#endif

Stats core_peak(double (*once)(int64_t), int threads, int reps) {
  const int64_t iters = 20'000'000;
  once(iters / 10);  // warm-up (clock ramp)
  std::vector<double> r;
  for (int i = 0; i < reps; i++) {
    double t0 = now_s(), flops = 0;
#pragma omp parallel num_threads(threads) reduction(+ : flops)
    flops += once(iters);
    r.push_back(flops / (now_s() - t0) / 1e9);
  }
  std::sort(r.begin(), r.end());
  return {r.back(), r[r.size() / 2]};
}

// ---------------------------------------------------------------------------------------------------------------
// GEMM candidates on y[M,N] = x[M,K] · W[N,K]^T

struct Shape3 {
  int64_t M, N, K;
};

void fill_random(std::vector<float>& v, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (auto& x : v) x = d(rng);
}

void print_rate(const char* what, const Shape3& s, int threads, const Stats& st) {
  std::printf("  %-34s M=%-5lld N=%-5lld K=%-5lld threads=%d  %8.1f GFLOP/s best  %8.1f median\n", what, (long long)s.M,
              (long long)s.N, (long long)s.K, threads, st.best, st.median);
}

#ifdef SEEK_BENCH_OPENBLAS
void bench_openblas(const Shape3& s, int threads, int reps) {
  std::vector<float> x(size_t(s.M * s.K)), w(size_t(s.N * s.K)), y(size_t(s.M * s.N));
  fill_random(x, 1);
  fill_random(w, 2);
  openblas_set_num_threads(threads);
  double flops = 2.0 * double(s.M) * double(s.N) * double(s.K);
  Stats st = measure_rate(reps, flops / 1e9, [&] {
    // y = x · w^T: row-major, B transposed
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(s.M), int(s.N), int(s.K), 1.0f, x.data(), int(s.K),
                w.data(), int(s.K), 0.0f, y.data(), int(s.N));
  });
  print_rate("OpenBLAS sgemm f32", s, threads, st);
}
#endif

#ifdef SEEK_BENCH_DNNL
// oneDNN matmul in the given data type (f32 accumulate, f32 output). With `prepacked` the weights are reordered
// once into the library's preferred blocked layout (the best case); otherwise they are passed as plain [N,K].
void bench_dnnl(const Shape3& s, dnnl::memory::data_type dt, bool prepacked, int threads, int reps) {
  using namespace dnnl;
  using tag = memory::format_tag;
  omp_set_num_threads(threads);
  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  memory::desc a_md({s.M, s.K}, dt, tag::ab);
  memory::desc b_plain({s.K, s.N}, dt, tag::ba);  // W[N,K] row-major is W^T[K,N] in "ba" order
  memory::desc b_md = prepacked ? memory::desc({s.K, s.N}, dt, tag::any) : b_plain;
  memory::desc c_md({s.M, s.N}, memory::data_type::f32, tag::ab);
  matmul::primitive_desc pd(matmul::desc(a_md, b_md, c_md), eng);
  matmul prim(pd);

  std::vector<float> xf(size_t(s.M * s.K)), wf(size_t(s.N * s.K));
  fill_random(xf, 1);
  fill_random(wf, 2);
  auto make = [&](const memory::desc& md, const std::vector<float>& src) {
    memory m(md, eng);
    if (dt == memory::data_type::f32) {
      std::memcpy(m.get_data_handle(), src.data(), src.size() * 4);
    } else {
      auto* d = static_cast<uint16_t*>(m.get_data_handle());
      for (size_t i = 0; i < src.size(); i++) d[i] = seek::f32_to_bf16(src[i]);
    }
    return m;
  };
  memory a = make(a_md, xf), b_src = make(b_plain, wf), c(c_md, eng);
  memory b = b_src;
  if (prepacked && pd.weights_desc() != b_plain) {
    b = memory(pd.weights_desc(), eng);
    reorder(b_src, b).execute(strm, b_src, b);
    strm.wait();
  }
  double flops = 2.0 * double(s.M) * double(s.N) * double(s.K);
  Stats st = measure_rate(reps, flops / 1e9, [&] {
    prim.execute(strm, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    strm.wait();
  });
  std::string what = std::string("oneDNN matmul ") + (dt == memory::data_type::f32 ? "f32" : "bf16") +
                     (prepacked ? " prepacked W" : " plain W");
  print_rate(what.c_str(), s, threads, st);
}
#endif

void bench_seek(const Shape3& s, seek::DType wdt, seek::Precision p, int threads, int reps) {
  seek::set_num_threads(threads);
  std::vector<float> x(size_t(s.M * s.K)), wf(size_t(s.N * s.K)), y(size_t(s.M * s.N));
  fill_random(x, 1);
  fill_random(wf, 2);
  if (p == seek::Precision::BF16)
    for (auto& v : x) v = seek::round_bf16(v);
  std::vector<uint8_t> wbytes(wf.size() * seek::dtype_size(wdt));
  seek::from_f32(wdt, wf.data(), wbytes.data(), wf.size());
  std::vector<float> scales;
  seek::WeightRef w;
  w.dtype = wdt;
  w.data = wbytes.data();
  w.rows = s.N;
  w.cols = s.K;
  if (wdt == seek::DType::E4M3) {
    scales.assign(size_t(((s.N + 127) / 128) * w.scale_cols()), 1.0f);
    w.scale_inv = scales.data();
  }
  double flops = 2.0 * double(s.M) * double(s.N) * double(s.K);
  Stats st = measure_rate(reps, flops / 1e9, [&] { seek::cpu::matmul(y.data(), x.data(), s.M, w, p); });
  std::string what =
      std::string("seek matmul W=") + seek::dtype_name(wdt) + (p == seek::Precision::BF16 ? " prec=bf16" : " prec=f32");
  print_rate(what.c_str(), s, threads, st);
}

}  // namespace

int main(int argc, char** argv) {
  size_t mb = 1024;
  int reps = 5;
  bool quick = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--mb" && i + 1 < argc)
      mb = size_t(std::atol(argv[++i]));
    else if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--quick")
      quick = true;
    else {
      std::printf("usage: bench_machine [--mb 1024] [--reps 5] [--quick]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  const int max_threads = omp_get_max_threads();
  std::printf("threads available: %d\n", max_threads);

  // ---- memory bandwidth ----
  {
    size_t bytes = mb << 20;
    float* buf = static_cast<float*>(std::aligned_alloc(4096, bytes));
    // first touch in parallel, with the same split as the readers
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < int64_t(bytes / 4); i++) buf[i] = 1e-9f * float(i & 1023);
    std::printf("\n[bandwidth] streaming read, buffer %zu MiB\n", mb);
    for (int t = 1; t <= max_threads; t++) {
      Stats st = read_bandwidth(buf, bytes, t, reps);
      std::printf("  threads=%d  %7.1f GB/s best  %7.1f median\n", t, st.best, st.median);
    }
    if (!quick) {
      std::printf("[bandwidth] by buffer size, %d threads (cache cliffs)\n", max_threads);
      for (size_t sz : {1, 4, 16, 32, 64, 128, 256, 512}) {
        if (sz >= mb) break;
        Stats st = read_bandwidth(buf, sz << 20, max_threads, reps);
        std::printf("  %4zu MiB  %7.1f GB/s best  %7.1f median\n", sz, st.best, st.median);
      }
    }
    std::free(buf);
  }

  // ---- core peak ----
  std::printf("\n[core peak] register-resident loops\n");
#if defined(__AVX512F__)
  for (int t = 1; t <= max_threads; t++) {
    Stats st = core_peak(fma_peak_once, t, reps);
    std::printf("  AVX-512 f32 FMA          threads=%d  %8.1f GFLOP/s best  %8.1f median\n", t, st.best, st.median);
  }
#elif defined(__AVX2__)
  for (int t = 1; t <= max_threads; t++) {
    Stats st = core_peak(fma_peak_once, t, reps);
    std::printf("  AVX2 f32 FMA             threads=%d  %8.1f GFLOP/s best  %8.1f median\n", t, st.best, st.median);
  }
#else
  std::printf("  (built without AVX2 or AVX-512)\n");
#endif
#if defined(__AVX512BF16__)
  for (int t = 1; t <= max_threads; t++) {
    Stats st = core_peak(dpbf16_peak_once, t, reps);
    std::printf("  AVX-512 bf16 dot (dpbf16) threads=%d  %8.1f GFLOP/s best  %8.1f median\n", t, st.best, st.median);
  }
#endif

  // ---- GEMM ----
  std::vector<Shape3> shapes = {{512, 2048, 2048}, {512, 5632, 2048}, {2048, 2048, 2048}};
  if (quick) shapes = {{512, 2048, 2048}};
  std::printf("\n[gemm] y[M,N] = x[M,K] . W[N,K]^T, f32 out\n");
#ifdef SEEK_BENCH_OPENBLAS
  std::printf("  (OpenBLAS core: %s)\n", openblas_get_corename());
#endif
  for (const Shape3& s : shapes) {
    const int t = max_threads;
#ifdef SEEK_BENCH_OPENBLAS
    bench_openblas(s, t, reps);
    openblas_set_num_threads(1);  // park its threads before the next candidate runs
#endif
#ifdef SEEK_BENCH_DNNL
    bench_dnnl(s, dnnl::memory::data_type::f32, false, t, reps);
    bench_dnnl(s, dnnl::memory::data_type::f32, true, t, reps);
    bench_dnnl(s, dnnl::memory::data_type::bf16, false, t, reps);
    bench_dnnl(s, dnnl::memory::data_type::bf16, true, t, reps);
#endif
    bench_seek(s, seek::DType::F32, seek::Precision::F32, t, reps);
    bench_seek(s, seek::DType::BF16, seek::Precision::F32, t, reps);
    bench_seek(s, seek::DType::BF16, seek::Precision::BF16, t, reps);
    bench_seek(s, seek::DType::E4M3, seek::Precision::BF16, t, reps);
  }
  std::printf("\n(sink %g)\n", double(g_sink) * 0);
  return 0;
}
