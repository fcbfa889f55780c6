// matmul over GGUF block-quantized weights (q8_0, q4_0, q5_0, q4_K, q5_K, q6_K), in f32 arithmetic: each weight is
// dequantized exactly as core/quant_blocks.h defines it and multiplied with the f32 activations, so the result is
// the dequantize-then-f32 reference up to summation order (activations are not rounded to 8 bits).
//   GEMV (decode): each thread streams its own rows, dequantizes one row into L1-resident scratch and dots it with
//                  every x row; every weight byte is read once per call.
//   GEMM (prefill): the f32 GEMM driver of matmul_gemm_avx2.cpp with a packer that dequantizes whole blocks of
//                  16 rows x 256 columns into its panels.
#include "kernels/cpu/matmul_avx2.h"  // first: see the note on immintrin.h in matmul_kernels.h

#include <algorithm>
#include <vector>

#include "core/parallel.h"
#include "core/quant_blocks.h"
#include "kernels/cpu/vec.h"

namespace seek::cpu::detail {

void gemv_blocks(float* y, const float* x, int64_t M, const WeightRef& w) {
  const int64_t N = w.rows, K = w.cols;
  const size_t stride = w.row_stride();
  parallel_ranges(N, [&](int64_t lo, int64_t hi, int) {
    Scratch rs(0, size_t(K) * sizeof(float));
    float* row = rs.as<float>();  // [K]
    for (int64_t n = lo; n < hi; n++) {
      dequantize_row(w.dtype, static_cast<const char*>(w.data) + size_t(n) * stride, row, K);
      for (int64_t m = 0; m < M; m++) y[m * N + n] = dot(x + m * K, row, K);
    }
  });
}

#if defined(SEEK_MATMUL_AVX2)
namespace {

// Panel rows [n0, n0 + 16) x columns [k0, k0 + kc) as f32, bp[kk][16]; k0 is a multiple of 256, so a 256-column
// slice is whole blocks of every block type.
void pack_blocks(const void* ctx, int64_t n0, int64_t k0, int64_t kc, float* bp) {
  const WeightRef& w = *static_cast<const WeightRef*>(ctx);
  const size_t stride = w.row_stride();
  const size_t skip = row_bytes(w.dtype, k0);
  alignas(32) float rows[kGemmNR][256];
  for (int i = 0; i < kGemmNR; i++) {
    if (n0 + i < w.rows)
      dequantize_row(w.dtype, static_cast<const char*>(w.data) + size_t(n0 + i) * stride + skip, rows[i], kc);
    else
      std::fill(rows[i], rows[i] + kc, 0.0f);
  }
  for (int64_t kk = 0; kk < kc; kk++)
    for (int i = 0; i < kGemmNR; i++) bp[kk * kGemmNR + i] = rows[i][kk];
}

}  // namespace

void gemm_blocks(float* y, const float* x, int64_t M, const WeightRef& w) {
  gemm_f32_packed(y, x, M, w.rows, w.cols, pack_blocks, &w);
}
#else
void gemm_blocks(float* y, const float* x, int64_t M, const WeightRef& w) { gemv_blocks(y, x, M, w); }
#endif

}  // namespace seek::cpu::detail
