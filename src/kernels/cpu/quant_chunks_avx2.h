// Internals of the block-quantized kernels (quant_decode.cpp, matmul_blocks.cpp): each GGUF block type decoded 32
// elements ("a chunk") at a time into four 8-lane f32 registers, holding exactly the values core/quant_blocks.h's
// dequantize_row computes (same operations in the same order, d * scale first, then * q, then - min (q4_1/q5_1: q * d +
// m); no FMA: the files that include this are built with -ffp-contract=off, as GCC would otherwise fuse the vector mul
// and sub). Chunk c of a block covers its elements [32c, 32c + 32). A block's scales are read once (Chunks<T>::scales)
// and passed to the decoding of each of its chunks. Not for use outside kernels/cpu.
#pragma once
#include "kernels/cpu/matmul_avx2.h"  // first: see the note on immintrin.h in matmul_kernels.h

#include <cstdint>
#include <cstring>

#include "core/dtype.h"
#include "core/quant_blocks.h"

#if defined(SEEK_MATMUL_AVX2)

namespace seek::cpu::detail {

inline float load_half(const uint8_t* p) {
  return _cvtsh_ss([&] {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return h;
  }());
}
inline __m256i u8x8(const uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline __m256i i8x8(const uint8_t* p) {
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline __m256i shr32(__m256i v, int n) { return _mm256_srl_epi32(v, _mm_cvtsi32_si128(n)); }
inline __m256i low4(__m256i v) { return _mm256_and_si256(v, _mm256_set1_epi32(0x0f)); }
inline __m256 i2f(__m256i v) { return _mm256_cvtepi32_ps(v); }

template <DType T>
struct Chunks;

template <>
struct Chunks<DType::Q8_0> {  // f16 d | i8 q[32]
  static constexpr int kElems = 32, kBytes = 34;
  using Scales = __m256;
  static Scales scales(const uint8_t* b) { return _mm256_set1_ps(load_half(b)); }
  static void decode(const uint8_t* b, int, const Scales& d, __m256 w[4]) {
    for (int k = 0; k < 4; k++) w[k] = _mm256_mul_ps(i2f(i8x8(b + 2 + 8 * k)), d);
  }
};

template <>
struct Chunks<DType::Q4_0> {  // f16 d | u8 qs[16]: low nibbles elements 0..15, high 16..31
  static constexpr int kElems = 32, kBytes = 18;
  using Scales = __m256;
  static Scales scales(const uint8_t* b) { return _mm256_set1_ps(load_half(b)); }
  static void decode(const uint8_t* b, int, const Scales& d, __m256 w[4]) {
    const __m256i eight = _mm256_set1_epi32(8);
    for (int k = 0; k < 2; k++) {
      const __m256i q = u8x8(b + 2 + 8 * k);
      w[k] = _mm256_mul_ps(i2f(_mm256_sub_epi32(low4(q), eight)), d);
      w[k + 2] = _mm256_mul_ps(i2f(_mm256_sub_epi32(shr32(q, 4), eight)), d);
    }
  }
};

// The 5-bit codes of q5_0/q5_1 half k (0, 1): elements 8k..8k+7 (lo) and 16+8k..16+8k+7 (hi), from the nibbles
// qs[8k..] and the 5th bits in qh (bit j: element j).
inline void five_bit_codes(const uint8_t* qs, uint32_t qh, int k, __m256i* lo, __m256i* hi) {
  const __m256i h = _mm256_set1_epi32(int32_t(qh)), one = _mm256_set1_epi32(1), sixteen = _mm256_set1_epi32(16);
  const __m256i q = u8x8(qs + 8 * k);
  const __m256i j = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(8 * k));
  const __m256i h0 = _mm256_slli_epi32(_mm256_and_si256(_mm256_srlv_epi32(h, j), one), 4);
  const __m256i h1 = _mm256_slli_epi32(_mm256_and_si256(_mm256_srlv_epi32(h, _mm256_add_epi32(j, sixteen)), one), 4);
  *lo = _mm256_or_si256(low4(q), h0);
  *hi = _mm256_or_si256(shr32(q, 4), h1);
}

template <>
struct Chunks<DType::Q5_0> {  // f16 d | u32 qh (bit j: 5th bit of element j) | u8 qs[16]
  static constexpr int kElems = 32, kBytes = 22;
  using Scales = __m256;
  static Scales scales(const uint8_t* b) { return _mm256_set1_ps(load_half(b)); }
  static void decode(const uint8_t* b, int, const Scales& d, __m256 w[4]) {
    uint32_t qh;
    std::memcpy(&qh, b + 2, 4);
    const __m256i sixteen = _mm256_set1_epi32(16);
    for (int k = 0; k < 2; k++) {
      __m256i lo, hi;
      five_bit_codes(b + 6, qh, k, &lo, &hi);
      w[k] = _mm256_mul_ps(i2f(_mm256_sub_epi32(lo, sixteen)), d);
      w[k + 2] = _mm256_mul_ps(i2f(_mm256_sub_epi32(hi, sixteen)), d);
    }
  }
};

// q4_1/q5_1: as q4_0/q5_0 with codes from 0 and an f16 min after d: w = d * q + m (a mul, then an add).
struct MinScales {
  __m256 d, m;
};
inline MinScales min_scales(const uint8_t* b) {
  return {_mm256_set1_ps(load_half(b)), _mm256_set1_ps(load_half(b + 2))};
}
inline __m256 scale_add_min(__m256i q, const MinScales& s) { return _mm256_add_ps(_mm256_mul_ps(i2f(q), s.d), s.m); }

template <>
struct Chunks<DType::Q4_1> {  // f16 d | f16 m | u8 qs[16]: low nibbles elements 0..15, high 16..31
  static constexpr int kElems = 32, kBytes = 20;
  using Scales = MinScales;
  static Scales scales(const uint8_t* b) { return min_scales(b); }
  static void decode(const uint8_t* b, int, const Scales& s, __m256 w[4]) {
    for (int k = 0; k < 2; k++) {
      const __m256i q = u8x8(b + 4 + 8 * k);
      w[k] = scale_add_min(low4(q), s);
      w[k + 2] = scale_add_min(shr32(q, 4), s);
    }
  }
};

template <>
struct Chunks<DType::Q5_1> {  // f16 d | f16 m | u32 qh (bit j: 5th bit of element j) | u8 qs[16]
  static constexpr int kElems = 32, kBytes = 24;
  using Scales = MinScales;
  static Scales scales(const uint8_t* b) { return min_scales(b); }
  static void decode(const uint8_t* b, int, const Scales& s, __m256 w[4]) {
    uint32_t qh;
    std::memcpy(&qh, b + 4, 4);
    for (int k = 0; k < 2; k++) {
      __m256i lo, hi;
      five_bit_codes(b + 8, qh, k, &lo, &hi);
      w[k] = scale_add_min(lo, s);
      w[k + 2] = scale_add_min(hi, s);
    }
  }
};

// q4_K: f16 d | f16 dmin | scales[12] | qs[128]; q5_K adds qh[32] before qs. Chunk c is sub-block c: the low
// (c even) or high (c odd) nibbles of qs[32 (c / 2) ..][32], plus bit c of qh[..32] for q5_K.
template <bool High>
struct KChunks {
  static constexpr int kElems = 256, kBytes = High ? 176 : 144;
  struct Scales {
    float ds[8], dm[8];  // d * scale and dmin * min of each sub-block
  };
  static Scales scales(const uint8_t* b) {
    Scales s;
    const float d = load_half(b), dmin = load_half(b + 2);
    for (int c = 0; c < 8; c++) {
      int sc, m;
      k_scale_min(c, b + 4, &sc, &m);
      s.ds[c] = d * float(sc), s.dm[c] = dmin * float(m);
    }
    return s;
  }
  static void decode(const uint8_t* b, int c, const Scales& s, __m256 w[4]) {
    const __m256 ds = _mm256_set1_ps(s.ds[c]), dm = _mm256_set1_ps(s.dm[c]);
    const uint8_t* qs = b + (High ? 48 : 16) + 32 * (c / 2);
    for (int k = 0; k < 4; k++) {
      const __m256i q = u8x8(qs + 8 * k);
      __m256i v = c % 2 ? shr32(q, 4) : low4(q);
      if constexpr (High)
        v = _mm256_or_si256(
            v, _mm256_slli_epi32(_mm256_and_si256(shr32(u8x8(b + 16 + 8 * k), c), _mm256_set1_epi32(1)), 4));
      w[k] = _mm256_sub_ps(_mm256_mul_ps(ds, i2f(v)), dm);
    }
  }
};
template <>
struct Chunks<DType::Q4_K> : KChunks<false> {};
template <>
struct Chunks<DType::Q5_K> : KChunks<true> {};

template <>
struct Chunks<DType::Q6_K> {  // ql[128] | qh[64] | i8 scales[16] | f16 d
  static constexpr int kElems = 256, kBytes = 210;
  // Chunk c: half h = c / 4 (ql + 64h, qh + 32h, scales + 8h) and group j = c % 4 of that half: element l (< 32)
  // is the low (j < 2) or high nibble of ql[l + 32 (j % 2)], bits 2j..2j+1 of qh[l], scale[l / 16 + 2j].
  struct Scales {
    float ds[16];  // d * scale of each 16 elements
  };
  static Scales scales(const uint8_t* b) {
    Scales s;
    const float d = load_half(b + 208);
    for (int i = 0; i < 16; i++) s.ds[i] = d * float(int8_t(b[192 + i]));
    return s;
  }
  static void decode(const uint8_t* b, int c, const Scales& s, __m256 w[4]) {
    const int h = c / 4, j = c % 4;
    const uint8_t* ql = b + 64 * h + 32 * (j % 2);
    const uint8_t* qh = b + 128 + 32 * h;
    const float* sc = s.ds + 8 * h + 2 * j;
    for (int k = 0; k < 4; k++) {
      const __m256i lo = j < 2 ? low4(u8x8(ql + 8 * k)) : shr32(u8x8(ql + 8 * k), 4);
      const __m256i hi = _mm256_and_si256(shr32(u8x8(qh + 8 * k), 2 * j), _mm256_set1_epi32(3));
      const __m256i q = _mm256_sub_epi32(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), _mm256_set1_epi32(32));
      w[k] = _mm256_mul_ps(_mm256_set1_ps(sc[k / 2]), i2f(q));
    }
  }
};

}  // namespace seek::cpu::detail

#endif  // SEEK_MATMUL_AVX2
