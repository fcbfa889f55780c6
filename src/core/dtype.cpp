#include "core/dtype.h"

#include <cmath>

#include "core/error.h"

namespace seek {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::BF16: return 2;
    case DType::F16: return 2;
    case DType::E4M3: return 1;
    case DType::I32: return 4;
    case DType::I64: return 8;
    case DType::U8: return 1;
    case DType::I8: return 1;
    default: throw Error(std::string(dtype_name(t)) + " is stored in blocks, not elements: it has no element size");
  }
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::BF16: return "bf16";
    case DType::F16: return "f16";
    case DType::E4M3: return "e4m3";
    case DType::I32: return "i32";
    case DType::I64: return "i64";
    case DType::U8: return "u8";
    case DType::I8: return "i8";
    case DType::Q4_0: return "q4_0";
    case DType::Q4_1: return "q4_1";
    case DType::Q5_0: return "q5_0";
    case DType::Q5_1: return "q5_1";
    case DType::Q8_0: return "q8_0";
    case DType::Q4_K: return "q4_K";
    case DType::Q5_K: return "q5_K";
    case DType::Q6_K: return "q6_K";
  }
  return "?";
}

DType dtype_from_name(const std::string& s) {
  for (DType t : {DType::F32, DType::BF16, DType::F16, DType::E4M3, DType::I32, DType::I64, DType::U8, DType::I8})
    if (s == dtype_name(t)) return t;
  throw Error("unknown dtype '" + s + "' (expected f32, bf16, f16, e4m3, i32, i64, u8 or i8)");
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0) {
    if (man == 0) return f32_from_bits(sign);
    // subnormal: value = man * 2^-24
    float v = std::ldexp(float(man), -24);
    return sign ? -v : v;
  }
  if (exp == 31) return f32_from_bits(sign | 0x7f800000u | (man << 13));
  return f32_from_bits(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t f32_to_f16(float f) {
  uint32_t u = bits_from_f32(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00;   // NaN
  if (a >= 0x477ff000u) return sign | 0x7c00;  // rounds to >= 65520 -> inf
  if (a < 0x38800000u) {                       // below the smallest normal half: subnormal or zero
    float v = f32_from_bits(a);
    // subnormal half step is 2^-24; nearbyint rounds to nearest even in the default mode
    uint32_t m = uint32_t(std::nearbyint(std::ldexp(v, 24)));
    return uint16_t(sign | m);
  }
  // normal: rebias exponent, round mantissa from 23 to 10 bits to nearest even
  uint32_t r = a + 0xfffu + ((a >> 13) & 1u);
  return uint16_t(sign | ((r - 0x38000000u) >> 13));
}

float e4m3_to_f32(uint8_t v) {
  uint32_t sign = v & 0x80;
  uint32_t exp = (v >> 3) & 0xf;
  uint32_t man = v & 0x7;
  if (exp == 0xf && man == 0x7) return std::nanf("");
  float r;
  if (exp == 0)
    r = std::ldexp(float(man), -9);  // subnormal: man/8 * 2^-6
  else
    r = std::ldexp(float(8 + man), int(exp) - 10);  // (1 + man/8) * 2^(exp-7)
  return sign ? -r : r;
}

uint8_t f32_to_e4m3(float f) {
  if (std::isnan(f)) return 0x7f;
  uint8_t sign = std::signbit(f) ? 0x80 : 0;
  float a = std::fabs(f);
  if (a >= 448.0f) return sign | 0x7e;  // saturate to the largest finite value
  // Search by rounding in the value domain: find exponent, quantize mantissa to 3 bits with ties to even.
  int e;
  std::frexp(a, &e);                         // a = m * 2^e, m in [0.5, 1)
  int exp_unbiased = e - 1;                  // a = 1.x * 2^exp_unbiased
  if (exp_unbiased < -6) exp_unbiased = -6;  // subnormal range shares the 2^-6 scale
  float step = std::ldexp(1.0f, exp_unbiased - 3);
  float q = std::nearbyint(a / step) * step;  // ties to even (default rounding mode)
  if (q == 0) return sign;
  // Re-encode q (exact in e4m3 by construction, possibly bumped to the next binade).
  int qe;
  float qm = std::frexp(q, &qe);  // q = qm * 2^qe
  int ue = qe - 1;
  if (ue < -6) {  // subnormal
    return uint8_t(sign | uint8_t(q / std::ldexp(1.0f, -9)));
  }
  uint8_t man = uint8_t((qm * 2.0f - 1.0f) * 8.0f + 0.5f);
  uint8_t ex = uint8_t(ue + 7);
  return uint8_t(sign | (ex << 3) | man);
}

void to_f32(DType t, const void* src, float* dst, size_t n) {
  switch (t) {
    case DType::F32: std::memcpy(dst, src, n * 4); return;
    case DType::BF16: {
      auto s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; i++) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    case DType::F16: {
      auto s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; i++) dst[i] = f16_to_f32(s[i]);
      return;
    }
    case DType::E4M3: {
      auto s = static_cast<const uint8_t*>(src);
      for (size_t i = 0; i < n; i++) dst[i] = e4m3_to_f32(s[i]);
      return;
    }
    default: throw Error(std::string("cannot convert ") + dtype_name(t) + " to f32");
  }
}

void from_f32(DType t, const float* src, void* dst, size_t n) {
  switch (t) {
    case DType::F32: std::memcpy(dst, src, n * 4); return;
    case DType::BF16: {
      auto d = static_cast<uint16_t*>(dst);
      for (size_t i = 0; i < n; i++) d[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::F16: {
      auto d = static_cast<uint16_t*>(dst);
      for (size_t i = 0; i < n; i++) d[i] = f32_to_f16(src[i]);
      return;
    }
    case DType::E4M3: {
      auto d = static_cast<uint8_t*>(dst);
      for (size_t i = 0; i < n; i++) d[i] = f32_to_e4m3(src[i]);
      return;
    }
    default: throw Error(std::string("cannot convert f32 to ") + dtype_name(t));
  }
}

}  // namespace seek
