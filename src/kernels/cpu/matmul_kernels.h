// Internals shared by the matmul kernels (matmul.cpp dispatch, matmul_gemv.cpp, matmul_gemm.cpp): how a run of
// stored weights becomes f32 or bf16 vectors, and a 16x16 transpose for packing. Not for use outside matmul*.cpp.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(__AVX512F__)
// GCC 12's AVX-512 intrinsics pass an uninitialized "undefined" vector as the merge source of unmasked operations,
// which -W(maybe-)uninitialized reports once inlined (GCC bug 105593, fixed in later releases). The warning is
// attributed to the header's lines, so silencing it around the include is enough. Keep this the first include of
// immintrin.h in each matmul*.cpp.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

#include "kernels/weight.h"

namespace seek::cpu::detail {

// What the inner loop multiplies.
//   F32:  weights decoded to f32 (fp8 scaled in f32, optionally rounded to bf16), f32 FMA with x as given.
//   BF16: weights as bf16, x rounded to bf16, bf16 pair dot products (vdpbf16ps) accumulating in f32. Used only where
//         it is exact against F32 mode up to summation order: bf16 weights, or fp8 weights that the precision rounds
//         to bf16, with x already bf16-representable (the Precision::BF16 contract).
enum class Mode { F32, BF16 };

struct Plan {
  Mode mode = Mode::F32;
  bool round_fp8_to_bf16 = false;  // F32 mode on fp8 weights in Precision::BF16 (no bf16 dot instructions)
  bool amx = false;                // BF16 mode's GEMM on AMX tiles (tdpbf16ps) rather than vdpbf16ps
};
Plan make_plan(const WeightRef& w, Precision p);

void gemv(float* y, const float* x, int64_t M, const WeightRef& w, const Plan& plan);
void gemm(float* y, const float* x, int64_t M, const WeightRef& w, const Plan& plan);
// GGUF block-quantized weights (matmul_blocks.cpp), f32 arithmetic whatever the precision.
void gemv_blocks(float* y, const float* x, int64_t M, const WeightRef& w);
void gemm_blocks(float* y, const float* x, int64_t M, const WeightRef& w);
void gemm_blocks512(float* y, const float* x, int64_t M, const WeightRef& w);  // AVX-512 builds (matmul_gemm.cpp)
// matmul_block_scaled on AMX tiles; false (nothing written) where there are none or w is not BF16.
bool gemm_block_scaled_amx(float* y, const float* x, const float* sa, int64_t M, const WeightRef& w, const float* sb);

// Scratch memory for one call, 64-byte aligned, uninitialized. Buffers up to kScratchKeep bytes are kept per thread
// (slot 0: the thread's packed weights, slot 1: the caller's prepared x) and reused by the next call: a fresh
// allocation of this size is a fresh mmap that page-faults in on every call, which cost ~20% of a prefill GEMM here.
// Larger buffers are allocated for the call and freed with it.
class Scratch {
 public:
  static constexpr size_t kScratchKeep = size_t(64) << 20;
  Scratch(int slot, size_t bytes);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(p_);
  }

 private:
  void* p_ = nullptr;
  bool owned_ = false;
};

// e4m3 scale of element (row n, col k): the f32 scale of its 128x128 block (matmul checks block == 128; shifts,
// not divisions, as this runs once per row per 32-128 weights).
inline float fp8_scale(const WeightRef& w, int64_t n, int64_t k) {
  return w.scale_inv[(n >> 7) * ((w.cols + 127) >> 7) + (k >> 7)];
}

#if defined(__AVX512F__)

inline __mmask16 mask16(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1); }
inline __mmask32 mask32(int64_t n) { return n >= 32 ? __mmask32(0xffffffffu) : __mmask32((1u << n) - 1); }

