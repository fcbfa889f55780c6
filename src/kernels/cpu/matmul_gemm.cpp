// GEMM kernel for larger M (prefill): y[M, N] = x[M, K] · W[N, K]^T, compute-bound.
//
// Cache-blocked in the usual way, with the weights playing the role of the packed "B" matrix:
//   for each block of NCP panels of NR = 48 weight rows (a thread's share of N, contiguous):
//     for each k block of KC:
//       pack W[panels, k block]  -> Bp, decoded once (f32, or bf16 pairs), transposed so the micro-kernel loads
//                                   3 vectors of 16 output columns per k                              (L2)
//       for each block of MC x rows (x prepared once per call: f32 copy, or bf16 pairs in BF16 mode)   (L2)
//         for each panel: for each 8 rows: micro-kernel, 8 x 48 outputs in 24 registers, Bp panel in L1
// The micro-kernel broadcasts one x value (f32) or one x pair (bf16) per row and k step, and does 24 FMAs or 24
// bf16 pair dots (vdpbf16ps) against the 3 weight vectors. y is written by the first k block and accumulated into
// by the later ones. Threads split the N panels, so each thread decodes and packs only its own weights.
//
// Packed layouts (NR = 48 output columns n of one panel):
//   F32:  Bp[k][n]           f32,  k over the k block rounded up to 16, zero padded
//   BF16: Bp[k/2][n] pairs   u32 = (bf16 w[n][k], bf16 w[n][k+1]), the operand layout vdpbf16ps wants
//
// On a CPU with AMX tiles (Plan::amx) BF16 mode's micro-kernel is tile products instead: 16 x rows by the panel's
// 48 columns in three 16 x 16 f32 accumulator tiles. The packed panel above already is the tile layout tdpbf16ps
// wants for its second operand (16 rows of k pairs, 16 columns' pairs per 64-byte row), read with a 192-byte
// stride, and the prepared x rows are its first operand (16 pairs of one row per 64 bytes).
#include "kernels/cpu/matmul_kernels.h"  // first: see the note on immintrin.h there

#include "kernels/cpu/amx.h"

#include <algorithm>
#include <optional>

#include "core/dtype.h"
#include "core/parallel.h"
#include "core/quant_blocks.h"
#include "kernels/cpu/quant_decode.h"

#if defined(__AVX512F__)

