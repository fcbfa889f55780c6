// The absorbed-MLA attention kernels of the fast form: the GEMM form for prompts (attention_latent_gemm) against
// the per-row one (attention_latent), and the per-row one against a float64 softmax written here from the
// definition: score(t, h, s) = (qlat . L[s] + qpe . PE[s]) * scale over keys s <= pos0 + t.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/attention.h"

using namespace seek;

namespace {

struct Case {
  int64_t n, pos0, H, r, dr;
};

std::vector<float> randn(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (float& x : v) x = d(g);
  return v;
}

}  // namespace

TEST(AttentionLatent, GemmFormEqualsRowFormAndDefinition) {
  for (const Case c : {Case{40, 0, 3, 32, 8}, Case{17, 9, 4, 64, 16}, Case{300, 5, 2, 16, 8}, Case{64, 0, 128, 8, 4}}) {
    const int64_t S = c.pos0 + c.n, qkd = 24 + c.dr;  // qpe sits at the end of a wider per-head row, as in q
    const auto qlat = randn(size_t(c.n * c.H * c.r), 1), q = randn(size_t(c.n * c.H * qkd), 2);
    const auto L = randn(size_t(S * c.r), 3), PE = randn(size_t(S * c.dr), 4);
    const float* qpe = q.data() + 24;
    const float scale = 0.3f;
    std::vector<float> rows(size_t(c.n * c.H * c.r)), gemm(rows.size());
    cpu::attention_latent(rows.data(), qlat.data(), qpe, qkd, L.data(), PE.data(), c.n, c.pos0, c.H, c.r, c.dr, scale,
                          cpu::AttnRounding::None);
    cpu::attention_latent_gemm(gemm.data(), qlat.data(), qpe, qkd, L.data(), PE.data(), c.n, c.pos0, c.H, c.r, c.dr,
                               scale);
    double worst = 0, worst_def = 0;
    for (int64_t t = 0; t < c.n; t++)
      for (int64_t h = 0; h < c.H; h++) {
        const int64_t row = t * c.H + h, keys = c.pos0 + t + 1;
        std::vector<double> p(static_cast<size_t>(keys));
        double mx = -1e300, z = 0;
        for (int64_t s = 0; s < keys; s++) {
          double v = 0;
          for (int64_t j = 0; j < c.r; j++) v += double(qlat[size_t(row * c.r + j)]) * L[size_t(s * c.r + j)];
          for (int64_t j = 0; j < c.dr; j++) v += double(qpe[row * qkd + j]) * PE[size_t(s * c.dr + j)];
          p[size_t(s)] = v * scale;
          mx = std::max(mx, p[size_t(s)]);
        }
        for (double& x : p) z += (x = std::exp(x - mx));
        for (int64_t j = 0; j < c.r; j++) {
          double o = 0;
          for (int64_t s = 0; s < keys; s++) o += p[size_t(s)] / z * L[size_t(s * c.r + j)];
          worst = std::max(worst, double(std::fabs(gemm[size_t(row * c.r + j)] - rows[size_t(row * c.r + j)])));
          worst_def = std::max(worst_def, std::fabs(double(rows[size_t(row * c.r + j)]) - o));
        }
      }
    EXPECT_LT(worst, 2e-5) << "n " << c.n << " H " << c.H;
    EXPECT_LT(worst_def, 2e-5) << "n " << c.n << " H " << c.H;
  }
}
