// matmul over GGUF block-quantized weights (q8_0, q4_0, q4_1, q5_0, q5_1, q4_K, q5_K, q6_K), in f32 arithmetic:
// each weight is decoded to exactly the f32 value core/quant_blocks.h defines (for q4_1/q5_1 the block's min is
// already added in) and multiplied with the f32 activations, so the result is the dequantize-then-f32 reference up
// to summation order (activations are not rounded to 8 bits).
//   GEMV (decode, M <= 8 per pass): each thread streams its own rows; 32 weights at a time are decoded into
//                  registers (quant_chunks_avx2.h) and multiplied with every x row, so each weight byte is read once
//                  per call and never stored decoded.
//   GEMM (prefill): the f32 GEMM driver of matmul_gemm.cpp (AVX-512) or matmul_gemm_avx2.cpp with a packer that
//                  decodes each panel's slice of the rows and transposes it into the panel.
// Built with -ffp-contract=off for the decoders' sake; the products use explicit FMA instructions.
#include "kernels/cpu/quant_chunks_avx2.h"  // first: see the note on immintrin.h in matmul_kernels.h

#include <algorithm>
#include <vector>

#include "core/parallel.h"
#include "core/quant_blocks.h"
#include "kernels/cpu/quant_decode.h"
#include "kernels/cpu/vec.h"