namespace seek::cpu::detail {
namespace {

constexpr int NR = 48;            // output columns per panel (3 vectors)
constexpr int MR = 8;             // x rows per micro-kernel call; 8 x 3 = 24 accumulators
constexpr int64_t NCP = 8;        // panels per packed block (384 weight rows)
constexpr int64_t MC = 256;       // x rows per block
constexpr int64_t KC_F32 = 128;   // k block: an f32 panel is 48 x 128 x 4 B = 24 KiB (half of L1)
constexpr int64_t KC_BF16 = 256;  // k block: a bf16 panel is 48 x 256 x 2 B = 24 KiB

// ---- packing the weights ----

// 16 weights of row n at column k (mask: valid lanes) as f32, scaled (and rounded) for e4m3. n past N gives 0.
template <DType DT, bool Round>
__m512 load_row16(const WeightRef& w, int64_t n, int64_t k, __mmask16 m) {
  if (n >= w.rows) return _mm512_setzero_ps();
  const int64_t off = n * w.cols + k;
  if constexpr (DT == DType::F32) return dec16_f32(static_cast<const float*>(w.data) + off, m);
  if constexpr (DT == DType::BF16) return dec16_bf16(static_cast<const uint16_t*>(w.data) + off, m);
  if constexpr (DT == DType::F16) return dec16_f16(static_cast<const uint16_t*>(w.data) + off, m);
  if constexpr (DT == DType::E4M3) {
    __m512 v = _mm512_mul_ps(dec16_e4m3(static_cast<const uint8_t*>(w.data) + off, m),
                             _mm512_set1_ps(256.0f * fp8_scale(w, n, k)));
    return Round ? round_bf16_ps(v) : v;
  }
}

// Panel of rows [n0, n0+48), columns [k0, k0+kc) -> bp[kk][48] f32, kk < kc rounded up to 16.
template <DType DT, bool Round>
void pack_f32(const WeightRef& w, int64_t n0, int64_t k0, int64_t kc, float* bp) {
  for (int64_t kk = 0; kk < kc; kk += 16) {
    const __mmask16 m = mask16(kc - kk);
    for (int g = 0; g < NR / 16; g++) {
      __m512i r[16];
      for (int i = 0; i < 16; i++) r[i] = _mm512_castps_si512(load_row16<DT, Round>(w, n0 + g * 16 + i, k0 + kk, m));
      transpose16x16_epi32(r);
      for (int c = 0; c < 16; c++) _mm512_storeu_si512(bp + (kk + c) * NR + g * 16, r[c]);
    }
  }
}

#if defined(__AVX512BF16__)
// 32 weights of row n at column k as bf16 (e4m3: dequantized, rounded to nearest even). n past N gives 0.
template <bool FP8>
__m512i load_row32_bf16(const WeightRef& w, int64_t n, int64_t k, __mmask32 m) {
  if (n >= w.rows) return _mm512_setzero_si512();
  const int64_t off = n * w.cols + k;
  if constexpr (FP8) {
    __m512 lo, hi;
    dec32_e4m3(static_cast<const uint8_t*>(w.data) + off, m, lo, hi);
    const __m512 s = _mm512_set1_ps(256.0f * fp8_scale(w, n, k));
    return (__m512i)_mm512_cvtne2ps_pbh(_mm512_mul_ps(hi, s), _mm512_mul_ps(lo, s));
  } else {
    return _mm512_maskz_loadu_epi16(m, static_cast<const uint16_t*>(w.data) + off);
  }
}

// Panel of rows [n0, n0+NR), columns [k0, k0+kc) -> bp[kk/2][NR] bf16 pairs, kk/2 < ceil(kc/2) rounded up to 32.
template <bool FP8>
void pack_bf16(const WeightRef& w, int64_t n0, int64_t k0, int64_t kc, uint32_t* bp) {
#if defined(SEEK_MATMUL_FP8_LUT)
  if constexpr (FP8) {  // by table, 64 columns at a time; a 16-row group and 64 columns share one scale block
    for (int64_t kk = 0; kk < kc; kk += 64) {
      const __mmask64 m = mask64(kc - kk);
      for (int g = 0; g < NR / 16; g++) {
        const int64_t ng = n0 + g * 16;
        __m512i r0[16], r1[16];
        if (ng < w.rows) {
          const Fp8Lut lut = make_fp8_lut(fp8_scale(w, ng, k0 + kk));
          for (int i = 0; i < 16; i++) {
            if (ng + i < w.rows) {
              const uint8_t* src = static_cast<const uint8_t*>(w.data) + (ng + i) * w.cols + k0 + kk;
              fp8_to_bf16_64(lut, _mm512_maskz_loadu_epi8(m, src), r0[i], r1[i]);
            } else {
              r0[i] = r1[i] = _mm512_setzero_si512();
            }
          }
        } else {
          for (int i = 0; i < 16; i++) r0[i] = r1[i] = _mm512_setzero_si512();
        }
        transpose16x16_epi32(r0);
        transpose16x16_epi32(r1);
        for (int c = 0; c < 16; c++) {
          _mm512_storeu_si512(bp + (kk / 2 + c) * NR + g * 16, r0[c]);
          _mm512_storeu_si512(bp + (kk / 2 + 16 + c) * NR + g * 16, r1[c]);
        }
      }
    }
    return;
  }
#endif
  for (int64_t kk = 0; kk < kc; kk += 32) {
    const __mmask32 m = mask32(kc - kk);
    for (int g = 0; g < NR / 16; g++) {
      __m512i r[16];
      for (int i = 0; i < 16; i++) r[i] = load_row32_bf16<FP8>(w, n0 + g * 16 + i, k0 + kk, m);
      transpose16x16_epi32(r);
      for (int c = 0; c < 16; c++) _mm512_storeu_si512(bp + (kk / 2 + c) * NR + g * 16, r[c]);
    }
  }
}
#endif

// ---- micro-kernels: y[i][0..nvalid) (+)= sum_k x[i][k] * Bp[k][..] for i < MR_ ----

constexpr int NV = NR / 16;  // weight vectors per k step

inline void store_row(float* y, const __m512* c, int nvalid, bool accumulate) {
  for (int j = 0; j < NV; j++) {
    const int left = nvalid - 16 * j;
    if (left <= 0) break;
    const __mmask16 m = mask16(left);
    __m512 v = c[j];
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, y + 16 * j));
    _mm512_mask_storeu_ps(y + 16 * j, m, v);
  }
}

