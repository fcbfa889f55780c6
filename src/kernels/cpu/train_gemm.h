// The three GEMM shapes a Linear layer's forward and backward need, on activations and f32 master weights held in
// memory (training). Templated on the scalar: float runs seek's matmul kernels (optionally with bf16 operands);
// double runs a plain triple loop, so the training code can be checked against finite differences in double.
#pragma once
#include <cstdint>

#include "kernels/weight.h"

namespace seek::cpu {

// Operand precision (Precision, kernels/weight.h) of float GEMMs: F32, or BF16 (both operands rounded to bf16,
// products accumulated in f32).

// C[M, N] (+)= A[M, K] · B[N, K]^T      (Linear forward: y = x · W^T)
template <class T>
void gemm_nt(T* C, const T* A, const T* B, int64_t M, int64_t N, int64_t K, bool accumulate, Precision p);
// C[M, N] (+)= A[M, K] · B[K, N]        (Linear backward, input: dx = dy · W)
template <class T>
void gemm_nn(T* C, const T* A, const T* B, int64_t M, int64_t N, int64_t K, bool accumulate, Precision p);
// C[M, N] (+)= A[K, M]^T · B[K, N]      (Linear backward, weight: dW = dy^T · x)
template <class T>
void gemm_tn(T* C, const T* A, const T* B, int64_t M, int64_t N, int64_t K, bool accumulate, Precision p);

// The same three GEMMs in FP8, as DeepSeek-V3 trains a Linear layer: both operands quantized to e4m3
// (kernels/cpu/fp8_quant.h), activations and gradients per 1 x 128 tile along the product's K, the weight per
// 128 x 128 block, and multiplied by the block-scaled product (kernels/cpu/matmul.h: each 128 elements' products
// summed in f32, then scaled into the f32 result). The operands' shapes and roles are those of gemm_nt / gemm_nn /
// gemm_tn above: nt's B and nn's B are the weight (blocks); tn's operands are both activations (tiles along M's
// tokens, the K of dW = dy^T x).
void gemm_nt_fp8(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate);
void gemm_nn_fp8(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate);
void gemm_tn_fp8(float* C, const float* A, const float* B, int64_t M, int64_t N, int64_t K, bool accumulate);

}  // namespace seek::cpu
