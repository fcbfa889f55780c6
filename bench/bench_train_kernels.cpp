// The training kernels' rates at a training run's shapes: the flash-style causal attention forward and backward
// (kernels/cpu/attention_train.h) over sequence lengths, and the Linear GEMMs in bf16 against FP8 (quantization
// included: kernels/cpu/train_gemm.h), each against the machine's measured bf16 matmul peak.
//
//   bench_train_kernels [--threads N] [--heads 12] [--batch 4]
//
// Attention FLOPs count the causal half of Q K^T and P V (2 * B * H * T(T+1)/2 * (dk + dv) forward; the backward
// does 2.5x that: S and dP recomputed, dV, dK, dQ).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/attention_train.h"
#include "kernels/cpu/train_gemm.h"
#include "train/machine_peak.h"

using namespace seek;

namespace {

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<float> v(n);
  for (auto& e : v) e = nd(rng);
  return v;
}

template <class F>
double best_seconds(F&& f, int reps) {
  f();  // warm-up
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

void attention(int64_t B, int64_t H, double peak) {
  const int64_t dk = 96, dv = 64;  // V3's MLA head: 64 nope + 32 rope, v 64 (scaled down from 128 + 64 / 128)
  std::printf("[attention] B=%ld H=%ld dk=%ld dv=%ld (flash-style, causal)\n", long(B), long(H), long(dk), long(dv));
  for (int64_t T : {128, 512, 1024, 2048}) {
    const auto q = random_values(size_t(B * T * H * dk), 1), k = random_values(size_t(B * T * H * dk), 2),
               v = random_values(size_t(B * T * H * dv), 3), g = random_values(size_t(B * T * H * dv), 4);
    std::vector<float> o(v.size()), lse(size_t(B * H * T)), dq(q.size()), dkk(k.size()), dvv(v.size());
    const double scale = 1.0 / std::sqrt(double(dk));
    const double tf = best_seconds(
        [&] { cpu::attention_train_forward(o.data(), lse.data(), q.data(), k.data(), v.data(), B, T, H, dk, dv, scale); },
        3);
    const double tb = best_seconds(
        [&] {
          cpu::attention_train_backward(dq.data(), dkk.data(), dvv.data(), g.data(), o.data(), lse.data(), q.data(),
                                        k.data(), v.data(), B, T, H, dk, dv, scale);
        },
        3);
    const double flops = 2.0 * double(B * H) * double(T) * double(T + 1) / 2.0 * double(dk + dv);
    std::printf("  T=%-5ld forward %8.2f ms %7.1f GFLOP/s (%4.1f%%)   backward %8.2f ms %7.1f GFLOP/s (%4.1f%%)\n",
                long(T), tf * 1e3, flops / tf / 1e9, 100 * flops / tf / peak, tb * 1e3, 2.5 * flops / tb / 1e9,
                100 * 2.5 * flops / tb / peak);
  }
}

void linear_gemms(double peak) {
  std::printf("[linear] y = x W^T, dx = dy W, dW = dy^T x (M tokens, W [N, K]): bf16 vs fp8 (quantization included)\n");
  struct Shape {
    int64_t M, N, K;
  };
  for (const Shape sh : {Shape{4096, 768, 768}, Shape{4096, 2048, 768}, Shape{1024, 384, 384}}) {
    const int64_t M = sh.M, N = sh.N, K = sh.K;
    const auto x = random_values(size_t(M * K), 5), w = random_values(size_t(N * K), 6),
               dy = random_values(size_t(M * N), 7);
    std::vector<float> y(size_t(M * N)), dx(size_t(M * K)), dw(size_t(N * K));
    const double flops = 3 * 2.0 * double(M) * double(N) * double(K);
    auto all = [&](bool fp8) {
      if (fp8) {
        cpu::gemm_nt_fp8(y.data(), x.data(), w.data(), M, N, K, false);
        cpu::gemm_nn_fp8(dx.data(), dy.data(), w.data(), M, K, N, false);
        cpu::gemm_tn_fp8(dw.data(), dy.data(), x.data(), N, K, M, false);
      } else {
        cpu::gemm_nt(y.data(), x.data(), w.data(), M, N, K, false, Precision::BF16);
        cpu::gemm_nn(dx.data(), dy.data(), w.data(), M, K, N, false, Precision::BF16);
        cpu::gemm_tn(dw.data(), dy.data(), x.data(), N, K, M, false, Precision::BF16);
      }
    };
    const double tb = best_seconds([&] { all(false); }, 3), tf = best_seconds([&] { all(true); }, 3);
    std::printf("  %ldx%ldx%ld  bf16 %7.2f ms %7.1f GFLOP/s (%4.1f%%)   fp8 %7.2f ms %7.1f GFLOP/s (%4.1f%%)\n", long(M),
                long(N), long(K), tb * 1e3, flops / tb / 1e9, 100 * flops / tb / peak, tf * 1e3, flops / tf / 1e9,
                100 * flops / tf / peak);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0;
  int64_t heads = 12, batch = 4;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (a == "--heads" && i + 1 < argc)
      heads = std::atoll(argv[++i]);
    else if (a == "--batch" && i + 1 < argc)
      batch = std::atoll(argv[++i]);
    else {
      std::fprintf(stderr, "usage: bench_train_kernels [--threads N] [--heads 12] [--batch 4]\n");
      return 2;
    }
  }
  if (threads > 0) set_num_threads(threads);
  const double peak = measured_matmul_peak_flops(Precision::BF16);
  std::printf("threads %d, measured bf16 matmul peak %.0f GFLOP/s (512x2048x2048)\n", num_threads(), peak / 1e9);
  attention(batch, heads, peak);
  linear_gemms(peak);
  return 0;
}
