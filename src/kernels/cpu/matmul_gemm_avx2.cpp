// AVX2 GEMM kernel for larger M (prefill): y[M, N] = x[M, K] · W[N, K]^T, compute-bound, for machines without
// AVX-512 (the structure of matmul_gemm.cpp on 8-lane vectors), and the f32 driver the quantized-weight GEMMs reuse.
//
//   for each block of NCP panels of NR = 16 weight rows (a thread's share of N, contiguous):
//     for each k block of KC:
//       pack W[panels, k block] -> Bp[kk][16] f32, decoded once per panel and k block                      (L2)
//       for each block of MC x rows (x copied once per call into rows padded off a power-of-two stride)   (L2)
//         for each panel: for each 6 rows: micro-kernel, 6 x 16 outputs in 12 registers, the panel in L1
// The micro-kernel loads the panel's 2 vectors per k, broadcasts one x value per row and does 12 FMAs. y is written
// by the first k block and accumulated into by the later ones. Threads split the N panels, so each thread decodes
// only its own weights.
#include "kernels/cpu/matmul_avx2.h"  // first: see the note on immintrin.h in matmul_kernels.h

#include <algorithm>

#include "core/parallel.h"

#if defined(SEEK_MATMUL_AVX2)

namespace seek::cpu::detail {
namespace {

constexpr int MR = 6;        // x rows per micro-kernel call; 6 x 2 = 12 accumulators
constexpr int64_t NCP = 8;   // panels per packed block (128 weight rows, 8 x 16 KiB)
constexpr int64_t MC = 120;  // x rows per block (a multiple of MR): 120 x 256 x 4 B = 120 KiB
constexpr int64_t KC = 256;  // k block: a panel is 16 x 256 x 4 B = 16 KiB (half of L1); a multiple of every
                             // quantized block length, so block decoders start on a block
static_assert(KC % 256 == 0 && MC % MR == 0);

// y[i][0..nvalid) (+)= sum_k x[i][k] * bp[k][0..16) for i < MR_. xp: [MR_, ldx] f32, bp: [kc][16].
template <int MR_>
void ukr(int64_t kc, const float* xp, int64_t ldx, const float* bp, float* y, int64_t ldy, int nvalid,
         bool accumulate) {
  __m256 c[MR_][2];
  for (int i = 0; i < MR_; i++) c[i][0] = c[i][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(bp + k * kGemmNR), b1 = _mm256_loadu_ps(bp + k * kGemmNR + 8);
    for (int i = 0; i < MR_; i++) {
      const __m256 a = _mm256_broadcast_ss(xp + i * ldx + k);
      c[i][0] = _mm256_fmadd_ps(a, b0, c[i][0]);
      c[i][1] = _mm256_fmadd_ps(a, b1, c[i][1]);
    }
  }
  for (int i = 0; i < MR_; i++) {
    float* yr = y + i * ldy;
    for (int j = 0; j < 2; j++) {
      const int left = nvalid - 8 * j;
      if (left <= 0) break;
      __m256 v = c[i][j];
      if (left >= 8) {
        if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(yr + 8 * j));
        _mm256_storeu_ps(yr + 8 * j, v);
      } else {
        const __m256i m = mask8_epi32(left);
        if (accumulate) v = _mm256_add_ps(v, _mm256_maskload_ps(yr + 8 * j, m));
        _mm256_maskstore_ps(yr + 8 * j, m, v);
      }
    }
  }
}

void ukr_any(int mr, int64_t kc, const float* xp, int64_t ldx, const float* bp, float* y, int64_t ldy, int nvalid,
             bool accumulate) {
  switch (mr) {
    case 1: return ukr<1>(kc, xp, ldx, bp, y, ldy, nvalid, accumulate);
    case 2: return ukr<2>(kc, xp, ldx, bp, y, ldy, nvalid, accumulate);
    case 3: return ukr<3>(kc, xp, ldx, bp, y, ldy, nvalid, accumulate);
    case 4: return ukr<4>(kc, xp, ldx, bp, y, ldy, nvalid, accumulate);
    case 5: return ukr<5>(kc, xp, ldx, bp, y, ldy, nvalid, accumulate);
    default: return ukr<6>(kc, xp, ldx, bp, y, ldy, nvalid, accumulate);
  }
}

// ---- packing the stored dtypes: 8 rows x 8 columns decoded, transposed into the panel ----

struct StoredPack {
  const WeightRef* w;
};

// 8 weights of row n from column k (n valid columns, <= 8) as f32, scaled (and rounded) for e4m3; 0 past N.
template <DType DT, bool Round>
__m256 load_row8(const WeightRef& w, int64_t n, int64_t k, int nv) {
  using D = Dec8<DT>;
  if (n >= w.rows) return _mm256_setzero_ps();
  const auto* p = static_cast<const typename D::T*>(w.data) + n * w.cols + k;
  __m256 v = nv == 8 ? D::full(p) : D::part(p, nv);
  if constexpr (DT == DType::E4M3) {
    v = _mm256_mul_ps(v, _mm256_set1_ps(256.0f * fp8_scale(w, n, k)));
    if constexpr (Round) v = round_bf16_ps256(v);
  }
  return v;
}

template <DType DT, bool Round>
void pack_stored(const void* ctx, int64_t n0, int64_t k0, int64_t kc, float* bp) {
  const WeightRef& w = *static_cast<const StoredPack*>(ctx)->w;
  for (int64_t kk = 0; kk < kc; kk += 8) {
    const int nv = int(std::min<int64_t>(8, kc - kk));
    for (int g = 0; g < kGemmNR / 8; g++) {
      __m256 r[8];
      for (int i = 0; i < 8; i++) r[i] = load_row8<DT, Round>(w, n0 + g * 8 + i, k0 + kk, nv);
      transpose8x8_ps(r);
      for (int c = 0; c < nv; c++) _mm256_storeu_ps(bp + (kk + c) * kGemmNR + g * 8, r[c]);
    }
  }
}

}  // namespace

