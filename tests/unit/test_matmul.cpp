// seek::cpu::matmul (and its GEMV and GEMM kernels called directly) against a double-precision reference computed
// here from weights dequantized with the scalar conversions of core/dtype.h (tested on their own in
// test_dtype.cpp): every weight dtype x precision, M across the GEMV/GEMM switch and the micro-tile sizes, N and K
// off the vector, panel and 128-block multiples (ragged fp8 scale blocks), and every e4m3/f16/bf16 code decoded
// exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/train_gemm.h"
#include "kernels/weight.h"

using namespace seek;

namespace {

using MatmulFn = void (*)(float*, const float*, int64_t, const WeightRef&, Precision);

struct Kernel {
  const char* name;
  MatmulFn fn;
};
const Kernel kKernels[] = {{"matmul", cpu::matmul},
                           {"gemv", cpu::matmul_gemv},
                           {"gemm", cpu::matmul_gemm},
                           {"gemm_no_amx", cpu::matmul_gemm_no_amx}};

// A weight [N, K] stored in dtype dt, with its own storage (and 128x128 block scales for e4m3).
struct TestWeight {
  std::vector<uint8_t> bytes;
  std::vector<float> scales;
  WeightRef ref;

  TestWeight(DType dt, int64_t N, int64_t K, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(size_t(N * K));
    for (auto& e : v) e = u(rng);
    ref.dtype = dt;
    ref.rows = N;
    ref.cols = K;
    if (dt == DType::E4M3) {
      // values spread over the e4m3 range (incl. subnormals), scales different for every block
      for (auto& e : v) e = e * std::ldexp(1.0f, int(rng() % 12) - 3);
      scales.resize(size_t(((N + 127) / 128) * ref.scale_cols()));
      for (auto& s : scales) s = std::ldexp(0.5f + 0.5f * std::fabs(u(rng)), -int(rng() % 8));
      ref.scale_inv = scales.data();
    }
    bytes.resize(v.size() * dtype_size(dt) + 64);  // +64: reading past the end would not fault, but we never do
    from_f32(dt, v.data(), bytes.data(), v.size());
    ref.data = bytes.data();
  }

  // W[n][k] as the precision defines it, computed with the scalar conversions.
  float dequant(int64_t n, int64_t k, Precision p) const {
    const int64_t i = n * ref.cols + k;
    switch (ref.dtype) {
      case DType::F32: return reinterpret_cast<const float*>(bytes.data())[i];
      case DType::BF16: return bf16_to_f32(reinterpret_cast<const uint16_t*>(bytes.data())[i]);
      case DType::F16: return f16_to_f32(reinterpret_cast<const uint16_t*>(bytes.data())[i]);
      default: {
        float s = scales[size_t((n / 128) * ref.scale_cols() + k / 128)];
        float v = e4m3_to_f32(bytes[size_t(i)]) * s;  // f32 multiply, as the reference dequantizes
        return p == Precision::BF16 ? round_bf16(v) : v;
      }
    }
  }
};

std::vector<float> random_x(int64_t M, int64_t K, Precision p, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> x(size_t(M * K));
  for (auto& e : x) e = p == Precision::BF16 ? round_bf16(u(rng)) : u(rng);
  return x;
}

// Compares fn's y with the double reference. Tolerance: 1e-5 of sum_k |x w| (f32 accumulation in another order).
void check_against_reference(const Kernel& kern, const TestWeight& w, const std::vector<float>& x, int64_t M,
                             Precision p, const std::string& what) {
  const int64_t N = w.ref.rows, K = w.ref.cols;
  std::vector<float> y(size_t(M * N), std::nanf(""));
  kern.fn(y.data(), x.data(), M, w.ref, p);
  std::vector<float> wd(size_t(N * K));
  for (int64_t n = 0; n < N; n++)
    for (int64_t k = 0; k < K; k++) wd[size_t(n * K + k)] = w.dequant(n, k, p);
  int bad = 0;
  for (int64_t m = 0; m < M; m++)
    for (int64_t n = 0; n < N; n++) {
      double ref = 0, mag = 0;
      for (int64_t k = 0; k < K; k++) {
        double t = double(x[size_t(m * K + k)]) * double(wd[size_t(n * K + k)]);
        ref += t;
        mag += std::fabs(t);
      }
      double got = y[size_t(m * N + n)];
      if (!(std::fabs(got - ref) <= 1e-5 * mag + 1e-30) && bad++ < 5)
        ADD_FAILURE() << what << " " << kern.name << ": y[" << m << "][" << n << "] = " << got << ", expected " << ref
                      << " (sum |x w| = " << mag << ")";
    }
  EXPECT_EQ(bad, 0) << what << " " << kern.name << ": " << bad << " wrong outputs";
}

struct Case {
  int64_t M, N, K;
};

const char* prec_name(Precision p) { return p == Precision::BF16 ? "bf16" : "f32"; }

void run_cases(DType dt, const std::vector<Case>& cases) {
  uint32_t seed = 1;
  for (Precision p : {Precision::F32, Precision::BF16})
    for (const Case& c : cases) {
      TestWeight w(dt, c.N, c.K, seed++);
      std::vector<float> x = random_x(c.M, c.K, p, seed++);
      std::string what = std::string("W=") + dtype_name(dt) + " prec=" + prec_name(p) + " M=" + std::to_string(c.M) +
                         " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K);
      for (const Kernel& k : kKernels) check_against_reference(k, w, x, c.M, p, what);
    }
}

// M over 1..8 (each GEMV tile height), 64 and 130 (full and partial 8-row GEMM tiles); N and K off every multiple
// that matters: 16/32 lanes, 48-row panels, 128 fp8 blocks and the GEMM's k blocks (128 f32, 256 bf16).
std::vector<Case> standard_cases() {
  std::vector<Case> cs;
  for (int64_t M : {1, 2, 3, 7, 64, 130})
    for (Case nk : {Case{0, 1, 1}, Case{0, 17, 33}, Case{0, 200, 300}, Case{0, 49, 129}, Case{0, 96, 256}})
      cs.push_back({M, nk.N, nk.K});
  for (int64_t M : {4, 5, 6, 8}) cs.push_back({M, 131, 95});
  return cs;
}

}  // namespace