// xp: [MR_, ldx] f32 (row i at xp + i * ldx), bp: [kc][NR]
template <int MR_>
void ukr_f32(int64_t kc, const float* xp, int64_t ldx, const float* bp, float* y, int64_t ldy, int nvalid,
             bool accumulate) {
  __m512 c[MR_][NV];
  for (int i = 0; i < MR_; i++)
    for (int j = 0; j < NV; j++) c[i][j] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    __m512 b[NV];
    for (int j = 0; j < NV; j++) b[j] = _mm512_loadu_ps(bp + k * NR + 16 * j);
    for (int i = 0; i < MR_; i++) {
      const __m512 a = _mm512_set1_ps(xp[i * ldx + k]);
      for (int j = 0; j < NV; j++) c[i][j] = _mm512_fmadd_ps(a, b[j], c[i][j]);
    }
  }
  for (int i = 0; i < MR_; i++) store_row(y + i * ldy, c[i], nvalid, accumulate);
}

#if defined(__AVX512BF16__)
// xp: [MR_, ldx] bf16 pairs (u32), bp: [kp][NR] bf16 pairs
template <int MR_>
void ukr_bf16(int64_t kp, const uint32_t* xp, int64_t ldx, const uint32_t* bp, float* y, int64_t ldy, int nvalid,
              bool accumulate) {
  __m512 c[MR_][NV];
  for (int i = 0; i < MR_; i++)
    for (int j = 0; j < NV; j++) c[i][j] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kp; p++) {
    __m512bh b[NV];
    for (int j = 0; j < NV; j++) b[j] = (__m512bh)_mm512_loadu_si512(bp + p * NR + 16 * j);
    for (int i = 0; i < MR_; i++) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(int32_t(xp[i * ldx + p]));
      for (int j = 0; j < NV; j++) c[i][j] = _mm512_dpbf16_ps(c[i][j], a, b[j]);
    }
  }
  for (int i = 0; i < MR_; i++) store_row(y + i * ldy, c[i], nvalid, accumulate);
}
#endif

#if defined(__AMX_TILE__) && defined(__AMX_BF16__)
#define SEEK_MATMUL_AMX 1
constexpr int MR_AMX = 16;  // x rows per tile micro-kernel call

// The tile shapes the AMX micro-kernel uses, loaded by each thread before its first tile instruction and released
// when it is done (a thread holding tile state makes every context switch save 8 KiB more).
class AmxTiles {
 public:
  AmxTiles() {
    struct alignas(64) Config {
      uint8_t palette = 1, start_row = 0, reserved[14] = {};
      uint16_t colsb[16] = {};  // bytes per row of each tile
      uint8_t rows[16] = {};
    } cfg;
    for (int t = 0; t < 7; t++) cfg.colsb[t] = 64, cfg.rows[t] = 16;  // 0..2: C 16 x 16 f32, 3: x, 4..6: panel
    _tile_loadconfig(&cfg);
  }
  ~AmxTiles() { _tile_release(); }
  AmxTiles(const AmxTiles&) = delete;
  AmxTiles& operator=(const AmxTiles&) = delete;
};

