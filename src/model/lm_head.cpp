#include "model/lm_head.h"

#include <algorithm>

#include "core/uninit_vector.h"
#include "kernels/cpu/cross_entropy.h"

namespace seek {

void embedding_fwd(const Linear& emb, const int32_t* ids, int64_t N, float* out) {
  const int64_t D = emb.in();
  for (int64_t i = 0; i < N; i++) {
    if (emb.master)
      std::copy_n(emb.master + int64_t(ids[i]) * D, D, out + i * D);
    else
      emb.w.row_f32(ids[i], out + i * D, false);
  }
}

void embedding_bwd(const Linear& emb, const int32_t* ids, int64_t N, const float* d) {
  if (!emb.grad) return;
  const int64_t D = emb.in();
  for (int64_t i = 0; i < N; i++) {
    float* g = emb.grad + int64_t(ids[i]) * D;
    for (int64_t j = 0; j < D; j++) g[j] += d[i * D + j];
  }
}

double head_loss(const Linear& head, const float* hn, const int32_t* targets, int64_t N, double scale, float* dhn,
                 Precision p) {
  const int64_t V = head.out(), D = head.in(), chunk = 256;
  uninit_vector<float> logits(size_t(std::min(N, chunk) * V));
  double total = 0;
  for (int64_t r0 = 0; r0 < N; r0 += chunk) {
    const int64_t n = std::min(chunk, N - r0);
    linear_fwd(head, hn + r0 * D, n, logits.data(), p);  // [n, V]
    total += cpu::cross_entropy_train(logits.data(), logits.data(), targets + r0, n, V, scale);
    if (dhn) linear_bwd(head, hn + r0 * D, logits.data(), n, dhn + r0 * D, false, p);
  }
  return total;
}

}  // namespace seek
