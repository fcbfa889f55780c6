// GEMV kernel for small M (decode): y[M, N] = x[M, K] · W[N, K]^T with M <= 8 per pass.
//
// Decode is bound by memory bandwidth: every weight byte is read once per token and used M times. So the kernel
// streams R weight rows at a time straight from the stored dtype (no packing, no scratch), decodes 32 weights per
// row per step into registers, and multiplies them against the M x rows (which stay in L1/L2). Accumulators are
// acc[m][r] vectors over k, reduced horizontally once per row group. The threads split the N rows into contiguous
// ranges, so each thread streams its own part of the matrix.
//
// R is chosen per M so that the MB*R accumulators plus the decoded weights fit in the 32 vector registers and there
// are >= 8 independent FMA chains (2 FMA pipes x 4 cycles latency).
#include "kernels/cpu/matmul_kernels.h"  // first: see the note on immintrin.h there

#include <algorithm>

#include "core/parallel.h"

#if defined(__AVX512F__)

namespace seek::cpu::detail {
namespace {

// Software prefetch of the same columns R rows further on (the next row group). Without it, fp8 decode streams at
// half the memory bandwidth: rows shorter than a 4 KiB page put several streams in one page, which the hardware
// prefetchers do not follow far enough. Prefetching past the end of the matrix is harmless (no fault).
inline void prefetch_next_group(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }

// ---- F32 mode: 32 weights of a row -> two f32 vectors ----
template <DType DT>
struct Dec;
template <>
struct Dec<DType::F32> {
  using T = float;
  static void dec32(const T* p, __mmask32 m, __m512& lo, __m512& hi) {
    lo = dec16_f32(p, __mmask16(m));
    hi = dec16_f32(p + 16, __mmask16(m >> 16));
  }
};
template <>
struct Dec<DType::BF16> {
  using T = uint16_t;
  static void dec32(const T* p, __mmask32 m, __m512& lo, __m512& hi) {
    lo = dec16_bf16(p, __mmask16(m));
    hi = dec16_bf16(p + 16, __mmask16(m >> 16));
  }
};
template <>
struct Dec<DType::F16> {
  using T = uint16_t;
  static void dec32(const T* p, __mmask32 m, __m512& lo, __m512& hi) {
    lo = dec16_f16(p, __mmask16(m));
    hi = dec16_f16(p + 16, __mmask16(m >> 16));
  }
};
template <>
struct Dec<DType::E4M3> {
  using T = uint8_t;
  static void dec32(const T* p, __mmask32 m, __m512& lo, __m512& hi) { dec32_e4m3(p, m, lo, hi); }
};

// Rows [n0, n0+R) against x rows [0, MB): y[m * ldy + n0 + r]. x is f32 [MB, ldx].
template <DType DT, bool Round, int MB, int R>
void tile_f32(float* y, int64_t ldy, const float* x, int64_t ldx, const WeightRef& w, int64_t n0) {
  using T = typename Dec<DT>::T;
  constexpr bool Scaled = DT == DType::E4M3;
  const int64_t K = w.cols;
  const T* rows[R];
  for (int r = 0; r < R; r++) rows[r] = static_cast<const T*>(w.data) + (n0 + r) * K;
  __m512 acc[MB][R];
  for (int i = 0; i < MB; i++)
    for (int r = 0; r < R; r++) acc[i][r] = _mm512_setzero_ps();
  __m512 sc[R];  // e4m3: 256 * block scale of each row (see e4m3_to_f16_16)

  auto step = [&](int64_t k, __mmask32 m) {
    __m512 wl[R], wh[R];
    for (int r = 0; r < R; r++) {
      prefetch_next_group(rows[r] + R * K + k);
      if constexpr (sizeof(T) == 4) prefetch_next_group(rows[r] + R * K + k + 16);
      Dec<DT>::dec32(rows[r] + k, m, wl[r], wh[r]);
      if constexpr (Scaled) {
        wl[r] = _mm512_mul_ps(wl[r], sc[r]);
        wh[r] = _mm512_mul_ps(wh[r], sc[r]);
        if constexpr (Round) {
          wl[r] = round_bf16_ps(wl[r]);
          wh[r] = round_bf16_ps(wh[r]);
        }
      }
    }
    for (int i = 0; i < MB; i++) {
      __m512 xl = _mm512_maskz_loadu_ps(__mmask16(m), x + i * ldx + k);
      for (int r = 0; r < R; r++) acc[i][r] = _mm512_fmadd_ps(xl, wl[r], acc[i][r]);
      __m512 xh = _mm512_maskz_loadu_ps(__mmask16(m >> 16), x + i * ldx + k + 16);
      for (int r = 0; r < R; r++) acc[i][r] = _mm512_fmadd_ps(xh, wh[r], acc[i][r]);
    }
  };
  // k in blocks of 128 (the e4m3 scale granularity), 32 per step; only the last block can have a masked tail.
  for (int64_t kb = 0; kb < K; kb += 128) {
    if constexpr (Scaled)
      for (int r = 0; r < R; r++) sc[r] = _mm512_set1_ps(256.0f * fp8_scale(w, n0 + r, kb));
    const int64_t kend = std::min(K, kb + 128);
    int64_t k = kb;
    for (; k + 32 <= kend; k += 32) step(k, __mmask32(0xffffffffu));
    if (k < kend) step(k, mask32(kend - k));
  }
  for (int i = 0; i < MB; i++)
    for (int r = 0; r < R; r++) y[i * ldy + n0 + r] = _mm512_reduce_add_ps(acc[i][r]);
}

#if defined(__AVX512BF16__)
// BF16 mode. xb is x rounded to bf16, [MB, ldxb] with ldxb a multiple of 32 and zeros past K, so x loads need no
// mask. Weights: bf16 as stored, or e4m3 dequantized and rounded to bf16 (cvtne2ps: nearest even).
template <bool FP8, int MB, int R>
void tile_bf16(float* y, int64_t ldy, const uint16_t* xb, int64_t ldxb, const WeightRef& w, int64_t n0) {
  const int64_t K = w.cols;
  const uint8_t* rows8[R];
  const uint16_t* rows16[R];
  for (int r = 0; r < R; r++) {
    rows8[r] = static_cast<const uint8_t*>(w.data) + (n0 + r) * K;
    rows16[r] = static_cast<const uint16_t*>(w.data) + (n0 + r) * K;
  }
  __m512 acc[MB][R];
  for (int i = 0; i < MB; i++)
    for (int r = 0; r < R; r++) acc[i][r] = _mm512_setzero_ps();
  __m512 sc[R];

  auto step = [&](int64_t k, __mmask32 m) {
    __m512i wv[R];
    for (int r = 0; r < R; r++) {
      if constexpr (FP8)
        prefetch_next_group(rows8[r] + R * K + k);
      else
        prefetch_next_group(rows16[r] + R * K + k);
      if constexpr (FP8) {
        __m512 lo, hi;
        dec32_e4m3(rows8[r] + k, m, lo, hi);
        wv[r] = (__m512i)_mm512_cvtne2ps_pbh(_mm512_mul_ps(hi, sc[r]), _mm512_mul_ps(lo, sc[r]));
      } else {
        wv[r] = _mm512_maskz_loadu_epi16(m, rows16[r] + k);
      }
    }
    for (int i = 0; i < MB; i++) {
      __m512bh xv = (__m512bh)_mm512_loadu_si512(xb + i * ldxb + k);
      for (int r = 0; r < R; r++) acc[i][r] = _mm512_dpbf16_ps(acc[i][r], xv, (__m512bh)wv[r]);
    }
  };
  for (int64_t kb = 0; kb < K; kb += 128) {
    if constexpr (FP8)
      for (int r = 0; r < R; r++) sc[r] = _mm512_set1_ps(256.0f * fp8_scale(w, n0 + r, kb));
    const int64_t kend = std::min(K, kb + 128);
    int64_t k = kb;
    for (; k + 32 <= kend; k += 32) step(k, __mmask32(0xffffffffu));
    if (k < kend) step(k, mask32(kend - k));
  }
  for (int i = 0; i < MB; i++)
    for (int r = 0; r < R; r++) y[i * ldy + n0 + r] = _mm512_reduce_add_ps(acc[i][r]);
}

#if defined(SEEK_MATMUL_FP8_LUT)
// BF16 mode, e4m3 weights decoded by table (see Fp8Lut), 64 per step. Rows [n0, n0+R) must share one 128-row scale
// block (rows_fp8 groups them so), so one table per 128 columns serves all R rows. xb: [MB, ldxb], ldxb a multiple
// of 64, zero past K.
template <int MB, int R>
void tile_fp8_lut(float* y, int64_t ldy, const uint16_t* xb, int64_t ldxb, const WeightRef& w, int64_t n0) {
  const int64_t K = w.cols;
  const uint8_t* rows[R];
  for (int r = 0; r < R; r++) rows[r] = static_cast<const uint8_t*>(w.data) + (n0 + r) * K;
  const float* srow = w.scale_inv + (n0 >> 7) * ((K + 127) >> 7);  // this row block's scales
  __m512 acc[MB][R];
  for (int i = 0; i < MB; i++)
    for (int r = 0; r < R; r++) acc[i][r] = _mm512_setzero_ps();
  for (int64_t kb = 0; kb < K; kb += 128) {
    const Fp8Lut lut = make_fp8_lut(srow[kb >> 7]);
    const int64_t kend = std::min(K, kb + 128);
    for (int64_t k = kb; k < kend; k += 64) {
      const __mmask64 m = mask64(kend - k);
      for (int r = 0; r < R; r++) {
        prefetch_next_group(rows[r] + R * K + k);
        __m512i w0, w1;
        fp8_to_bf16_64(lut, _mm512_maskz_loadu_epi8(m, rows[r] + k), w0, w1);
        for (int i = 0; i < MB; i++) {
          acc[i][r] = _mm512_dpbf16_ps(acc[i][r], (__m512bh)_mm512_loadu_si512(xb + i * ldxb + k), (__m512bh)w0);
          acc[i][r] = _mm512_dpbf16_ps(acc[i][r], (__m512bh)_mm512_loadu_si512(xb + i * ldxb + k + 32), (__m512bh)w1);
        }
      }
    }
  }
  for (int i = 0; i < MB; i++)
    for (int r = 0; r < R; r++) y[i * ldy + n0 + r] = _mm512_reduce_add_ps(acc[i][r]);
}

template <int MB>
void rows_fp8_lut(float* y, int64_t ldy, const uint16_t* xb, int64_t ldxb, const WeightRef& w, int64_t lo, int64_t hi) {
  constexpr int R = MB <= 2 ? 8 : MB <= 4 ? 4 : 2;  // divides 128: groups line up with the scale blocks
  for (int64_t n = lo; n < hi;) {
    const int64_t block_end = std::min(hi, (n | 127) + 1);
    if (n + R <= block_end) {
      tile_fp8_lut<MB, R>(y, ldy, xb, ldxb, w, n);
      n += R;
    } else {
      tile_fp8_lut<MB, 1>(y, ldy, xb, ldxb, w, n);
      n++;
    }
  }
}
#endif

// x [M, K] f32 -> bf16 [M, ldxb], nearest even, zero padded past K.
void x_to_bf16(const float* x, int64_t M, int64_t K, uint16_t* xb, int64_t ldxb) {
  for (int64_t m = 0; m < M; m++)
    for (int64_t k = 0; k < ldxb; k += 32) {
      __m512 lo = k < K ? _mm512_maskz_loadu_ps(mask16(K - k), x + m * K + k) : _mm512_setzero_ps();
      __m512 hi = k + 16 < K ? _mm512_maskz_loadu_ps(mask16(K - k - 16), x + m * K + k + 16) : _mm512_setzero_ps();
      _mm512_storeu_si512(xb + m * ldxb + k, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
}
#endif

// Rows per group for MB x rows: fills the registers (see the file comment).
template <bool F32Mode, int MB>
constexpr int rows_per_group() {
  if constexpr (F32Mode)  // two decoded vectors per row
    return MB == 1 ? 8 : MB == 2 ? 6 : MB <= 5 ? 4 : 3;
  else  // one bf16 vector per row
    return MB == 1 ? 8 : MB == 2 ? 8 : MB <= 4 ? 5 : 3;
}

// All rows in [lo, hi) for one chunk of MB x rows: full groups, then single rows.
template <DType DT, bool Round, int MB>
void rows_f32(float* y, int64_t ldy, const float* x, const WeightRef& w, int64_t lo, int64_t hi) {
  constexpr int R = rows_per_group<true, MB>();
  int64_t n = lo;
  for (; n + R <= hi; n += R) tile_f32<DT, Round, MB, R>(y, ldy, x, w.cols, w, n);
  for (; n < hi; n++) tile_f32<DT, Round, MB, 1>(y, ldy, x, w.cols, w, n);
}

template <DType DT, bool Round>
void chunk_f32(int mb, float* y, int64_t ldy, const float* x, const WeightRef& w, int64_t lo, int64_t hi) {
  switch (mb) {
    case 1: return rows_f32<DT, Round, 1>(y, ldy, x, w, lo, hi);
    case 2: return rows_f32<DT, Round, 2>(y, ldy, x, w, lo, hi);
    case 3: return rows_f32<DT, Round, 3>(y, ldy, x, w, lo, hi);
    case 4: return rows_f32<DT, Round, 4>(y, ldy, x, w, lo, hi);
    case 5: return rows_f32<DT, Round, 5>(y, ldy, x, w, lo, hi);
    case 6: return rows_f32<DT, Round, 6>(y, ldy, x, w, lo, hi);
    case 7: return rows_f32<DT, Round, 7>(y, ldy, x, w, lo, hi);
    default: return rows_f32<DT, Round, 8>(y, ldy, x, w, lo, hi);
  }
}

#if defined(__AVX512BF16__)
template <bool FP8, int MB>
void rows_bf16(float* y, int64_t ldy, const uint16_t* xb, int64_t ldxb, const WeightRef& w, int64_t lo, int64_t hi) {
  constexpr int R = rows_per_group<false, MB>();
  int64_t n = lo;
  for (; n + R <= hi; n += R) tile_bf16<FP8, MB, R>(y, ldy, xb, ldxb, w, n);
  for (; n < hi; n++) tile_bf16<FP8, MB, 1>(y, ldy, xb, ldxb, w, n);
}

template <bool FP8>
void chunk_bf16(int mb, float* y, int64_t ldy, const uint16_t* xb, int64_t ldxb, const WeightRef& w, int64_t lo,
                int64_t hi) {
#if defined(SEEK_MATMUL_FP8_LUT)
  if constexpr (FP8) {
    switch (mb) {
      case 1: return rows_fp8_lut<1>(y, ldy, xb, ldxb, w, lo, hi);
      case 2: return rows_fp8_lut<2>(y, ldy, xb, ldxb, w, lo, hi);
      case 3: return rows_fp8_lut<3>(y, ldy, xb, ldxb, w, lo, hi);
      case 4: return rows_fp8_lut<4>(y, ldy, xb, ldxb, w, lo, hi);
      case 5: return rows_fp8_lut<5>(y, ldy, xb, ldxb, w, lo, hi);
      case 6: return rows_fp8_lut<6>(y, ldy, xb, ldxb, w, lo, hi);
      case 7: return rows_fp8_lut<7>(y, ldy, xb, ldxb, w, lo, hi);
      default: return rows_fp8_lut<8>(y, ldy, xb, ldxb, w, lo, hi);
    }
  }
#endif
  switch (mb) {
    case 1: return rows_bf16<FP8, 1>(y, ldy, xb, ldxb, w, lo, hi);
    case 2: return rows_bf16<FP8, 2>(y, ldy, xb, ldxb, w, lo, hi);
    case 3: return rows_bf16<FP8, 3>(y, ldy, xb, ldxb, w, lo, hi);
    case 4: return rows_bf16<FP8, 4>(y, ldy, xb, ldxb, w, lo, hi);
    case 5: return rows_bf16<FP8, 5>(y, ldy, xb, ldxb, w, lo, hi);
    case 6: return rows_bf16<FP8, 6>(y, ldy, xb, ldxb, w, lo, hi);
    case 7: return rows_bf16<FP8, 7>(y, ldy, xb, ldxb, w, lo, hi);
    default: return rows_bf16<FP8, 8>(y, ldy, xb, ldxb, w, lo, hi);
  }
}
#endif

// Runs `chunk(mb, m0, lo, hi)` for x rows in chunks of <= 8 over each thread's range of output rows.
template <class F>
void over_threads(int64_t M, int64_t N, F&& chunk) {
  parallel_ranges(N, [&](int64_t lo, int64_t hi, int) {
    for (int64_t m0 = 0; m0 < M; m0 += 8) chunk(int(std::min<int64_t>(8, M - m0)), m0, lo, hi);
  });
}

}  // namespace

void gemv(float* y, const float* x, int64_t M, const WeightRef& w, const Plan& plan) {
  const int64_t N = w.rows, K = w.cols;
#if defined(__AVX512BF16__)
  if (plan.mode == Mode::BF16) {
    const int64_t ldxb = (K + 63) / 64 * 64;  // the fp8 table path steps 64 at a time
    Scratch xs(1, size_t(M * ldxb) * sizeof(uint16_t));
    uint16_t* xb = xs.as<uint16_t>();  // [M, ldxb]
    x_to_bf16(x, M, K, xb, ldxb);
    over_threads(M, N, [&](int mb, int64_t m0, int64_t lo, int64_t hi) {
      if (w.dtype == DType::E4M3)
        chunk_bf16<true>(mb, y + m0 * N, N, xb + m0 * ldxb, ldxb, w, lo, hi);
      else
        chunk_bf16<false>(mb, y + m0 * N, N, xb + m0 * ldxb, ldxb, w, lo, hi);
    });
    return;
  }
#endif
  over_threads(M, N, [&](int mb, int64_t m0, int64_t lo, int64_t hi) {
    float* ym = y + m0 * N;
    const float* xm = x + m0 * K;
    switch (w.dtype) {
      case DType::F32: return chunk_f32<DType::F32, false>(mb, ym, N, xm, w, lo, hi);
      case DType::BF16: return chunk_f32<DType::BF16, false>(mb, ym, N, xm, w, lo, hi);
      case DType::F16: return chunk_f32<DType::F16, false>(mb, ym, N, xm, w, lo, hi);
      default:
        if (plan.round_fp8_to_bf16) return chunk_f32<DType::E4M3, true>(mb, ym, N, xm, w, lo, hi);
        return chunk_f32<DType::E4M3, false>(mb, ym, N, xm, w, lo, hi);
    }
  });
}

}  // namespace seek::cpu::detail

#endif  // __AVX512F__