// y[i][0..nvalid) (+)= sum_p x pairs[i][p] . Bp[p][..] for i < rows (<= 16); xp: 16 rows of ldx pairs (rows past
// `rows` are read, their results dropped), bp: [kp rounded up to 16][NR] pairs, zero past kp; kp's tail read
// from xp must be zero too.
void ukr_amx(int64_t kp, const uint32_t* xp, int64_t ldx, const uint32_t* bp, float* y, int64_t ldy, int rows,
             int nvalid, bool accumulate) {
  const bool direct = rows == MR_AMX && nvalid == NR;  // whole tiles go straight between y and the tile registers
  const size_t ys = size_t(ldy) * sizeof(float);
  if (direct && accumulate) {
    _tile_loadd(0, y, ys);
    _tile_loadd(1, y + 16, ys);
    _tile_loadd(2, y + 32, ys);
  } else {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
  }
  for (int64_t p = 0; p < kp; p += 16) {
    _tile_loadd(3, xp + p, size_t(ldx) * 4);
    _tile_loadd(4, bp + p * NR, NR * 4);
    _tile_loadd(5, bp + p * NR + 16, NR * 4);
    _tile_loadd(6, bp + p * NR + 32, NR * 4);
    _tile_dpbf16ps(0, 3, 4);
    _tile_dpbf16ps(1, 3, 5);
    _tile_dpbf16ps(2, 3, 6);
  }
  if (direct) {
    _tile_stored(0, y, ys);
    _tile_stored(1, y + 16, ys);
    _tile_stored(2, y + 32, ys);
    return;
  }
  alignas(64) float c[MR_AMX][NR];
  _tile_stored(0, c[0], NR * 4);
  _tile_stored(1, c[0] + 16, NR * 4);
  _tile_stored(2, c[0] + 32, NR * 4);
  for (int i = 0; i < rows; i++) {
    const __m512 v[NV] = {_mm512_load_ps(c[i]), _mm512_load_ps(c[i] + 16), _mm512_load_ps(c[i] + 32)};
    store_row(y + i * ldy, v, nvalid, accumulate);
  }
}

// One 128-column block of k (kp <= 64 pairs) of the block-scaled product (matmul_block_scaled): the tiles sum the
// block's products, then y[i][n] = (accumulate ? y[i][n] : 0) + (sa[i * sa_stride] * sb[n]) * block[i][n].
void ukr_amx_scaled(int64_t kp, const uint32_t* xp, int64_t ldx, const uint32_t* bp, float* y, int64_t ldy, int rows,
                    int nvalid, bool accumulate, const float* sa, int64_t sa_stride, const float* sb) {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  for (int64_t p = 0; p < kp; p += 16) {
    _tile_loadd(3, xp + p, size_t(ldx) * 4);
    _tile_loadd(4, bp + p * NR, NR * 4);
    _tile_loadd(5, bp + p * NR + 16, NR * 4);
    _tile_loadd(6, bp + p * NR + 32, NR * 4);
    _tile_dpbf16ps(0, 3, 4);
    _tile_dpbf16ps(1, 3, 5);
    _tile_dpbf16ps(2, 3, 6);
  }
  alignas(64) float c[MR_AMX][NR];
  _tile_stored(0, c[0], NR * 4);
  _tile_stored(1, c[0] + 16, NR * 4);
  _tile_stored(2, c[0] + 32, NR * 4);
  for (int i = 0; i < rows; i++) {
    const __m512 a = _mm512_set1_ps(sa[i * sa_stride]);
    float* yi = y + i * ldy;
    for (int j = 0; j < NV; j++) {
      const int left = nvalid - 16 * j;
      if (left <= 0) break;
      const __mmask16 m = mask16(left);
      const __m512 prev = accumulate ? _mm512_maskz_loadu_ps(m, yi + 16 * j) : _mm512_setzero_ps();
      const __m512 sc = _mm512_mul_ps(a, _mm512_loadu_ps(sb + 16 * j));
      _mm512_mask_storeu_ps(yi + 16 * j, m, _mm512_fmadd_ps(sc, _mm512_load_ps(c[i] + 16 * j), prev));
    }
  }
}
#endif