// ---- e4m3 -> f32 without a table ----
// An e4m3 byte s.eeee.mmm becomes the f16 bits s.0eeee.mmm0000000: the same exponent field (bias 7) read with f16's
// bias 15, i.e. the value divided by 2^8, subnormals included (f16 subnormals have the same 2^-24 step the shifted
// e4m3 subnormals need). The caller multiplies by 256 * block scale, which is exact (a power of two), so the
// product equals e4m3_to_f32(q) * scale rounded once, as the reference computes it. Sign-extending the byte puts
// the sign in bit 15 after the shift; bit 14 (a copy of it) is cleared. The NaN code 0x7f decodes as 480 instead of
// NaN; checkpoints do not contain it.
inline __m256i e4m3_to_f16_16(__m128i b) {  // 16 bytes -> 16 f16 bit patterns
  __m256i v = _mm256_cvtepi8_epi16(b);
  return _mm256_and_si256(_mm256_slli_epi16(v, 7), _mm256_set1_epi16(int16_t(0xbfff)));
}
inline __m512i e4m3_to_f16_32(__m256i b) {  // 32 bytes -> 32 f16 bit patterns
  __m512i v = _mm512_cvtepi8_epi16(b);
  return _mm512_and_si512(_mm512_slli_epi16(v, 7), _mm512_set1_epi16(int16_t(0xbfff)));
}

// Round f32 lanes to the nearest-even bf16 value and return them as f32 (integer form: no bf16 instructions needed).
inline __m512 round_bf16_ps(__m512 v) {
  __m512i u = _mm512_castps_si512(v);
  __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  u = _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
  return _mm512_castsi512_ps(_mm512_and_si512(u, _mm512_set1_epi32(int32_t(0xffff0000u))));
}

