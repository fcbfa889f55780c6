#include "core/uninit_vector.h"
#include "kernels/cpu/train_gemm.h"

#include <cstring>
#include <vector>

#include "core/dtype.h"
#include "core/parallel.h"
#include "kernels/cpu/matmul.h"
#include "kernels/weight.h"

namespace seek::cpu {

namespace {

// out[cols, rows] = in[rows, cols]^T, in blocks so both sides stay in cache.
template <class T>
void transpose(T* out, const T* in, int64_t rows, int64_t cols) {
  constexpr int64_t B = 32;
  parallel_ranges(
      (cols + B - 1) / B,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t cb = lo; cb < hi; cb++)
          for (int64_t r0 = 0; r0 < rows; r0 += B)
            for (int64_t c = cb * B; c < std::min(cols, cb * B + B); c++)
              for (int64_t r = r0; r < std::min(rows, r0 + B); r++) out[c * rows + r] = in[r * cols + c];
      },
      4);
}

// C[M, N] (+)= A[M, K] · W[N, K]^T through seek's matmul (W f32, or converted to bf16 for BF16).
void matmul_f32(float* C, const float* A, const float* W, int64_t M, int64_t N, int64_t K, bool accumulate,
                GemmPrecision p) {
  if (M == 0 || N == 0) return;
  WeightRef w;
  w.rows = N;
  w.cols = K;
  uninit_vector<uint16_t> wb;
  if (p == GemmPrecision::BF16) {
    wb.resize(size_t(N * K));
    parallel_ranges(N, [&](int64_t lo, int64_t hi, int) {
      from_f32(DType::BF16, W + lo * K, wb.data() + lo * K, size_t((hi - lo) * K));
    }, 16);
    w.dtype = DType::BF16;
    w.data = wb.data();
  } else {
    w.dtype = DType::F32;
    w.data = W;
  }
  const Precision prec = p == GemmPrecision::BF16 ? Precision::BF16 : Precision::F32;
  if (!accumulate) {
    matmul(C, A, M, w, prec);
    return;
  }
  uninit_vector<float> tmp(static_cast<size_t>(M * N));
  matmul(tmp.data(), A, M, w, prec);
  parallel_ranges(M * N, [&](int64_t lo, int64_t hi, int) {
    for (int64_t i = lo; i < hi; i++) C[i] += tmp[size_t(i)];
  }, 4096);
}

}  // namespace

template <>
void gemm_nt<float>(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                    GemmPrecision p) {
  matmul_f32(C, A, B, M, N, K, accumulate, p);
}

template <>
void gemm_nn<float>(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                    GemmPrecision p) {
  uninit_vector<float> bt(static_cast<size_t>(N * K));  // [N, K]
  transpose(bt.data(), B, K, N);
  matmul_f32(C, A, bt.data(), M, N, K, accumulate, p);
}

template <>
void gemm_tn<float>(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                    GemmPrecision p) {
  uninit_vector<float> at(static_cast<size_t>(M * K)), bt(static_cast<size_t>(N * K));  // [M, K], [N, K]
  transpose(at.data(), A, K, M);
  transpose(bt.data(), B, K, N);
  matmul_f32(C, at.data(), bt.data(), M, N, K, accumulate, p);
}

// double: the definition, as loops (tests only; sizes are tiny).
template <>
void gemm_nt<double>(double* C, const double* A, const double* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                     GemmPrecision) {
  for (int64_t m = 0; m < M; m++)
    for (int64_t n = 0; n < N; n++) {
      double s = 0;
      for (int64_t k = 0; k < K; k++) s += A[m * K + k] * B[n * K + k];
      C[m * N + n] = (accumulate ? C[m * N + n] : 0.0) + s;
    }
}

template <>
void gemm_nn<double>(double* C, const double* A, const double* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                     GemmPrecision) {
  for (int64_t m = 0; m < M; m++)
    for (int64_t n = 0; n < N; n++) {
      double s = 0;
      for (int64_t k = 0; k < K; k++) s += A[m * K + k] * B[k * N + n];
      C[m * N + n] = (accumulate ? C[m * N + n] : 0.0) + s;
    }
}

template <>
void gemm_tn<double>(double* C, const double* A, const double* B, int64_t M, int64_t N, int64_t K, bool accumulate,
                     GemmPrecision) {
  for (int64_t m = 0; m < M; m++)
    for (int64_t n = 0; n < N; n++) {
      double s = 0;
      for (int64_t k = 0; k < K; k++) s += A[k * M + m] * B[k * N + n];
      C[m * N + n] = (accumulate ? C[m * N + n] : 0.0) + s;
    }
}

}  // namespace seek::cpu