// Calls K<mr>::run for a runtime mr in 1..R.
template <template <int> class K, int R = MR, class... A>
void by_mr(int mr, A&&... a) {
  if constexpr (R > 1)
    if (mr < R) return by_mr<K, R - 1>(mr, a...);
  K<R>::run(a...);
}
template <int MR_>
struct UkrF32 {
  template <class... A>
  static void run(A... a) {
    ukr_f32<MR_>(a...);
  }
};
#if defined(__AVX512BF16__)
template <int MR_>
struct UkrBf16 {
  template <class... A>
  static void run(A... a) {
    ukr_bf16<MR_>(a...);
  }
};
#endif

// ---- drivers ----
//
// x is prepared once per call, shared by the threads: copied (F32 mode) or rounded to bf16 pairs (BF16 mode) into
// rows whose stride is padded off a power of two (K = 2048 f32 rows 8 KiB apart would put a 256-row block's lines
// into a few L2 sets).

// pack(n0, k0, kc, bp): a panel as pack_f32 writes it.
template <class Pack>
void gemm_f32_with(float* y, const float* x, int64_t M, const WeightRef& w, const Pack& pack) {
  const int64_t N = w.rows, K = w.cols, P = (N + NR - 1) / NR;
  const int64_t ldx = (K + 15) / 16 * 16 + 16;
  Scratch xs(1, size_t(M * ldx) * sizeof(float));
  float* xp = xs.as<float>();  // [M, ldx]
  parallel_ranges(M, [&](int64_t lo, int64_t hi, int) {
    for (int64_t m = lo; m < hi; m++) std::copy(x + m * K, x + (m + 1) * K, xp + m * ldx);
  });
  const int64_t kcpad = (std::min(KC_F32, K) + 15) / 16 * 16;
  parallel_ranges(P, [&](int64_t p_lo, int64_t p_hi, int) {
    Scratch bs(0, size_t(NCP * kcpad * NR) * sizeof(float));
    float* bp = bs.as<float>();  // [NCP][kcpad][48]
    for (int64_t pj = p_lo; pj < p_hi; pj += NCP) {
      const int64_t np = std::min(NCP, p_hi - pj);
      for (int64_t k0 = 0; k0 < K; k0 += KC_F32) {
        const int64_t kc = std::min(KC_F32, K - k0);
        for (int64_t j = 0; j < np; j++) pack((pj + j) * NR, k0, kc, bp + j * kcpad * NR);
        for (int64_t m0 = 0; m0 < M; m0 += MC) {
          const int64_t mc = std::min(MC, M - m0);
          for (int64_t j = 0; j < np; j++) {
            const int64_t n0 = (pj + j) * NR;
            const int nvalid = int(std::min<int64_t>(NR, N - n0));
            for (int64_t i = 0; i < mc; i += MR)
              by_mr<UkrF32>(int(std::min<int64_t>(MR, mc - i)), kc, xp + (m0 + i) * ldx + k0, ldx, bp + j * kcpad * NR,
                            y + (m0 + i) * N + n0, N, nvalid, k0 > 0);
          }
        }
      }
    }
  });
}

template <DType DT, bool Round>
void gemm_f32(float* y, const float* x, int64_t M, const WeightRef& w) {
  gemm_f32_with(y, x, M, w, [&](int64_t n0, int64_t k0, int64_t kc, float* bp) { pack_f32<DT, Round>(w, n0, k0, kc, bp); });
}