TEST(Matmul, F32Weights) { run_cases(DType::F32, standard_cases()); }
TEST(Matmul, Bf16Weights) { run_cases(DType::BF16, standard_cases()); }
TEST(Matmul, F16Weights) { run_cases(DType::F16, standard_cases()); }
TEST(Matmul, E4m3Weights) { run_cases(DType::E4M3, standard_cases()); }

// Enough rows and columns for several packed blocks per thread, several k blocks and x row blocks in the GEMM.
TEST(Matmul, LargerBlocks) {
  for (DType dt : {DType::BF16, DType::E4M3, DType::F32})
    run_cases(dt, {{20, 1000, 520}, {300, 50, 40}, {9, 800, 1030}});
}

// The edges of the AVX2 kernels' tiles and blocks: M = 9 (first GEMM size) and around the 6-row micro-tile and the
// 120-row x block; N around the 16-row panel and the 128-row packed block; K around the 8-lane step, the 64-byte
// prefetch line, the 256-column k block and the 128-column fp8 scale block.
TEST(Matmul, Avx2TileEdges) {
  std::vector<Case> cs;
  for (int64_t M : {9, 11, 12, 13, 121})
    for (Case nk : {Case{0, 15, 7}, Case{0, 16, 8}, Case{0, 33, 257}, Case{0, 129, 9}}) cs.push_back({M, nk.N, nk.K});
  for (int64_t M : {1, 2, 4, 5, 6, 8})
    for (Case nk : {Case{0, 9, 255}, Case{0, 23, 513}}) cs.push_back({M, nk.N, nk.K});
  cs.push_back({241, 150, 300});
  for (DType dt : {DType::F32, DType::BF16, DType::F16, DType::E4M3}) run_cases(dt, cs);
}

// Every stored code decodes exactly: x = identity picks out single weights, so y[m][n] == W[n][m] with no rounding.
TEST(Matmul, DecodesEveryCode) {
  for (DType dt : {DType::E4M3, DType::F16, DType::BF16})
    for (Precision p : {Precision::F32, Precision::BF16}) {
      const int64_t N = 3, K = dt == DType::E4M3 ? 256 : 1024;
      TestWeight w(dt, N, K, 7);
      // row 0: codes 0..K-1 in order (e4m3: all 256 minus the two NaNs, which become 0; f16/bf16: the low codes,
      // subnormals included, for f16; bf16 gets a spread of normal values); rows 1, 2: random
      for (int64_t k = 0; k < K; k++) {
        if (dt == DType::E4M3) {
          uint8_t c = uint8_t(k);
          w.bytes[size_t(k)] = (c & 0x7f) == 0x7f ? 0 : c;
        } else {
          uint16_t c = dt == DType::F16 ? uint16_t(k * 61 % 0x7c00) : uint16_t(0x0080 + k * 61 % 0x7e00);
          if (k % 2) c |= 0x8000;
          reinterpret_cast<uint16_t*>(w.bytes.data())[k] = c;
        }
      }
      for (int64_t M : {int64_t(8), K}) {  // GEMV and GEMM
        std::vector<float> x(size_t(M * K), 0.0f);
        for (int64_t m = 0; m < M; m++) x[size_t(m * K + m)] = 1.0f;
        for (const Kernel& kern : kKernels) {
          std::vector<float> y(size_t(M * N));
          kern.fn(y.data(), x.data(), M, w.ref, p);
          for (int64_t m = 0; m < M; m++)
            for (int64_t n = 0; n < N; n++)
              ASSERT_EQ(y[size_t(m * N + n)], w.dequant(n, m, p))
                  << dtype_name(dt) << " prec=" << prec_name(p) << " " << kern.name << " M=" << M << " code at k=" << m
                  << " row " << n;
        }
      }
    }
}