// ---- 16 weights of one row as f32, lanes past the mask are 0. For e4m3 the result still needs * (256 * scale). ----
inline __m512 dec16_f32(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
inline __m512 dec16_bf16(const uint16_t* p, __mmask16 m) {
  __m512i v = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}
inline __m512 dec16_f16(const uint16_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
inline __m512 dec16_e4m3(const uint8_t* p, __mmask16 m) {
  return _mm512_cvtph_ps(e4m3_to_f16_16(_mm_maskz_loadu_epi8(m, p)));
}
// 32 e4m3 weights as two f32 vectors (lanes 0..15, 16..31), unscaled.
inline void dec32_e4m3(const uint8_t* p, __mmask32 m, __m512& lo, __m512& hi) {
  __m512i h = e4m3_to_f16_32(_mm256_maskz_loadu_epi8(m, p));
  lo = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
  hi = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
}

inline __mmask64 mask64(int64_t n) { return n >= 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1; }

#if defined(__AVX512BF16__) && defined(__AVX512VBMI__)
#define SEEK_MATMUL_FP8_LUT 1
// ---- e4m3 -> bf16 by table, for BF16 mode ----
// Within one 128x128 block every weight is round_bf16(e4m3(q) * s) for the block's scale s, which depends only on
// the 7 magnitude bits of q (the sign is copied). So a block's 128 possible values are computed once (exactly as the
// reference computes them: an f32 product rounded to nearest-even bf16) and looked up with two byte permutes over
// 128-entry tables (vpermt2b reads only the low 7 bits of each index, so the raw fp8 bytes are the indices).
// Per 64 weights this is a load, 4 permutes and a ternary-logic op, about a quarter of the arithmetic decode.
struct Fp8Lut {
  __m512i hi0, hi1, lo0, lo1;  // high / low bytes of the bf16 value of magnitudes 0..63 and 64..127
};

// e4m3 magnitudes 0..127 as f32 (0x7f is NaN).
struct Fp8Magnitudes {
  alignas(64) float v[128];
  constexpr Fp8Magnitudes() : v() {
    for (int m = 0; m < 128; m++) {
      const int e = m >> 3, f = m & 7;
      float x = e == 0 ? float(f) : float(8 + f);  // subnormal: f * 2^-9; normal: (8 + f) * 2^(e - 10)
      for (int i = 0; i < (e == 0 ? 9 : 10 - e); i++) x *= 0.5f;
      for (int i = 0; i < e - 10; i++) x *= 2.0f;
      v[m] = x;
    }
    v[127] = __builtin_nanf("");
  }
};
inline constexpr Fp8Magnitudes kFp8Magnitudes{};

// Byte permutes: odd/even bytes of 128 (the high/low bytes of 64 bf16), and (lo[i], hi[i]) interleaves.
struct Fp8Permutes {
  alignas(64) uint8_t odd[64], even[64], inter0[64], inter1[64];
  constexpr Fp8Permutes() : odd(), even(), inter0(), inter1() {
    for (int i = 0; i < 64; i++) odd[i] = uint8_t(2 * i + 1), even[i] = uint8_t(2 * i);
    for (int i = 0; i < 32; i++) {
      inter0[2 * i] = uint8_t(i), inter0[2 * i + 1] = uint8_t(64 + i);
      inter1[2 * i] = uint8_t(32 + i), inter1[2 * i + 1] = uint8_t(96 + i);
    }
  }
};
inline constexpr Fp8Permutes kFp8Permutes{};

inline Fp8Lut make_fp8_lut(float scale) {
  const __m512 s = _mm512_set1_ps(scale);
  __m512i t[4];  // bf16 values of magnitudes 32j .. 32j + 31
  for (int j = 0; j < 4; j++)
    t[j] = (__m512i)_mm512_cvtne2ps_pbh(_mm512_mul_ps(_mm512_load_ps(kFp8Magnitudes.v + 32 * j + 16), s),
                                        _mm512_mul_ps(_mm512_load_ps(kFp8Magnitudes.v + 32 * j), s));
  const __m512i io = _mm512_load_si512(kFp8Permutes.odd), ie = _mm512_load_si512(kFp8Permutes.even);
  return {_mm512_permutex2var_epi8(t[0], io, t[1]), _mm512_permutex2var_epi8(t[2], io, t[3]),
          _mm512_permutex2var_epi8(t[0], ie, t[1]), _mm512_permutex2var_epi8(t[2], ie, t[3])};
}

// 64 fp8 bytes -> 64 bf16 in order: w0 = elements 0..31, w1 = 32..63.
inline void fp8_to_bf16_64(const Fp8Lut& t, __m512i b, __m512i& w0, __m512i& w1) {
  // bit 6 of an index picks the second table: magnitudes 64..127
  __m512i hi = _mm512_permutex2var_epi8(t.hi0, b, t.hi1);
  const __m512i lo = _mm512_permutex2var_epi8(t.lo0, b, t.lo1);
  hi = _mm512_ternarylogic_epi32(hi, b, _mm512_set1_epi8(char(0x80)), 0xf8);  // hi | (b & 0x80): the sign
  w0 = _mm512_permutex2var_epi8(lo, _mm512_load_si512(kFp8Permutes.inter0), hi);
  w1 = _mm512_permutex2var_epi8(lo, _mm512_load_si512(kFp8Permutes.inter1), hi);
}
#endif

// In-register transpose of 16 rows of 16 32-bit lanes: r[i] lane j  ->  r[j] lane i.
inline void transpose16x16_epi32(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // s[4i+j], 128-bit lane L: column 4L+j of rows 4i..4i+3
  __m512i s[16];
  for (int i = 0; i < 4; i++) {
    s[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    s[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    s[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    s[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int j = 0; j < 4; j++) {
    __m512i u0 = _mm512_shuffle_i32x4(s[j], s[4 + j], 0x44), u1 = _mm512_shuffle_i32x4(s[j], s[4 + j], 0xee);
    __m512i v0 = _mm512_shuffle_i32x4(s[8 + j], s[12 + j], 0x44), v1 = _mm512_shuffle_i32x4(s[8 + j], s[12 + j], 0xee);
    r[j] = _mm512_shuffle_i32x4(u0, v0, 0x88);
    r[4 + j] = _mm512_shuffle_i32x4(u0, v0, 0xdd);
    r[8 + j] = _mm512_shuffle_i32x4(u1, v1, 0x88);
    r[12 + j] = _mm512_shuffle_i32x4(u1, v1, 0xdd);
  }
}

#endif  // __AVX512F__

}  // namespace seek::cpu::detail
