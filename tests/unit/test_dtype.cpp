// dtype conversions against values computed by hand from the IEEE/OCP bit layouts (not by our own code).
#include <gtest/gtest.h>

#include <cmath>

#include "core/dtype.h"

using namespace seek;

TEST(DType, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 is exactly halfway between bf16 1.0 (0x3f80) and 1+2^-7 (0x3f81): ties go to even (0x3f80).
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  // 1 + 3*2^-8 is halfway between 0x3f81 and 0x3f82: ties to even -> 0x3f82.
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_EQ(bf16_to_f32(0xc040), -3.0f);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));
}

TEST(DType, F16KnownValues) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);                   // overflow -> inf
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  for (int h = 0; h < 0x7c00; h++) EXPECT_EQ(f32_to_f16(f16_to_f32(uint16_t(h))), h) << h;
}

TEST(DType, E4M3KnownValues) {
  // OCP FP8 spec: e4m3fn max normal 448 (0x7e), min normal 2^-6 (0x08), min subnormal 2^-9 (0x01), NaN 0x7f.
  EXPECT_EQ(e4m3_to_f32(0x7e), 448.0f);
  EXPECT_EQ(e4m3_to_f32(0x08), std::ldexp(1.0f, -6));
  EXPECT_EQ(e4m3_to_f32(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(e4m3_to_f32(0x38), 1.0f);
  EXPECT_EQ(e4m3_to_f32(0xb8), -1.0f);
  EXPECT_TRUE(std::isnan(e4m3_to_f32(0x7f)));
  EXPECT_EQ(f32_to_e4m3(1000.0f), 0x7e);  // saturates
  EXPECT_EQ(f32_to_e4m3(1.0625f), 0x38);  // halfway 1 and 1.125 -> even (1.0)
  EXPECT_EQ(f32_to_e4m3(1.1875f), 0x3a);  // halfway 1.125 and 1.25 -> even (1.25, mantissa 2)
  for (int v = 0; v < 256; v++) {
    if ((v & 0x7f) == 0x7f) continue;
    float f = e4m3_to_f32(uint8_t(v));
    uint8_t back = f32_to_e4m3(f);
    if (v == 0x80)
      EXPECT_EQ(back, 0x80);  // -0 keeps its sign
    else
      EXPECT_EQ(back, v) << v;
  }
}
