#include "kernels/cpu/train_gemm.h"

#include "kernels/cpu/matmul_avx2.h"  // first after the own header: see the note on immintrin.h there

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/dtype.h"
#include "core/uninit_vector.h"
#include "core/parallel.h"
#include "kernels/cpu/fp8_quant.h"
#include "kernels/cpu/matmul.h"
#include "kernels/weight.h"

namespace seek::cpu {

namespace {

#if defined(SEEK_MATMUL_AVX2)
// out (8 rows at stride ldo) = in (8 rows of 8 at stride ldi)^T.
inline void transpose8x8(float* out, int64_t ldo, const float* in, int64_t ldi) {
  __m256 r[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(in + i * ldi);
  detail::transpose8x8_ps(r);
  for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + i * ldo, r[i]);
}
#endif

// out[cols, rows] = in[rows, cols]^T, in 32 x 32 blocks so both sides stay in cache (8 x 8 vector tiles inside).
template <class T>
void transpose(T* out, const T* in, int64_t rows, int64_t cols) {
  constexpr int64_t B = 32;
  parallel_ranges((rows + B - 1) / B,
                  [&](int64_t lo, int64_t hi, int) {
                    for (int64_t rb = lo; rb < hi; rb++) {
                      const int64_t r0 = rb * B, r1 = std::min(rows, r0 + B);
                      for (int64_t c0 = 0; c0 < cols; c0 += B) {
                        const int64_t c1 = std::min(cols, c0 + B);
                        int64_t r = r0;
#if defined(SEEK_MATMUL_AVX2)
                        if constexpr (std::is_same_v<T, float>) {
                          for (; r + 8 <= r1; r += 8) {
                            int64_t c = c0;
                            for (; c + 8 <= c1; c += 8) transpose8x8(out + c * rows + r, rows, in + r * cols + c, cols);
                            for (; c < c1; c++)
                              for (int64_t i = 0; i < 8; i++) out[c * rows + r + i] = in[(r + i) * cols + c];
                          }
                        }
#endif
                        for (; r < r1; r++)
                          for (int64_t c = c0; c < c1; c++) out[c * rows + r] = in[r * cols + c];
                      }
                    }
                  },
                  2);
}

// C[M, N] (+)= A[M, K] · W[N, K]^T through seek's matmul (W f32, or converted to bf16 for BF16, with A rounded to
// bf16: matmul's Precision::BF16 expects bf16-representable x; only the AVX512-BF16 kernels round x themselves).
void matmul_f32(float* C, const float* A, const float* W, int64_t M, int64_t N, int64_t K, bool accumulate,
                Precision p) {
  if (M == 0 || N == 0) return;
  WeightRef w;
  w.rows = N;
  w.cols = K;
  uninit_vector<uint16_t> wb;
#if !defined(__AVX512BF16__)
  uninit_vector<float> ab;
  if (p == Precision::BF16) {
    ab.resize(size_t(M * K));
    parallel_ranges(
        M * K,
        [&](int64_t lo, int64_t hi, int) {
          for (int64_t i = lo; i < hi; i++) ab[size_t(i)] = round_bf16(A[i]);
        },
        4096);
    A = ab.data();
  }
#endif
  if (p == Precision::BF16) {
    wb.resize(size_t(N * K));
    parallel_ranges(
        N,
        [&](int64_t lo, int64_t hi, int) {
          from_f32(DType::BF16, W + lo * K, wb.data() + lo * K, size_t((hi - lo) * K));
        },
        16);
    w.dtype = DType::BF16;
    w.data = wb.data();
  } else {
    w.dtype = DType::F32;
    w.data = W;
  }
  const Precision prec = p;
  if (!accumulate) {
    matmul(C, A, M, w, prec);
    return;
  }
  uninit_vector<float> tmp(static_cast<size_t>(M * N));
  matmul(tmp.data(), A, M, w, prec);
  parallel_ranges(
      M * N,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t i = lo; i < hi; i++) C[i] += tmp[size_t(i)];
      },
      4096);
}

}  // namespace

template <>
void gemm_nt<float>(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                    Precision p) {
  matmul_f32(C, A, B, M, N, K, accumulate, p);
}

template <>
void gemm_nn<float>(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                    Precision p) {
  uninit_vector<float> bt(static_cast<size_t>(N * K));  // [N, K]
  transpose(bt.data(), B, K, N);
  matmul_f32(C, A, bt.data(), M, N, K, accumulate, p);
}

