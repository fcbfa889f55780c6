// Matrix multiply against a stored weight: the one GEMM every Linear layer uses.
#pragma once
#include <cstdint>

#include "kernels/weight.h"

namespace seek::cpu {

// y[M, N] = x[M, K] · W[N, K]^T, accumulated in f32. x is f32 row-major (in BF16 precision its values are already
// bf16-representable). y is written, not accumulated into, and not rounded (the caller rounds when the reference
// keeps the result in bf16).
//
// Picks the kernel by M: a weight-streaming GEMV for small M (decode: memory-bound, reads each weight byte once),
// a packed, cache-blocked GEMM for larger M (prefill: compute-bound). Both split the N output rows over the threads.
// GGUF block-quantized weights (q8_0, q4_0, q4_1, q5_0, q5_1, q4_K, q5_K, q6_K) are dequantized as
// core/quant_blocks.h defines and multiplied in f32 whatever p says (there is no bf16 reference for them to match).
// Throws Error for another weight dtype, an e4m3 weight without scales, or block rows that are not whole blocks.
void matmul(float* y, const float* x, int64_t M, const WeightRef& w, Precision p);

// The block-scaled product of DeepSeek-V3's FP8 GEMMs ("promotion" every 128 elements of K): for each 128-column
// block kb of K, the block's products x[m, kb] . W[n, kb] are summed in f32 on their own, then added to the f32
// result scaled by sa[m, kb] * sb[n, kb]:
//   y[m, n] = sum_kb (sa[m * KB + kb] * sb[n * KB + kb]) * sum_{k in kb} x[m, k] W[n, k],   KB = ceil(K / 128),
// the kb terms added in increasing order. W is BF16 and x's values bf16-representable (e4m3 values are), so each
// product is exact. AMX tiles where the CPU has them, else f32 arithmetic per block. y is written.
void matmul_block_scaled(float* y, const float* x, const float* sa, int64_t M, const WeightRef& w, const float* sb);
// Its portable path (what a CPU without AMX tiles runs), for tests.
void matmul_block_scaled_no_amx(float* y, const float* x, const float* sa, int64_t M, const WeightRef& w,
                                const float* sb);

// matmul uses the GEMV kernel for M <= this, the GEMM kernel above it.
int64_t matmul_gemv_max_m();

// The two kernels behind matmul, for tests and benchmarks; each is correct for every M (same contract as matmul).
void matmul_gemv(float* y, const float* x, int64_t M, const WeightRef& w, Precision p);
void matmul_gemm(float* y, const float* x, int64_t M, const WeightRef& w, Precision p);
// The GEMM kernel without AMX tiles (the vdpbf16ps micro-kernel in BF16 mode): the same as matmul_gemm on a CPU
// without them (kernels/cpu/amx.h).
void matmul_gemm_no_amx(float* y, const float* x, int64_t M, const WeightRef& w, Precision p);

}  // namespace seek::cpu