TEST(Matmul, EmptyAndBadArguments) {
  TestWeight w(DType::BF16, 5, 0, 3);  // K = 0: y is all zeros
  std::vector<float> y(10, 1.0f), x(1, 0.0f);
  cpu::matmul(y.data(), x.data(), 2, w.ref, Precision::F32);
  for (float v : y) EXPECT_EQ(v, 0.0f);
  cpu::matmul(nullptr, nullptr, 0, w.ref, Precision::F32);  // M = 0: nothing touched

  TestWeight q(DType::E4M3, 4, 4, 3);
  q.ref.scale_inv = nullptr;
  std::vector<float> x4(4, 1.0f), y4(4);
  EXPECT_THROW(cpu::matmul(y4.data(), x4.data(), 1, q.ref, Precision::F32), Error);
  WeightRef bad = q.ref;
  bad.dtype = DType::I32;
  EXPECT_THROW(cpu::matmul(y4.data(), x4.data(), 1, bad, Precision::F32), Error);
}

// Training GEMMs in Precision::BF16 round both operands to bf16 and accumulate in f32: against a double
// reference of the rounded operands. A's values are not bf16-representable, so a path that left A unrounded (or
// rounded W only) is off by ~2^-9 relative, far outside the tolerance.
TEST(Matmul, TrainGemmBf16RoundsBothOperands) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (Case c : {Case{1, 37, 70}, Case{5, 40, 33}, Case{64, 50, 300}}) {
    const int64_t M = c.M, N = c.N, K = c.K;
    std::vector<float> a(size_t(M * K)), b(size_t(N * K)), cinit(size_t(M * N));
    for (auto& v : a) v = u(rng);
    for (auto& v : b) v = u(rng);
    for (auto& v : cinit) v = u(rng);
    // the three shapes over the same logical product C = A · B^T: A(m, k), B(n, k) at the given strides
    auto reference = [&](int64_t m, int64_t n, double& mag) {
      double s = 0;
      mag = 0;
      for (int64_t k = 0; k < K; k++) {
        double t = double(round_bf16(a[size_t(m * K + k)])) * double(round_bf16(b[size_t(n * K + k)]));
        s += t;
        mag += std::fabs(t);
      }
      return s;
    };
    std::vector<float> at(size_t(K * M)), bt(size_t(K * N));  // A^T [K, M], B^T [K, N]
    for (int64_t m = 0; m < M; m++)
      for (int64_t k = 0; k < K; k++) at[size_t(k * M + m)] = a[size_t(m * K + k)];
    for (int64_t n = 0; n < N; n++)
      for (int64_t k = 0; k < K; k++) bt[size_t(k * N + n)] = b[size_t(n * K + k)];
    for (int shape = 0; shape < 3; shape++)
      for (bool acc : {false, true}) {
        std::vector<float> out = cinit;
        if (shape == 0) cpu::gemm_nt(out.data(), a.data(), b.data(), M, N, K, acc, Precision::BF16);
        if (shape == 1) cpu::gemm_nn(out.data(), a.data(), bt.data(), M, N, K, acc, Precision::BF16);
        if (shape == 2) cpu::gemm_tn(out.data(), at.data(), bt.data(), M, N, K, acc, Precision::BF16);
        int bad = 0;
        for (int64_t m = 0; m < M; m++)
          for (int64_t n = 0; n < N; n++) {
            double mag;
            const double ref = reference(m, n, mag) + (acc ? double(cinit[size_t(m * N + n)]) : 0.0);
            const double got = out[size_t(m * N + n)];
            if (!(std::fabs(got - ref) <= 1e-5 * (mag + 1.0)) && bad++ < 3)
              ADD_FAILURE() << "shape " << shape << " acc " << acc << " M=" << M << " N=" << N << " K=" << K << ": C["
                            << m << "][" << n << "] = " << got << ", expected " << ref;
          }
        EXPECT_EQ(bad, 0);
      }
  }
}
