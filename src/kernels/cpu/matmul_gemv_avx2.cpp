// AVX2 GEMV kernel for small M (decode): y[M, N] = x[M, K] · W[N, K]^T with M <= 8 per pass, for machines without
// AVX-512 (the same structure as matmul_gemv.cpp, on 8-lane vectors and 16 registers).
//
// Memory-bound: each thread streams its own contiguous range of weight rows, R rows at a time, straight from the
// stored dtype (no packing), decodes 8 weights per row per step and multiplies them against all MB x rows (x stays
// in L1/L2), so every weight byte is read once per call. Accumulators acc[m][r] are 8-lane partial sums over k,
// reduced once per row group. e4m3 weights are scaled per 128-column block (and rounded to bf16 when the plan says
// so) before the multiply, as the scalar path dequantizes them.
//
// Registers: MB * R accumulators plus either the MB x vectors (x kept, weights decoded one row at a time; used when
// MB < R) or the R decoded weights (weights kept, x loaded once per row of x). R is picked per MB to stay within 16
// registers with >= 8 independent FMA chains where the register file allows.
#include "kernels/cpu/matmul_avx2.h"  // first: see the note on immintrin.h in matmul_kernels.h

#include <algorithm>

#include "core/parallel.h"

#if defined(SEEK_MATMUL_AVX2)

