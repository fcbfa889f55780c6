// The K-quant and min/scale (q4_1, q5_1) quantizers against bounds from the data alone: quantize -> dequantize must
// stay within what the code range allows (bit-exactness against llama.cpp is tests/oracle/ggml_oracle.cpp's job).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/quant_blocks.h"

using namespace seek;

namespace {

struct KCase {
  DType type;
  int group;    // elements per sub-block
  int levels;   // codes per sub-block - 1
  double rmse;  // bound on the relative RMS error for gaussian data
};
const KCase kCases[] = {{DType::Q4_K, 32, 15, 0.09}, {DType::Q5_K, 32, 31, 0.045}, {DType::Q6_K, 16, 63, 0.022}};

// q4_1/q5_1: one f16 scale and one f16 min per 32-element block, codes 0..levels over the block's min..max.
struct MinCase {
  DType type;
  int levels;
  double rmse;
};
const MinCase kMinCases[] = {{DType::Q4_1, 15, 0.04}, {DType::Q5_1, 31, 0.02}};

std::vector<float> round_trip(DType t, const std::vector<float>& x) {
  const int64_t n = int64_t(x.size());
  std::vector<uint8_t> q(row_bytes(t, n));
  quantize_row(t, x.data(), q.data(), n);
  std::vector<float> y(x.size());
  dequantize_row(t, q.data(), y.data(), n);
  return y;
}

}  // namespace

// Gaussian rows (8 super-blocks, 32-element groups of magnitude 1 or 2, some with an offset): the RMS error stays
// near the uniform-rounding error of the code range, and no element is off by more than 1.5 steps of its own
// group's range (the affine types span min(0, min)..max, q6_K -amax..amax). Groups much smaller than the largest of
// their super-block can be off by more: their scale has only a few of the 6 (8) bits.
TEST(KQuant, RoundTripErrorIsBoundedByTheCodeStep) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> x(256 * 8);
  for (size_t j0 = 0; j0 < x.size(); j0 += 32) {
    const float scale = std::ldexp(1.f, int(j0 / 32 % 2)), offset = j0 % 96 == 0 ? 2 * scale : 0.f;
    for (size_t j = j0; j < j0 + 32; j++) x[j] = offset + scale * normal(rng);
  }
  for (const KCase& c : kCases) {
    const std::vector<float> y = round_trip(c.type, x);
    double se = 0, sx = 0;
    for (size_t j0 = 0; j0 < x.size(); j0 += size_t(c.group)) {
      const auto [lo, hi] = std::minmax_element(x.begin() + long(j0), x.begin() + long(j0) + c.group);
      const double amax = std::max(std::fabs(*lo), std::fabs(*hi));
      const double step = c.type == DType::Q6_K ? 2 * amax / c.levels : (*hi - std::min(0.f, *lo)) / c.levels;
      for (size_t j = j0; j < j0 + size_t(c.group); j++) {
        const double e = double(y[j]) - x[j];
        se += e * e, sx += double(x[j]) * x[j];
        ASSERT_LE(std::fabs(e), 1.5 * step) << dtype_name(c.type) << " element " << j;
      }
    }
    EXPECT_LT(std::sqrt(se / sx), c.rmse) << dtype_name(c.type);
  }
}

TEST(KQuant, ZerosAndConstantsRoundTrip) {
  for (const KCase& c : kCases) {
    const std::vector<float> zeros(512, 0.f), y0 = round_trip(c.type, zeros);
    EXPECT_EQ(y0, zeros) << dtype_name(c.type);
    const std::vector<float> y1 = round_trip(c.type, std::vector<float>(256, -0.75f));
    for (float v : y1) ASSERT_NEAR(v, -0.75f, 0.75 / 256) << dtype_name(c.type);  // f16 and 6/8-bit scale rounding
  }
}

TEST(KQuant, RowsMustBeWholeSuperBlocks) {
  std::vector<float> x(288, 1.f);  // whole 32-element blocks, not whole 256-element super-blocks
  std::vector<uint8_t> q(1024);
  for (const KCase& c : kCases) {
    try {
      quantize_row(c.type, x.data(), q.data(), 288);
      ADD_FAILURE() << dtype_name(c.type) << " accepted 288 elements";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(dtype_name(c.type)), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(quantize_row(DType::F32, x.data(), q.data(), 256), Error);
}

// Blocks of 32 with magnitudes 0.5..2 and offsets (some far from zero, all one sign): each element is within half a
// code step of its block's min..max range, plus the f16 rounding of d (times the code) and of m; the RMS error stays
// near the uniform-rounding error. Unlike q4_0/q5_0 or the K types' min <= 0, the block's own min is the zero code,
// so an offset block loses no codes to the offset.
TEST(MinQuant, RoundTripErrorIsBoundedByTheCodeStep) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> x(32 * 24);
  for (size_t j0 = 0; j0 < x.size(); j0 += 32) {
    const size_t b = j0 / 32;
    const float scale = std::ldexp(1.f, int(b % 3) - 1), offset = b % 4 == 0 ? 5 * scale : b % 4 == 1 ? -3 * scale : 0;
    for (size_t j = j0; j < j0 + 32; j++) x[j] = offset + scale * normal(rng);
  }
  for (const MinCase& c : kMinCases) {
    const std::vector<float> y = round_trip(c.type, x);
    double se = 0, sx = 0;
    for (size_t j0 = 0; j0 < x.size(); j0 += 32) {
      const auto [lo, hi] = std::minmax_element(x.begin() + long(j0), x.begin() + long(j0) + 32);
      const double range = double(*hi) - *lo, f16 = std::ldexp(1.0, -11);
      const double bound = 0.5 * range / c.levels + (range + std::fabs(*lo)) * f16 + 1e-6;
      for (size_t j = j0; j < j0 + 32; j++) {
        const double e = double(y[j]) - x[j];
        const double d = double(x[j]) - *lo;
        se += e * e, sx += d * d;
        ASSERT_LE(std::fabs(e), bound) << dtype_name(c.type) << " element " << j;
      }
    }
    EXPECT_LT(std::sqrt(se / sx), c.rmse) << dtype_name(c.type);  // relative to the spread above each block's min
  }
}

TEST(MinQuant, ZerosAndConstantsRoundTrip) {
  for (const MinCase& c : kMinCases) {
    const std::vector<float> zeros(64, 0.f);
    EXPECT_EQ(round_trip(c.type, zeros), zeros) << dtype_name(c.type);
    const std::vector<float> k(64, -0.75f);  // d = 0: every element is the f16 min, exact here
    EXPECT_EQ(round_trip(c.type, k), k) << dtype_name(c.type);
    std::vector<float> ramp(32);  // codes 0..levels exactly: min + code * d with d, min exact in f16
    for (int j = 0; j < 32; j++) ramp[size_t(j)] = 1.f + 0.25f * float(j % (c.levels + 1));
    EXPECT_EQ(round_trip(c.type, ramp), ramp) << dtype_name(c.type);
  }
}

TEST(MinQuant, RowsMustBeWholeBlocks) {
  std::vector<float> x(40, 1.f);
  std::vector<uint8_t> q(64);
  for (const MinCase& c : kMinCases) {
    try {
      quantize_row(c.type, x.data(), q.data(), 40);
      ADD_FAILURE() << dtype_name(c.type) << " accepted 40 elements";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(dtype_name(c.type)), std::string::npos) << e.what();
    }
    EXPECT_EQ(row_bytes(c.type, 64), c.type == DType::Q4_1 ? 40u : 48u);
  }
}