// GGUF block types: each row's slice [k0, k0 + kc) decoded (kc <= KC_F32, multiples of 32), then transposed.
void pack_blocks(const WeightRef& w, int64_t n0, int64_t k0, int64_t kc, float* bp) {
  alignas(64) float rows[NR][KC_F32];
  const size_t stride = w.row_stride();
  for (int i = 0; i < NR; i++) {
    if (n0 + i < w.rows)
      decode_range(w.dtype, static_cast<const uint8_t*>(w.data) + size_t(n0 + i) * stride, k0, kc, rows[i]);
    else
      std::fill(rows[i], rows[i] + kc, 0.0f);
  }
  for (int64_t kk = 0; kk < kc; kk += 16)
    for (int g = 0; g < NR / 16; g++) {
      __m512i r[16];
      for (int i = 0; i < 16; i++) r[i] = _mm512_castps_si512(_mm512_load_ps(rows[g * 16 + i] + kk));
      transpose16x16_epi32(r);
      for (int c = 0; c < 16; c++) _mm512_storeu_si512(bp + (kk + c) * NR + g * 16, r[c]);
    }
}

#if defined(__AVX512BF16__)
// Per-128-column scales of the block-scaled product: x row m's block kb at sa[m * kb_count + kb], weight row n's at
// sb[n * kb_count + kb].
struct KScales {
  const float* sa;
  const float* sb;
  int64_t kb_count;
};

template <bool FP8>
void gemm_bf16(float* y, const float* x, int64_t M, const WeightRef& w, bool amx, const KScales* ks = nullptr) {
  const int64_t N = w.rows, K = w.cols, P = (N + NR - 1) / NR;
  const int64_t KC = ks ? 128 : KC_BF16;  // the scaled product sums each 128 columns' products on their own
  const int64_t ldx = ((K + 1) / 2 + 15) / 16 * 16 + 16;  // in pairs
  const int64_t Mp = (M + 15) / 16 * 16;                  // AMX reads whole 16-row tiles of x
  Scratch xs(1, size_t(Mp * ldx) * sizeof(uint32_t));
  uint32_t* xp = xs.as<uint32_t>();  // [Mp, ldx] bf16 pairs, zero past K and past M
  std::fill(xp + M * ldx, xp + Mp * ldx, 0u);
  parallel_ranges(M, [&](int64_t lo, int64_t hi, int) {
    for (int64_t m = lo; m < hi; m++)
      for (int64_t k = 0; k < K; k += 32) {
        const __m512 a = _mm512_maskz_loadu_ps(mask16(K - k), x + m * K + k);
        const __m512 b =
            k + 16 < K ? _mm512_maskz_loadu_ps(mask16(K - k - 16), x + m * K + k + 16) : _mm512_setzero_ps();
        _mm512_storeu_si512(xp + m * ldx + k / 2, (__m512i)_mm512_cvtne2ps_pbh(b, a));
      }
  });
  const int64_t kppad = (std::min(KC, K) + 63) / 64 * 32;  // pairs per k block, rounded up to 32
  parallel_ranges(P, [&](int64_t p_lo, int64_t p_hi, int) {
    Scratch bs(0, size_t(NCP * kppad * NR) * sizeof(uint32_t));
    uint32_t* bp = bs.as<uint32_t>();  // [NCP][kppad][48] pairs
#if defined(SEEK_MATMUL_AMX)
    std::optional<AmxTiles> tiles;
    if (amx) tiles.emplace();
#else
    (void)amx;
#endif
    for (int64_t pj = p_lo; pj < p_hi; pj += NCP) {
      const int64_t np = std::min(NCP, p_hi - pj);
      for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = std::min(KC, K - k0), kp = (kc + 1) / 2;
        for (int64_t j = 0; j < np; j++) pack_bf16<FP8>(w, (pj + j) * NR, k0, kc, bp + j * kppad * NR);
        alignas(64) float sbp[NCP][NR] = {};  // the panels' weight-row scales of this k block
        if (ks)
          for (int64_t j = 0; j < np; j++)
            for (int64_t c = 0; c < NR && (pj + j) * NR + c < N; c++)
              sbp[j][c] = ks->sb[((pj + j) * NR + c) * ks->kb_count + k0 / 128];
        for (int64_t m0 = 0; m0 < M; m0 += MC) {
          const int64_t mc = std::min(MC, M - m0);
          for (int64_t j = 0; j < np; j++) {
            const int64_t n0 = (pj + j) * NR;
            const int nvalid = int(std::min<int64_t>(NR, N - n0));
#if defined(SEEK_MATMUL_AMX)
            if (amx && ks) {
              for (int64_t i = 0; i < mc; i += MR_AMX)
                ukr_amx_scaled(kp, xp + (m0 + i) * ldx + k0 / 2, ldx, bp + j * kppad * NR, y + (m0 + i) * N + n0,
                               N, int(std::min<int64_t>(MR_AMX, mc - i)), nvalid, k0 > 0,
                               ks->sa + (m0 + i) * ks->kb_count + k0 / 128, ks->kb_count, sbp[j]);
              continue;
            }
            if (amx) {
              for (int64_t i = 0; i < mc; i += MR_AMX)
                ukr_amx(kp, xp + (m0 + i) * ldx + k0 / 2, ldx, bp + j * kppad * NR, y + (m0 + i) * N + n0, N,
                        int(std::min<int64_t>(MR_AMX, mc - i)), nvalid, k0 > 0);
              continue;
            }
#endif
            for (int64_t i = 0; i < mc; i += MR)
              by_mr<UkrBf16>(int(std::min<int64_t>(MR, mc - i)), kp, xp + (m0 + i) * ldx + k0 / 2, ldx,
                             bp + j * kppad * NR, y + (m0 + i) * N + n0, N, nvalid, k0 > 0);
          }
        }
      }
    }
  });
}
#endif

}  // namespace

