// FP8 training GEMMs (kernels/cpu/fp8_quant.h, train_gemm.h *_fp8, matmul.h matmul_block_scaled) against DeepSeek-V3's
// recipe written in PyTorch from the report (tools/reference/make_fp8_gemm_fixture.py: e4m3 rounding from the
// format's definition, 1 x 128 activation tiles, 128 x 128 weight blocks, promotion every 128 elements, float64
// sums), and the e4m3 rounding against the scalar codec of core/dtype.h on every code and every midpoint.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "formats/safetensors.h"
#include "kernels/cpu/fp8_quant.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/train_gemm.h"

using namespace seek;

namespace {

const std::filesystem::path kFixture = std::filesystem::path(SEEK_SOURCE_DIR) / "tests/fixtures/fp8-gemm";

std::vector<float> values(const SafetensorsFile& st, const std::string& name) {
  const Tensor t = st.tensor(name);
  return std::vector<float>(t.f32(), t.f32() + t.numel());
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float e : v) m = std::max(m, double(std::fabs(e)));
  return m;
}

// max |got - want| over max |want|
double rel_error(const std::vector<float>& got, const std::vector<float>& want) {
  double w = 0;
  for (size_t i = 0; i < want.size(); i++) w = std::max(w, double(std::fabs(got[i] - want[i])));
  return w / max_abs(want);
}

TEST(Fp8, RoundE4m3MatchesTheCodecOnEveryCodeAndMidpoint) {
  int checked = 0;
  std::vector<float> row;  // every value below, each tile of 128 led by 448 so that its scale is exactly 1
  auto add = [&](float v) {
    if (row.size() % 128 == 0) row.push_back(448.0f);
    row.push_back(v);
  };

  for (int c = 0; c < 256; c++) {
    if ((c & 0x7f) == 0x7f) continue;  // NaN codes
    const float v = e4m3_to_f32(uint8_t(c));
    EXPECT_EQ(cpu::round_e4m3(v), v) << "code " << c;
    add(v);
    // between this code and the next larger magnitude: the midpoint (a tie) and points either side of it
    if ((c & 0x7f) == 0x7e) continue;
    const float next = e4m3_to_f32(uint8_t(c + 1));
    for (float t : {0.5f, 0.25f, 0.75f, 0.4999f, 0.5001f}) {
      const float x = v + (next - v) * t;
      EXPECT_EQ(cpu::round_e4m3(x), e4m3_to_f32(f32_to_e4m3(x))) << "between codes " << c << " and " << c + 1;
      add(x);
      checked++;
    }
  }
  EXPECT_GT(checked, 1200);
  // the quantizers' vector loops round the same way
  const int64_t n = int64_t(row.size()), KB = (n + 127) / 128;
  std::vector<float> q(row.size()), s(static_cast<size_t>(KB));
  cpu::fp8_quantize_tiles(row.data(), 1, n, q.data(), s.data());
  for (float e : s) ASSERT_EQ(e, 1.0f);
  for (int64_t i = 0; i < n; i++) ASSERT_EQ(q[size_t(i)], cpu::round_e4m3(row[size_t(i)])) << "element " << i;
}

// Vanishing groups (a gradient tile of subnormal values) get a normal scale and finite codes, and the product is
// finite: a zero or subnormal scale would give x / 0 (the NaN a training run hit at step 158).
TEST(Fp8, TinyGroupsStayFinite) {
  const int64_t M = 3, N = 2, K = 256;
  std::vector<float> a(size_t(M * K)), b(size_t(N * K));
  for (int64_t i = 0; i < M * K; i++) a[size_t(i)] = (i % 7 - 3) * 1e-41f;  // subnormal
  for (int64_t i = 0; i < N * K; i++) b[size_t(i)] = (i % 5 - 2) * 0.25f;
  a[5] = 1e-38f;  // one normal but tiny value: amax / 448 underflows
  std::vector<float> q(a.size()), s(size_t(M * 2));
  cpu::fp8_quantize_tiles(a.data(), M, K, q.data(), s.data());
  for (float e : s) EXPECT_GE(e, std::numeric_limits<float>::min());
  for (float e : q) EXPECT_TRUE(std::isfinite(e) && std::fabs(e) <= cpu::kE4m3Max);
  std::vector<float> y(size_t(M * N)), g(size_t(K * K));
  cpu::gemm_nt_fp8(y.data(), a.data(), b.data(), M, N, K, false);  // x W^T
  cpu::gemm_tn_fp8(g.data(), a.data(), a.data(), K, K, M, false);  // a^T a: tiles of 3 tiny rows along K = M
  for (float e : y) EXPECT_TRUE(std::isfinite(e));
  for (float e : g) ASSERT_TRUE(std::isfinite(e));
}

