// Internals of the AVX2 matmul kernels (matmul_gemv_avx2.cpp, matmul_gemm_avx2.cpp, and the quantized-weight
// kernels that reuse the f32 GEMM micro-kernel): decoding 8 stored weights to one f32 vector, an 8x8 transpose, and
// the horizontal sum. Compiled wherever the build has AVX2 + FMA + F16C (AVX-512 machines included, where matmul
// still dispatches the existing dtypes to the AVX-512 kernels). Not for use outside kernels/cpu.
#pragma once
#include "kernels/cpu/matmul_kernels.h"  // first: see the note on immintrin.h there

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define SEEK_MATMUL_AVX2 1
#include <immintrin.h>

#include <cstring>

namespace seek::cpu::detail {

void gemv_avx2(float* y, const float* x, int64_t M, const WeightRef& w, const Plan& plan);
void gemm_avx2(float* y, const float* x, int64_t M, const WeightRef& w, const Plan& plan);

// The f32 GEMM driver behind gemm_avx2 (matmul_gemm_avx2.cpp), for any weight a panel packer can decode:
// y[M, N] = x[M, K] · W[N, K]^T. pack(ctx, n0, k0, kc, bp) writes weight rows [n0, n0 + kGemmNR) x columns
// [k0, k0 + kc) as f32 into bp[kk][kGemmNR] (kk < kc), rows past N as 0. k0 is a multiple of 256, and kc is 256
// except in the last k block, so a packer of 32- or 256-element blocks always starts on a block.
constexpr int kGemmNR = 16;
using PackPanel = void (*)(const void* ctx, int64_t n0, int64_t k0, int64_t kc, float* bp);
void gemm_f32_packed(float* y, const float* x, int64_t M, int64_t N, int64_t K, PackPanel pack, const void* ctx);

// Lanes [0, n) set (n in 0..8), for maskload / maskstore.
inline __m256i mask8_epi32(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Round f32 lanes to the nearest-even bf16 value, kept as f32 (integer form, as round_bf16_ps in matmul_kernels.h).
inline __m256 round_bf16_ps256(__m256 v) {
  __m256i u = _mm256_castps_si256(v);
  __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
  u = _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
  return _mm256_castsi256_ps(_mm256_and_si256(u, _mm256_set1_epi32(int32_t(0xffff0000u))));
}

// 8 e4m3 bytes -> 8 f32 values / 256 (the f16 reinterpretation described at e4m3_to_f16_16 in matmul_kernels.h; the
// caller multiplies by 256 * block scale). The NaN code 0x7f decodes as 480 there too.
inline __m256 e4m3x8_div256(__m128i b) {
  const __m128i v = _mm_cvtepi8_epi16(b);
  return _mm256_cvtph_ps(_mm_and_si128(_mm_slli_epi16(v, 7), _mm_set1_epi16(int16_t(0xbfff))));
}

// 8 weights of one row as f32 (e4m3: still to be multiplied by 256 * scale). full(): all 8 present; part(): the
// first n (< 8) present, the other lanes 0, without reading past p + n.
template <DType DT>
struct Dec8;
template <>
struct Dec8<DType::F32> {
  using T = float;
  static __m256 full(const T* p) { return _mm256_loadu_ps(p); }
  static __m256 part(const T* p, int n) { return _mm256_maskload_ps(p, mask8_epi32(n)); }
};
template <>
struct Dec8<DType::BF16> {
  using T = uint16_t;
  static __m256 full(const T* p) {
    const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
  }
  static __m256 part(const T* p, int n) {
    T b[8] = {};
    std::memcpy(b, p, size_t(n) * sizeof(T));
    return full(b);
  }
};
template <>
struct Dec8<DType::F16> {
  using T = uint16_t;
  static __m256 full(const T* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static __m256 part(const T* p, int n) {
    T b[8] = {};
    std::memcpy(b, p, size_t(n) * sizeof(T));
    return full(b);
  }
};
template <>
struct Dec8<DType::E4M3> {
  using T = uint8_t;
  static __m256 full(const T* p) { return e4m3x8_div256(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }
  static __m256 part(const T* p, int n) {
    T b[8] = {};
    std::memcpy(b, p, size_t(n));
    return full(b);
  }
};

// Sum of the 8 lanes.
inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// In-register transpose of 8 rows of 8 f32: r[i] lane j -> r[j] lane i.
inline void transpose8x8_ps(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
  }
  __m256 s[8];
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));  // a0 b0 c0 d0 | a4 b4 c4 d4
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
}

}  // namespace seek::cpu::detail

#endif  // AVX2 + FMA + F16C