void gemm_blocks512(float* y, const float* x, int64_t M, const WeightRef& w) {
  gemm_f32_with(y, x, M, w, [&](int64_t n0, int64_t k0, int64_t kc, float* bp) { pack_blocks(w, n0, k0, kc, bp); });
}

bool gemm_block_scaled_amx(float* y, const float* x, const float* sa, int64_t M, const WeightRef& w, const float* sb) {
#if defined(SEEK_MATMUL_AMX)
  if (!amx_bf16_usable() || w.dtype != DType::BF16) return false;
  const KScales ks{sa, sb, (w.cols + 127) / 128};
  gemm_bf16<false>(y, x, M, w, true, &ks);
  return true;
#else
  (void)y, (void)x, (void)sa, (void)M, (void)w, (void)sb;
  return false;
#endif
}

void gemm(float* y, const float* x, int64_t M, const WeightRef& w, const Plan& plan) {
#if defined(__AVX512BF16__)
  if (plan.mode == Mode::BF16) {
    if (w.dtype == DType::E4M3)
      gemm_bf16<true>(y, x, M, w, plan.amx);
    else
      gemm_bf16<false>(y, x, M, w, plan.amx);
    return;
  }
#endif
  switch (w.dtype) {
    case DType::F32: return gemm_f32<DType::F32, false>(y, x, M, w);
    case DType::BF16: return gemm_f32<DType::BF16, false>(y, x, M, w);
    case DType::F16: return gemm_f32<DType::F16, false>(y, x, M, w);
    default:
      if (plan.round_fp8_to_bf16) return gemm_f32<DType::E4M3, true>(y, x, M, w);
      return gemm_f32<DType::E4M3, false>(y, x, M, w);
  }
}

}  // namespace seek::cpu::detail

#endif  // __AVX512F__