namespace seek::cpu::detail {

#if defined(SEEK_MATMUL_AVX2)
namespace {

// Rows [lo, hi) of y[MB, N] = x[MB, K] · W^T.
template <DType T, int MB>
void gemv_rows(float* y, int64_t N, const float* x, int64_t K, const WeightRef& w, int64_t lo, int64_t hi) {
  using C = Chunks<T>;
  constexpr int A = MB == 1 ? 4 : MB == 2 ? 2 : 1;  // independent FMA chains per x row
  const size_t stride = w.row_stride();
  for (int64_t n = lo; n < hi; n++) {
    const uint8_t* b = static_cast<const uint8_t*>(w.data) + size_t(n) * stride;
    __m256 acc[MB][A];
    for (int m = 0; m < MB; m++)
      for (int a = 0; a < A; a++) acc[m][a] = _mm256_setzero_ps();
    for (int64_t k0 = 0; k0 < K; k0 += C::kElems, b += C::kBytes) {
      _mm_prefetch(reinterpret_cast<const char*>(b) + 512, _MM_HINT_T0);
      const typename C::Scales s = C::scales(b);
      for (int c = 0; c < C::kElems / 32; c++) {
        __m256 wv[4];
        C::decode(b, c, s, wv);
        const float* xk = x + k0 + 32 * c;
        for (int m = 0; m < MB; m++)
          for (int v = 0; v < 4; v++)
            acc[m][v % A] = _mm256_fmadd_ps(wv[v], _mm256_loadu_ps(xk + m * K + 8 * v), acc[m][v % A]);
      }
    }
    for (int m = 0; m < MB; m++) {
      __m256 s = acc[m][0];
      for (int a = 1; a < A; a++) s = _mm256_add_ps(s, acc[m][a]);
      y[m * N + n] = hsum256(s);
    }
  }
}

template <DType T>
void gemv_chunk(int mb, float* y, int64_t N, const float* x, int64_t K, const WeightRef& w, int64_t lo, int64_t hi) {
  switch (mb) {
    case 1: return gemv_rows<T, 1>(y, N, x, K, w, lo, hi);
    case 2: return gemv_rows<T, 2>(y, N, x, K, w, lo, hi);
    case 3: return gemv_rows<T, 3>(y, N, x, K, w, lo, hi);
    case 4: return gemv_rows<T, 4>(y, N, x, K, w, lo, hi);
    case 5: return gemv_rows<T, 5>(y, N, x, K, w, lo, hi);
    case 6: return gemv_rows<T, 6>(y, N, x, K, w, lo, hi);
    case 7: return gemv_rows<T, 7>(y, N, x, K, w, lo, hi);
    default: return gemv_rows<T, 8>(y, N, x, K, w, lo, hi);
  }
}

// Panel rows [n0, n0 + 16) x columns [k0, k0 + kc) as f32, bp[kk][16]; k0 is a multiple of 256, so a 256-column
// slice is whole blocks of every block type.
[[maybe_unused]] void pack_blocks(const void* ctx, int64_t n0, int64_t k0, int64_t kc, float* bp) {
  const WeightRef& w = *static_cast<const WeightRef*>(ctx);
  const size_t stride = w.row_stride();
  const size_t skip = row_bytes(w.dtype, k0);
  alignas(32) float rows[kGemmNR][256];
  for (int i = 0; i < kGemmNR; i++) {
    if (n0 + i < w.rows)
      decode_blocks(w.dtype, static_cast<const char*>(w.data) + size_t(n0 + i) * stride + skip, rows[i], kc);
    else
      std::fill(rows[i], rows[i] + kc, 0.0f);
  }
  for (int64_t kk = 0; kk < kc; kk++)
    for (int i = 0; i < kGemmNR; i++) bp[kk * kGemmNR + i] = rows[i][kk];
}

}  // namespace

void gemv_blocks(float* y, const float* x, int64_t M, const WeightRef& w) {
  const int64_t N = w.rows, K = w.cols;
  parallel_ranges(N, [&](int64_t lo, int64_t hi, int) {
    for (int64_t m0 = 0; m0 < M; m0 += 8) {
      const int mb = int(std::min<int64_t>(8, M - m0));
      float* ym = y + m0 * N;
      const float* xm = x + m0 * K;
      switch (w.dtype) {
        case DType::Q8_0: gemv_chunk<DType::Q8_0>(mb, ym, N, xm, K, w, lo, hi); break;
        case DType::Q4_0: gemv_chunk<DType::Q4_0>(mb, ym, N, xm, K, w, lo, hi); break;
        case DType::Q4_1: gemv_chunk<DType::Q4_1>(mb, ym, N, xm, K, w, lo, hi); break;
        case DType::Q5_0: gemv_chunk<DType::Q5_0>(mb, ym, N, xm, K, w, lo, hi); break;
        case DType::Q5_1: gemv_chunk<DType::Q5_1>(mb, ym, N, xm, K, w, lo, hi); break;
        case DType::Q4_K: gemv_chunk<DType::Q4_K>(mb, ym, N, xm, K, w, lo, hi); break;
        case DType::Q5_K: gemv_chunk<DType::Q5_K>(mb, ym, N, xm, K, w, lo, hi); break;
        default: gemv_chunk<DType::Q6_K>(mb, ym, N, xm, K, w, lo, hi); break;
      }
    }
  });
}

void gemm_blocks(float* y, const float* x, int64_t M, const WeightRef& w) {
#if defined(__AVX512F__)
  gemm_blocks512(y, x, M, w);  // the 16-lane GEMM where the build has it
#else
  gemm_f32_packed(y, x, M, w.rows, w.cols, pack_blocks, &w);
#endif
}

#else  // no AVX2: one row at a time through the scalar decoder

void gemv_blocks(float* y, const float* x, int64_t M, const WeightRef& w) {
  const int64_t N = w.rows, K = w.cols;
  const size_t stride = w.row_stride();
  parallel_ranges(N, [&](int64_t lo, int64_t hi, int) {
    std::vector<float> row(static_cast<size_t>(K));
    for (int64_t n = lo; n < hi; n++) {
      decode_blocks(w.dtype, static_cast<const char*>(w.data) + size_t(n) * stride, row.data(), K);
      for (int64_t m = 0; m < M; m++) y[m * N + n] = dot(x + m * K, row.data(), K);
    }
  });
}
void gemm_blocks(float* y, const float* x, int64_t M, const WeightRef& w) { gemv_blocks(y, x, M, w); }

#endif

}  // namespace seek::cpu::detail
