// matmul: argument checks, the choice of arithmetic (Plan) and of kernel (GEMV for small M, GEMM above): the
// AVX-512 kernels where the build has AVX-512, else the AVX2 kernels (AVX2 + FMA + F16C), else the portable scalar
// path.
#include "kernels/cpu/matmul.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "core/quant_blocks.h"
#include "kernels/cpu/amx.h"
#include "kernels/cpu/matmul_avx2.h"
#include "kernels/cpu/matmul_kernels.h"

namespace seek::cpu {

namespace detail {

namespace {
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
void* aligned_bytes(size_t bytes) {
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  check(p != nullptr, "matmul: out of memory for " + std::to_string(bytes) + " bytes of scratch");
  return p;
}
}  // namespace

Scratch::Scratch(int slot, size_t bytes) {
  if (bytes > kScratchKeep) {
    p_ = aligned_bytes(bytes);
    owned_ = true;
    return;
  }
  // Per-thread cache of one buffer per slot; the pool's threads live as long as the process.
  struct Kept {
    std::unique_ptr<void, FreeDeleter> p;
    size_t size = 0;
  };
  thread_local Kept kept[2];
  Kept& k = kept[slot];
  if (k.size < bytes) {
    k.p.reset();
    k.p.reset(aligned_bytes(bytes));
    k.size = bytes;
  }
  p_ = k.p.get();
}

Scratch::~Scratch() {
  if (owned_) std::free(p_);
}

Plan make_plan(const WeightRef& w, Precision p) {
  Plan plan;
  const bool bf16_exact = p == Precision::BF16 && (w.dtype == DType::BF16 || w.dtype == DType::E4M3);
#if defined(__AVX512BF16__)
  if (bf16_exact) plan.mode = Mode::BF16;
#else
  (void)bf16_exact;
#endif
  plan.round_fp8_to_bf16 = plan.mode == Mode::F32 && p == Precision::BF16 && w.dtype == DType::E4M3;
  plan.amx = plan.mode == Mode::BF16 && amx_bf16_usable();
  return plan;
}

// Portable path: each thread dequantizes one weight row at a time (WeightRef::row_f32, which applies the same
// rounding the plan asks for) and dots it with every x row. Used when the build has neither AVX-512 nor AVX2.
[[maybe_unused]] static void matmul_scalar(float* y, const float* x, int64_t M, const WeightRef& w, const Plan& plan) {
  const int64_t N = w.rows, K = w.cols;
  const bool round = plan.mode == Mode::BF16 || plan.round_fp8_to_bf16;
  parallel_ranges(N, [&](int64_t lo, int64_t hi, int) {
    std::vector<float> row(static_cast<size_t>(K));  // [K]
    for (int64_t n = lo; n < hi; n++) {
      w.row_f32(n, row.data(), round);
      for (int64_t m = 0; m < M; m++) {
        const float* xm = x + m * K;
        float acc = 0;
        for (int64_t k = 0; k < K; k++) acc += xm[k] * row[k];
        y[m * N + n] = acc;
      }
    }
  });
}

}  // namespace detail

namespace {

// Returns false when there is nothing to multiply (y already written).
bool check_args(float* y, int64_t M, const WeightRef& w) {
  if (is_block_dtype(w.dtype)) {
    check(w.cols % block_elems(w.dtype) == 0, std::string("matmul: a ") + dtype_name(w.dtype) + " weight's rows (" +
                                                  std::to_string(w.cols) + " columns) must be whole blocks of " +
                                                  std::to_string(block_elems(w.dtype)));
  } else switch (w.dtype) {
    case DType::F32:
    case DType::BF16:
    case DType::F16: break;
    case DType::E4M3:
      check(w.scale_inv != nullptr, "matmul: e4m3 weight has no scale_inv");
      check(w.block == 128, "matmul: e4m3 weight blocks must be 128x128, got " + std::to_string(w.block));
      break;
    default: throw Error(std::string("matmul: weights of dtype ") + dtype_name(w.dtype) + " are not supported");
  }
  check(M >= 0 && w.rows >= 0 && w.cols >= 0, "matmul: negative dimension");
  if (M == 0 || w.rows == 0) return false;
  if (w.cols == 0) {
    std::memset(y, 0, size_t(M * w.rows) * sizeof(float));
    return false;
  }
  return true;
}

}  // namespace

// Above this many x rows the weights are worth packing: each packed weight is then reused by >= 9 rows, and the
// GEMM kernel's 8-row register tile is full. Below it, streaming the weights once (GEMV) is as fast as memory allows.
int64_t matmul_gemv_max_m() { return 8; }

void matmul_gemv(float* y, const float* x, int64_t M, const WeightRef& w, Precision p) {
  if (!check_args(y, M, w)) return;
  if (is_block_dtype(w.dtype)) return detail::gemv_blocks(y, x, M, w);
#if defined(__AVX512F__)
  detail::gemv(y, x, M, w, detail::make_plan(w, p));
#elif defined(SEEK_MATMUL_AVX2)
  detail::gemv_avx2(y, x, M, w, detail::make_plan(w, p));
#else
  detail::matmul_scalar(y, x, M, w, detail::make_plan(w, p));
#endif
}

void matmul_gemm(float* y, const float* x, int64_t M, const WeightRef& w, Precision p) {
  if (!check_args(y, M, w)) return;
  if (is_block_dtype(w.dtype)) return detail::gemm_blocks(y, x, M, w);
#if defined(__AVX512F__)
  detail::gemm(y, x, M, w, detail::make_plan(w, p));
#elif defined(SEEK_MATMUL_AVX2)
  detail::gemm_avx2(y, x, M, w, detail::make_plan(w, p));
#else
  detail::matmul_scalar(y, x, M, w, detail::make_plan(w, p));
#endif
}

void matmul_gemm_no_amx(float* y, const float* x, int64_t M, const WeightRef& w, Precision p) {
  if (!check_args(y, M, w)) return;
  if (is_block_dtype(w.dtype)) return detail::gemm_blocks(y, x, M, w);
#if defined(__AVX512F__)
  detail::Plan plan = detail::make_plan(w, p);
  plan.amx = false;
  detail::gemm(y, x, M, w, plan);
#else
  matmul_gemm(y, x, M, w, p);
#endif
}

void matmul_block_scaled(float* y, const float* x, const float* sa, int64_t M, const WeightRef& w, const float* sb) {
  check(w.dtype == DType::BF16, "matmul_block_scaled: the weight must be BF16");
  if (!check_args(y, M, w)) return;
#if defined(__AVX512F__)
  if (detail::gemm_block_scaled_amx(y, x, sa, M, w, sb)) return;
#endif
  matmul_block_scaled_no_amx(y, x, sa, M, w, sb);
}

// Each 128-column block as its own f32 matmul over copies of the block's columns, then scaled in.
void matmul_block_scaled_no_amx(float* y, const float* x, const float* sa, int64_t M, const WeightRef& w,
                                const float* sb) {
  check(w.dtype == DType::BF16, "matmul_block_scaled: the weight must be BF16");
  if (!check_args(y, M, w)) return;
  const int64_t N = w.rows, K = w.cols, KB = (K + 127) / 128;
  std::vector<float> xb(static_cast<size_t>(M * 128)), yb(static_cast<size_t>(M * N));
  std::vector<uint16_t> wb(static_cast<size_t>(N * 128));
  std::memset(y, 0, size_t(M * N) * sizeof(float));
  for (int64_t kb = 0; kb < KB; kb++) {
    const int64_t k0 = kb * 128, kc = std::min<int64_t>(128, K - k0);
    for (int64_t m = 0; m < M; m++) std::memcpy(&xb[size_t(m * kc)], x + m * K + k0, size_t(kc) * sizeof(float));
    for (int64_t n = 0; n < N; n++)
      std::memcpy(&wb[size_t(n * kc)], static_cast<const uint16_t*>(w.data) + n * K + k0, size_t(kc) * 2);
    matmul(yb.data(), xb.data(), M, WeightRef{DType::BF16, wb.data(), N, kc}, Precision::F32);
    parallel_ranges(M, [&](int64_t lo, int64_t hi, int) {
      for (int64_t m = lo; m < hi; m++)
        for (int64_t n = 0; n < N; n++)
          y[m * N + n] += (sa[m * KB + kb] * sb[n * KB + kb]) * yb[size_t(m * N + n)];
    });
  }
}

void matmul(float* y, const float* x, int64_t M, const WeightRef& w, Precision p) {
  if (M <= matmul_gemv_max_m())
    matmul_gemv(y, x, M, w, p);
  else
    matmul_gemm(y, x, M, w, p);
}

}  // namespace seek::cpu
