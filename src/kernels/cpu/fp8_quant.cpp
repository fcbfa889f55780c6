#include "kernels/cpu/fp8_quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/parallel.h"

#if defined(__AVX512F__)
// GCC 12's AVX-512 intrinsics trip -W(maybe-)uninitialized once inlined (see kernels/cpu/matmul_kernels.h).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace seek::cpu {

namespace {
constexpr int64_t G = 128;  // group width along a row

// amax / 448; a group too small for that to be a normal float (amax below ~5e-36: vanishing gradients do this)
// gets the smallest normal scale instead, so x / scale stays finite (at most 448) rather than 0 / 0 or x / 0.
inline float scale_of(float amax) {
  if (!(amax > 0)) return 1.0f;
  return std::max(amax / kE4m3Max, std::numeric_limits<float>::min());
}
inline uint16_t bf16_bits(float v) {  // exact: an e4m3 value has 3 mantissa bits
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return uint16_t(u >> 16);
}
#if defined(__AVX512F__)
// round_e4m3 of 16 lanes (the same two cases, chosen per lane).
inline __m512 round_e4m3_16(__m512 v) {
  const __m512 sub = _mm512_mul_ps(
      _mm512_roundscale_ps(_mm512_mul_ps(v, _mm512_set1_ps(512.0f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
      _mm512_set1_ps(1.0f / 512.0f));
  __m512i u = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 20), _mm512_set1_epi32(1));
  u = _mm512_and_si512(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7ffff))),
                       _mm512_set1_epi32(int32_t(0xfff00000u)));
  const __mmask16 tiny = _mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(0x1p-6f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(tiny, _mm512_castsi512_ps(u), sub);
}
inline __mmask16 lanes(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1); }

// max |x[0..n)|
inline float amax_of(const float* x, int64_t n) {
  __m512 m = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_maskz_loadu_ps(lanes(n - i), x + i)));
  return _mm512_reduce_max_ps(m);
}
// q[i] = round_e4m3(x[i] / s) for i < n (f32 out, or bf16 bits)
inline void quantize_run(const float* x, int64_t n, float s, float* q) {
  const __m512 sv = _mm512_set1_ps(s);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    _mm512_mask_storeu_ps(q + i, m, round_e4m3_16(_mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), sv)));
  }
}
inline void quantize_run(const float* x, int64_t n, float s, uint16_t* q) {
  const __m512 sv = _mm512_set1_ps(s);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    const __m512i u = _mm512_castps_si512(round_e4m3_16(_mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), sv)));
    _mm256_mask_storeu_epi16(q + i, m, _mm512_cvtepi32_epi16(_mm512_srli_epi32(u, 16)));
  }
}
#else
inline float amax_of(const float* x, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; i++) m = std::max(m, std::fabs(x[i]));
  return m;
}
inline void quantize_run(const float* x, int64_t n, float s, float* q) {
  for (int64_t i = 0; i < n; i++) q[i] = round_e4m3(x[i] / s);
}
inline void quantize_run(const float* x, int64_t n, float s, uint16_t* q) {
  for (int64_t i = 0; i < n; i++) q[i] = bf16_bits(round_e4m3(x[i] / s));
}
#endif
}  // namespace

float round_e4m3(float v) {
  if (std::fabs(v) < 0x1p-6f) return std::nearbyint(v * 512.0f) * (1.0f / 512.0f);  // subnormal: steps of 2^-9
  // normal: the f32 mantissa rounded to its top 3 bits, ties to even (a carry moves to the next binade)
  uint32_t u;
  std::memcpy(&u, &v, 4);
  u = (u + 0x7ffffu + ((u >> 20) & 1u)) & 0xfff00000u;
  std::memcpy(&v, &u, 4);
  return v;
}

void fp8_quantize_tiles(const float* x, int64_t rows, int64_t cols, float* q, float* scale) {
  const int64_t KB = (cols + G - 1) / G;
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t r = lo; r < hi; r++)
          for (int64_t kb = 0; kb < KB; kb++) {
            const int64_t c0 = kb * G, c1 = std::min(cols, c0 + G);
            const float* xr = x + r * cols + c0;
            const float s = scale_of(amax_of(xr, c1 - c0));
            scale[r * KB + kb] = s;
            quantize_run(xr, c1 - c0, s, q + r * cols + c0);
          }
      },
      16);
}

void fp8_quantize_blocks(const float* w, int64_t rows, int64_t cols, uint16_t* q, float* scale) {
  const int64_t KB = (cols + G - 1) / G, RB = (rows + G - 1) / G;
  parallel_ranges(RB * KB, [&](int64_t lo, int64_t hi, int) {
    for (int64_t b = lo; b < hi; b++) {
      const int64_t r0 = b / KB * G, r1 = std::min(rows, r0 + G), c0 = b % KB * G, c1 = std::min(cols, c0 + G);
      float amax = 0;
      for (int64_t r = r0; r < r1; r++) amax = std::max(amax, amax_of(w + r * cols + c0, c1 - c0));
      const float s = scale_of(amax);
      for (int64_t r = r0; r < r1; r++) {
        scale[r * KB + b % KB] = s;
        quantize_run(w + r * cols + c0, c1 - c0, s, q + r * cols + c0);
      }
    }
  });
}

}  // namespace seek::cpu
