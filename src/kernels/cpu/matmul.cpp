#include "kernels/cpu/matmul.h"

#include <vector>

#include "core/parallel.h"

namespace seek::cpu {

// Reference-quality implementation: each thread dequantizes one weight row at a time and dots it with every x row.
// Weight bytes are read once per call, which is what matters for decode (M = 1); prefill is compute-bound and wants
// a blocked kernel.
void matmul(float* y, const float* x, int64_t M, const WeightRef& w, Precision p) {
  const int64_t N = w.rows, K = w.cols;
  parallel_ranges(N, [&](int64_t lo, int64_t hi, int) {
    std::vector<float> row(static_cast<size_t>(K));
    for (int64_t n = lo; n < hi; n++) {
      w.row_f32(n, row.data(), p == Precision::BF16);
      for (int64_t m = 0; m < M; m++) {
        const float* xm = x + m * K;
        float acc = 0;
        for (int64_t k = 0; k < K; k++) acc += xm[k] * row[k];
        y[m * N + n] = acc;
      }
    }
  });
}

}  // namespace seek::cpu
