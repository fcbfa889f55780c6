#include "kernels/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/dtype.h"
#include "core/parallel.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/rowops.h"
#include "kernels/cpu/vec.h"

// expf has vector versions in glibc's libmvec; declaring them lets the compiler vectorize the exp loops below
// (it needs -fno-math-errno, set for this file in CMakeLists.txt: we never read errno).
extern "C" __attribute__((simd("notinbranch"))) float expf(float) noexcept;

namespace seek::cpu {

namespace {
inline float exp_of(float x) { return expf(x); }
inline double exp_of(double x) { return std::exp(x); }

// Scores of one query row -> probabilities, with the reference's bf16 roundings. sc[0..n) hold raw dot products.
void scores_to_probs(float* sc, int64_t n, float scale, AttnRounding rnd) {
  switch (rnd) {
    case AttnRounding::None:
      for (int64_t s = 0; s < n; s++) sc[s] *= scale;
      break;
    case AttnRounding::MlaBf16:
      for (int64_t s = 0; s < n; s++) sc[s] = round_bf16(sc[s] * scale);
      break;
    case AttnRounding::DenseBf16:
      for (int64_t s = 0; s < n; s++) sc[s] = round_bf16(round_bf16(sc[s]) * scale);
      break;
  }
  softmax_rows(sc, 1, n, n);
  if (rnd != AttnRounding::None) round_bf16_inplace(sc, n);
}

constexpr int64_t kKeyBlock = 64;  // keys per block: a block of latents (64 x 512 f32 = 128 KB) stays in L2
constexpr int64_t kRowGroup = 16;  // query rows sharing one pass over a key block

}  // namespace

void attention_heads(float* o, const float* q, const float* K, const float* V, int64_t n, int64_t pos0, int64_t H,
                     int64_t Hk, int64_t dk, int64_t dv, float scale, AttnRounding rnd) {
  const int64_t g = H / Hk;  // query heads per K/V head
  parallel_ranges(n * H, [&](int64_t lo, int64_t hi, int) {
    std::vector<float> sc(static_cast<size_t>(pos0 + n));
    for (int64_t row = lo; row < hi; row++) {
      const int64_t t = row / H, kvh = (row % H) / g, keys = pos0 + t + 1;
      const float* qr = q + row * dk;
      for (int64_t s = 0; s < keys; s++) sc[size_t(s)] = dot(qr, K + (s * Hk + kvh) * dk, dk);
      scores_to_probs(sc.data(), keys, scale, rnd);
      float* orow = o + row * dv;
      std::fill(orow, orow + dv, 0.0f);
      for (int64_t s = 0; s < keys; s++) axpy(orow, sc[size_t(s)], V + (s * Hk + kvh) * dv, dv);
    }
  });
}

void attention_latent(float* olat, const float* qlat, const float* qpe, int64_t qpe_stride, const float* L,
                      const float* PE, int64_t n, int64_t pos0, int64_t H, int64_t r, int64_t dr, float scale,
                      AttnRounding rnd) {
  const int64_t S = pos0 + n;
  // Rows (t, h) in groups; each group walks the keys block by block, so a block of latents read from memory
  // serves every row of the group (all heads of a token share the same keys).
  parallel_ranges(
      n * H,
      [&](int64_t lo, int64_t hi, int) {
        std::vector<float> sc(static_cast<size_t>(kRowGroup * S));  // [rows of the group, S]
        for (int64_t g0 = lo; g0 < hi; g0 += kRowGroup) {
          const int64_t g1 = std::min(hi, g0 + kRowGroup);
          const int64_t last_keys = pos0 + (g1 - 1) / H + 1;  // the group's longest row
          for (int64_t s0 = 0; s0 < last_keys; s0 += kKeyBlock) {
            const int64_t s1 = std::min(last_keys, s0 + kKeyBlock);
            for (int64_t row = g0; row < g1; row++) {
              const int64_t keys = std::min(s1, pos0 + row / H + 1);
              const float* qr = qlat + row * r;
              const float* qp = qpe + row * qpe_stride;
              float* sr = &sc[size_t((row - g0) * S)];
              for (int64_t s = s0; s < keys; s++) sr[s] = dot(qr, L + s * r, r) + dot(qp, PE + s * dr, dr);
            }
          }
          for (int64_t row = g0; row < g1; row++)
            scores_to_probs(&sc[size_t((row - g0) * S)], pos0 + row / H + 1, scale, rnd);
          for (int64_t row = g0; row < g1; row++) std::fill(olat + row * r, olat + (row + 1) * r, 0.0f);
          for (int64_t s0 = 0; s0 < last_keys; s0 += kKeyBlock) {
            const int64_t s1 = std::min(last_keys, s0 + kKeyBlock);
            for (int64_t row = g0; row < g1; row++) {
              const int64_t keys = std::min(s1, pos0 + row / H + 1);
              const float* pr = &sc[size_t((row - g0) * S)];
              float* orow = olat + row * r;
              for (int64_t s = s0; s < keys; s++) axpy(orow, pr[s], L + s * r, r);
            }
          }
        }
      },
      kRowGroup);
}

void attention_latent_gemm(float* olat, const float* qlat, const float* qpe, int64_t qpe_stride, const float* L,
                           const float* PE, int64_t n, int64_t pos0, int64_t H, int64_t r, int64_t dr, float scale) {
  const int64_t chunk = std::max<int64_t>(1, 512 / H);  // query positions per chunk: ~512 stacked rows
  std::vector<float> sc, pe_sc, qp, lt;
  for (int64_t t0 = 0; t0 < n; t0 += chunk) {
    const int64_t t1 = std::min(n, t0 + chunk), rows = (t1 - t0) * H, S = pos0 + t1;  // keys the chunk can see
    sc.resize(size_t(rows * S)), pe_sc.resize(size_t(rows * S)), qp.resize(size_t(rows * dr));
    for (int64_t i = 0; i < rows; i++) std::copy_n(qpe + (t0 * H + i) * qpe_stride, dr, &qp[size_t(i * dr)]);
    matmul(sc.data(), qlat + t0 * H * r, rows, WeightRef{DType::F32, L, S, r}, Precision::F32);
    matmul(pe_sc.data(), qp.data(), rows, WeightRef{DType::F32, PE, S, dr}, Precision::F32);
    parallel_for(0, rows, [&](int64_t i) {
      float* row = &sc[size_t(i * S)];
      const int64_t keys = pos0 + t0 + i / H + 1;
      for (int64_t s = 0; s < keys; s++) row[s] += pe_sc[size_t(i * S + s)];
      scores_to_probs(row, keys, scale, AttnRounding::None);
      std::fill(row + keys, row + S, 0.0f);  // the causal mask: keys after the row's position weigh nothing
    });
    lt.resize(size_t(r * S));  // L^T [r, S]: the weighted sum P [rows, S] . L = P . (L^T)^T
    for (int64_t s = 0; s < S; s++)
      for (int64_t j = 0; j < r; j++) lt[size_t(j * S + s)] = L[s * r + j];
    matmul(olat + t0 * H * r, sc.data(), rows, WeightRef{DType::F32, lt.data(), r, S}, Precision::F32);
  }
}

}  // namespace seek::cpu
