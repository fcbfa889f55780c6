// Matrix multiply against a stored weight: the one GEMM every Linear layer uses.
#pragma once
#include <cstdint>

#include "kernels/weight.h"

namespace seek::cpu {

// y[M, N] = x[M, K] · W[N, K]^T, accumulated in f32. x is f32 row-major (in BF16 precision its values are already
// bf16-representable). y is written, not accumulated into, and not rounded (the caller rounds when the reference
// keeps the result in bf16).
void matmul(float* y, const float* x, int64_t M, const WeightRef& w, Precision p);

}  // namespace seek::cpu
