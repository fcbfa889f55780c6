// "The machine's measured peak": the rate seek's own matmul reaches on a large compute-bound shape on the current
// thread pool. Training utilization (MFU) on a CPU is reported against it, so 100% means "as fast as our best
// GEMM", not a datasheet number this machine has never reached.
#pragma once

#include "kernels/weight.h"

namespace seek {

// FLOP/s of cpu::matmul for x[512, 2048] . W[2048, 2048]^T (bf16 weights for Precision::BF16, f32 for F32),
// best of the repetitions that fit in about 0.3 s after one warm-up. Measured once per process for each
// (precision, thread count) and cached; thread-safe.
double measured_matmul_peak_flops(Precision p);

}  // namespace seek