class Fp8Gemm : public ::testing::Test {
 protected:
  SafetensorsFile st = SafetensorsFile::open((kFixture / "fp8_gemm.safetensors").string());
  std::vector<float> x = values(st, "x"), w = values(st, "w"), dy = values(st, "dy");
  int64_t M = st.tensor("x").dim(0), IN = st.tensor("x").dim(1), OUT = st.tensor("w").dim(0);
};

TEST_F(Fp8Gemm, QuantizationIsTheReferences) {
  const int64_t KB = (IN + 127) / 128;
  std::vector<float> q(x.size()), s(size_t(M * KB));
  cpu::fp8_quantize_tiles(x.data(), M, IN, q.data(), s.data());
  EXPECT_EQ(q, values(st, "x_q"));
  EXPECT_EQ(s, values(st, "x_scale"));
  std::vector<uint16_t> wq(w.size());
  std::vector<float> ws(size_t(OUT * KB));
  cpu::fp8_quantize_blocks(w.data(), OUT, IN, wq.data(), ws.data());
  const std::vector<float> want_q = values(st, "w_q"), want_s = values(st, "w_scale");
  for (size_t i = 0; i < wq.size(); i++) ASSERT_EQ(bf16_to_f32(wq[i]), want_q[i]) << "w_q element " << i;
  for (int64_t r = 0; r < OUT; r++)
    for (int64_t kb = 0; kb < KB; kb++) ASSERT_EQ(ws[size_t(r * KB + kb)], want_s[size_t(r / 128 * KB + kb)]);
}

TEST_F(Fp8Gemm, FpropDgradWgradAreTheReferences) {
  std::vector<float> y(size_t(M * OUT)), dx(size_t(M * IN)), dw(size_t(OUT * IN), 0.5f);
  cpu::gemm_nt_fp8(y.data(), x.data(), w.data(), M, OUT, IN, false);  // y = x W^T
  cpu::gemm_nn_fp8(dx.data(), dy.data(), w.data(), M, IN, OUT, false);  // dx = dy W
  cpu::gemm_tn_fp8(dw.data(), dy.data(), x.data(), OUT, IN, M, true);  // dW += dy^T x
  for (float& e : dw) e -= 0.5f;
  // f32 sums against float64 ones: rounding only
  EXPECT_LT(rel_error(y, values(st, "y")), 2e-6);
  EXPECT_LT(rel_error(dx, values(st, "dx")), 2e-6);
  EXPECT_LT(rel_error(dw, values(st, "dw")), 2e-5);  // accumulated onto 0.5, whose ulp is larger than dW's
  // and FP8 is not the exact product, but close to it
  const double ey = rel_error(y, values(st, "y_exact")), edx = rel_error(dx, values(st, "dx_exact")),
               edw = rel_error(dw, values(st, "dw_exact"));
  for (double e : {ey, edx, edw}) {
    EXPECT_GT(e, 1e-4);
    EXPECT_LT(e, 0.05);
  }
}

// The block-scaled product's portable path (CPUs without AMX tiles) on the fixture's Fprop operands.
TEST_F(Fp8Gemm, PortablePathIsTheReference) {
  const int64_t KB = (IN + 127) / 128;
  std::vector<float> q(x.size()), sa(size_t(M * KB)), sb(size_t(OUT * KB)), y(size_t(M * OUT));
  std::vector<uint16_t> wq(w.size());
  cpu::fp8_quantize_tiles(x.data(), M, IN, q.data(), sa.data());
  cpu::fp8_quantize_blocks(w.data(), OUT, IN, wq.data(), sb.data());
  cpu::matmul_block_scaled_no_amx(y.data(), q.data(), sa.data(), M, WeightRef{DType::BF16, wq.data(), OUT, IN},
                                  sb.data());
  EXPECT_LT(rel_error(y, values(st, "y")), 2e-6);
}

}  // namespace