namespace seek::cpu::detail {
namespace {

template <int MB>
constexpr int rows_per_group() {
  return MB == 1 ? 8 : MB == 2 ? 5 : MB <= 4 ? 3 : MB <= 6 ? 2 : 1;
}

// Rows [n0, n0+R) against x rows [0, MB): y[m * ldy + n0 + r]. x is f32 [MB, ldx].
template <DType DT, bool Round, int MB, int R>
void tile(float* y, int64_t ldy, const float* x, int64_t ldx, const WeightRef& w, int64_t n0) {
  using D = Dec8<DT>;
  using T = typename D::T;
  constexpr bool Scaled = DT == DType::E4M3;
  constexpr bool KeepX = MB < R;
  constexpr int64_t kChunk = 64 / sizeof(T);  // elements per 64-byte line of a weight row
  const int64_t K = w.cols;
  const T* rows[R];
  for (int r = 0; r < R; r++) rows[r] = static_cast<const T*>(w.data) + (n0 + r) * K;
  __m256 acc[MB][R];
  for (int i = 0; i < MB; i++)
    for (int r = 0; r < R; r++) acc[i][r] = _mm256_setzero_ps();
  __m256 sc[R];  // e4m3: 256 * the block scale of each row

  auto weight = [&](int r, int64_t k, int n) {
    __m256 v = n == 8 ? D::full(rows[r] + k) : D::part(rows[r] + k, n);
    if constexpr (Scaled) {
      v = _mm256_mul_ps(v, sc[r]);
      if constexpr (Round) v = round_bf16_ps256(v);
    }
    return v;
  };
  auto xload = [&](int i, int64_t k, int n) {
    return n == 8 ? _mm256_loadu_ps(x + i * ldx + k) : _mm256_maskload_ps(x + i * ldx + k, mask8_epi32(n));
  };
  auto step = [&](int64_t k, int n) {  // columns [k, k + n), n <= 8
    if constexpr (KeepX) {
      __m256 xv[MB];
      for (int i = 0; i < MB; i++) xv[i] = xload(i, k, n);
      for (int r = 0; r < R; r++) {
        const __m256 wv = weight(r, k, n);
        for (int i = 0; i < MB; i++) acc[i][r] = _mm256_fmadd_ps(xv[i], wv, acc[i][r]);
      }
    } else {
      __m256 wv[R];
      for (int r = 0; r < R; r++) wv[r] = weight(r, k, n);
      for (int i = 0; i < MB; i++) {
        const __m256 xv = xload(i, k, n);
        for (int r = 0; r < R; r++) acc[i][r] = _mm256_fmadd_ps(xv, wv[r], acc[i][r]);
      }
    }
  };
  // k in blocks of 128 (the e4m3 scale granularity); per 64-byte line of each row, a prefetch of the same line R
  // rows on (the next group: rows shorter than a page put several streams in one page, which the hardware
  // prefetchers follow poorly; past the end of the matrix it is harmless).
  for (int64_t kb = 0; kb < K; kb += 128) {
    if constexpr (Scaled)
      for (int r = 0; r < R; r++) sc[r] = _mm256_set1_ps(256.0f * fp8_scale(w, n0 + r, kb));
    const int64_t kend = std::min(K, kb + 128);
    int64_t k = kb;
    for (; k + 8 <= kend; k += 8) {
      if (k % kChunk == 0)
        for (int r = 0; r < R; r++) _mm_prefetch(reinterpret_cast<const char*>(rows[r] + R * K + k), _MM_HINT_T0);
      step(k, 8);
    }
    if (k < kend) step(k, int(kend - k));
  }
  for (int i = 0; i < MB; i++)
    for (int r = 0; r < R; r++) y[i * ldy + n0 + r] = hsum256(acc[i][r]);
}

// All rows in [lo, hi) for one chunk of MB x rows: full groups, then single rows.
template <DType DT, bool Round, int MB>
void rows(float* y, int64_t ldy, const float* x, const WeightRef& w, int64_t lo, int64_t hi) {
  constexpr int R = rows_per_group<MB>();
  int64_t n = lo;
  for (; n + R <= hi; n += R) tile<DT, Round, MB, R>(y, ldy, x, w.cols, w, n);
  for (; n < hi; n++) tile<DT, Round, MB, 1>(y, ldy, x, w.cols, w, n);
}

template <DType DT, bool Round>
void chunk(int mb, float* y, int64_t ldy, const float* x, const WeightRef& w, int64_t lo, int64_t hi) {
  switch (mb) {
    case 1: return rows<DT, Round, 1>(y, ldy, x, w, lo, hi);
    case 2: return rows<DT, Round, 2>(y, ldy, x, w, lo, hi);
    case 3: return rows<DT, Round, 3>(y, ldy, x, w, lo, hi);
    case 4: return rows<DT, Round, 4>(y, ldy, x, w, lo, hi);
    case 5: return rows<DT, Round, 5>(y, ldy, x, w, lo, hi);
    case 6: return rows<DT, Round, 6>(y, ldy, x, w, lo, hi);
    case 7: return rows<DT, Round, 7>(y, ldy, x, w, lo, hi);
    default: return rows<DT, Round, 8>(y, ldy, x, w, lo, hi);
  }
}

}  // namespace

void gemv_avx2(float* y, const float* x, int64_t M, const WeightRef& w, const Plan& plan) {
  const int64_t N = w.rows, K = w.cols;
  const bool round = plan.round_fp8_to_bf16 || plan.mode == Mode::BF16;  // as matmul_scalar rounds
  parallel_ranges(N, [&](int64_t lo, int64_t hi, int) {
    for (int64_t m0 = 0; m0 < M; m0 += 8) {
      const int mb = int(std::min<int64_t>(8, M - m0));
      float* ym = y + m0 * N;
      const float* xm = x + m0 * K;
      switch (w.dtype) {
        case DType::F32: chunk<DType::F32, false>(mb, ym, N, xm, w, lo, hi); break;
        case DType::BF16: chunk<DType::BF16, false>(mb, ym, N, xm, w, lo, hi); break;
        case DType::F16: chunk<DType::F16, false>(mb, ym, N, xm, w, lo, hi); break;
        default:
          if (round)
            chunk<DType::E4M3, true>(mb, ym, N, xm, w, lo, hi);
          else
            chunk<DType::E4M3, false>(mb, ym, N, xm, w, lo, hi);
      }
    }
  });
}

}  // namespace seek::cpu::detail

#endif  // SEEK_MATMUL_AVX2