template <>
void gemm_tn<float>(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                    Precision p) {
  uninit_vector<float> at(static_cast<size_t>(M * K)), bt(static_cast<size_t>(N * K));  // [M, K], [N, K]
  transpose(at.data(), A, K, M);
  transpose(bt.data(), B, K, N);
  matmul_f32(C, at.data(), bt.data(), M, N, K, accumulate, p);
}

// ---- FP8 ----
namespace {
// C[M, N] (+)= the block-scaled product of a (tiles of its rows, [M, K]) and b ([N, K]): b quantized per 128 x 128
// block when it is a weight, per 1 x 128 tile of its rows when it is an activation.
void fp8_product(float* C, const float* a, const float* b, bool b_is_weight, int64_t M, int64_t N, int64_t K,
                 bool accumulate) {
  if (M == 0 || N == 0) return;
  const int64_t KB = (K + 127) / 128;
  uninit_vector<float> qa(static_cast<size_t>(M * K)), sa(static_cast<size_t>(M * KB)), sb(static_cast<size_t>(N * KB));
  uninit_vector<uint16_t> qb(static_cast<size_t>(N * K));
  fp8_quantize_tiles(a, M, K, qa.data(), sa.data());
  if (b_is_weight) {
    fp8_quantize_blocks(b, N, K, qb.data(), sb.data());
  } else {
    uninit_vector<float> qf(static_cast<size_t>(N * K));
    fp8_quantize_tiles(b, N, K, qf.data(), sb.data());
    from_f32(DType::BF16, qf.data(), qb.data(), qf.size());  // exact: e4m3 values
  }
  const WeightRef w{DType::BF16, qb.data(), N, K};
  if (!accumulate) return matmul_block_scaled(C, qa.data(), sa.data(), M, w, sb.data());
  uninit_vector<float> tmp(static_cast<size_t>(M * N));
  matmul_block_scaled(tmp.data(), qa.data(), sa.data(), M, w, sb.data());
  parallel_ranges(
      M * N,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t i = lo; i < hi; i++) C[i] += tmp[size_t(i)];
      },
      4096);
}
}  // namespace

void gemm_nt_fp8(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate) {
  fp8_product(C, A, B, true, M, N, K, accumulate);  // y = x W^T: W[N, K] as stored
}

void gemm_nn_fp8(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate) {
  uninit_vector<float> bt(static_cast<size_t>(N * K));  // W^T [N, K]: its 128 x 128 blocks are W's, transposed
  transpose(bt.data(), B, K, N);
  fp8_product(C, A, bt.data(), true, M, N, K, accumulate);
}

void gemm_tn_fp8(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate) {
  uninit_vector<float> at(static_cast<size_t>(M * K)), bt(static_cast<size_t>(N * K));  // dy^T [M, K], x^T [N, K]
  transpose(at.data(), A, K, M);
  transpose(bt.data(), B, K, N);
  fp8_product(C, at.data(), bt.data(), false, M, N, K, accumulate);
}

// double: the definition, as loops (tests only; sizes are tiny). A(m, k) = A[m * am + k * ak], B(k, n) likewise.
namespace {
void gemm_reference(double* C, const double* A, int64_t am, int64_t ak, const double* B, int64_t bk, int64_t bn,
                    int64_t M, int64_t N, int64_t K, bool accumulate) {
  for (int64_t m = 0; m < M; m++)
    for (int64_t n = 0; n < N; n++) {
      double s = 0;
      for (int64_t k = 0; k < K; k++) s += A[m * am + k * ak] * B[k * bk + n * bn];
      C[m * N + n] = (accumulate ? C[m * N + n] : 0.0) + s;
    }
}
}  // namespace

template <>
void gemm_nt<double>(double* C, const double* A, const double* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                     Precision) {
  gemm_reference(C, A, K, 1, B, 1, K, M, N, K, accumulate);  // B[N, K]
}

template <>
void gemm_nn<double>(double* C, const double* A, const double* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                     Precision) {
  gemm_reference(C, A, K, 1, B, N, 1, M, N, K, accumulate);  // B[K, N]
}

template <>
void gemm_tn<double>(double* C, const double* A, const double* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                     Precision) {
  gemm_reference(C, A, 1, M, B, N, 1, M, N, K, accumulate);  // A[K, M], B[K, N]
}

}  // namespace seek::cpu