void gemm_f32_packed(float* y, const float* x, int64_t M, int64_t N, int64_t K, PackPanel pack, const void* ctx) {
  const int64_t P = (N + kGemmNR - 1) / kGemmNR;
  const int64_t ldx = (K + 7) / 8 * 8 + 16;  // off a power of two: see the file comment
  Scratch xs(1, size_t(M * ldx) * sizeof(float));
  float* xp = xs.as<float>();  // [M, ldx]
  parallel_ranges(M, [&](int64_t lo, int64_t hi, int) {
    for (int64_t m = lo; m < hi; m++) std::copy(x + m * K, x + (m + 1) * K, xp + m * ldx);
  });
  const int64_t kcpad = (std::min(KC, K) + 7) / 8 * 8;
  parallel_ranges(P, [&](int64_t p_lo, int64_t p_hi, int) {
    Scratch bs(0, size_t(NCP * kcpad * kGemmNR) * sizeof(float));
    float* bp = bs.as<float>();  // [NCP][kcpad][16]
    for (int64_t pj = p_lo; pj < p_hi; pj += NCP) {
      const int64_t np = std::min(NCP, p_hi - pj);
      for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = std::min(KC, K - k0);
        for (int64_t j = 0; j < np; j++) pack(ctx, (pj + j) * kGemmNR, k0, kc, bp + j * kcpad * kGemmNR);
        for (int64_t m0 = 0; m0 < M; m0 += MC) {
          const int64_t mc = std::min(MC, M - m0);
          for (int64_t j = 0; j < np; j++) {
            const int64_t n0 = (pj + j) * kGemmNR;
            const int nvalid = int(std::min<int64_t>(kGemmNR, N - n0));
            for (int64_t i = 0; i < mc; i += MR)
              ukr_any(int(std::min<int64_t>(MR, mc - i)), kc, xp + (m0 + i) * ldx + k0, ldx, bp + j * kcpad * kGemmNR,
                      y + (m0 + i) * N + n0, N, nvalid, k0 > 0);
          }
        }
      }
    }
  });
}

void gemm_avx2(float* y, const float* x, int64_t M, const WeightRef& w, const Plan& plan) {
  const bool round = plan.round_fp8_to_bf16 || plan.mode == Mode::BF16;  // as matmul_scalar rounds
  const StoredPack ctx{&w};
  PackPanel pack = nullptr;
  switch (w.dtype) {
    case DType::F32: pack = pack_stored<DType::F32, false>; break;
    case DType::BF16: pack = pack_stored<DType::BF16, false>; break;
    case DType::F16: pack = pack_stored<DType::F16, false>; break;
    default: pack = round ? pack_stored<DType::E4M3, true> : pack_stored<DType::E4M3, false>;
  }
  gemm_f32_packed(y, x, M, w.rows, w.cols, pack, &ctx);
}

}  // namespace seek::cpu::detail

#endif  // SEEK_MATMUL_AVX2
