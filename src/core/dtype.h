// Element types and their scalar conversions. bf16/f16/e4m3 values are stored as raw bits; arithmetic is done in
// f32 after conversion. Rounding is round-to-nearest-even everywhere, as PyTorch does.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace seek {

// Q4_0 .. Q6_K are GGUF's block-quantized weight formats (core/quant_blocks.h): a row of them is a run of fixed-size
// blocks, so they have no per-element size; they appear only as the dtype of a weight (WeightRef), never of a Tensor.
enum class DType : uint8_t { F32, BF16, F16, E4M3, I32, I64, U8, I8, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K };

// Bytes per element; throws Error for the block-quantized types (see quant_blocks.h row_bytes).
size_t dtype_size(DType t);
const char* dtype_name(DType t);              // "f32", "bf16", ...
DType dtype_from_name(const std::string& s);  // inverse of dtype_name; throws Error naming s

inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t bits_from_f32(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// ---- bfloat16: the top 16 bits of an f32 ----
inline float bf16_to_f32(uint16_t h) { return f32_from_bits(uint32_t(h) << 16); }
inline uint16_t f32_to_bf16(float f) {
  uint32_t u = bits_from_f32(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // NaN stays a (quiet) NaN
  u += 0x7fffu + ((u >> 16) & 1u);                                         // round to nearest even
  return uint16_t(u >> 16);
}
// x rounded to the nearest bf16 value, kept as f32 (how bf16 storage of an activation is emulated).
inline float round_bf16(float f) { return bf16_to_f32(f32_to_bf16(f)); }

// ---- IEEE half ----
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// ---- float8 e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa; no inf, 0x7f/0xff are NaN; max 448 ----
float e4m3_to_f32(uint8_t v);
uint8_t f32_to_e4m3(float f);  // saturates to ±448, round to nearest even

// Convert n elements of any float dtype to f32.
void to_f32(DType t, const void* src, float* dst, size_t n);
// Convert n f32 values to dtype t (F32, BF16, F16, E4M3).
void from_f32(DType t, const float* src, void* dst, size_t n);

}  // namespace seek
