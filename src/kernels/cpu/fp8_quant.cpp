#include "kernels/cpu/fp8_quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/parallel.h"

namespace seek::cpu {

namespace {
constexpr int64_t G = 128;  // group width along a row

inline float scale_of(float amax) { return amax > 0 ? amax / kE4m3Max : 1.0f; }
inline uint16_t bf16_bits(float v) {  // exact: an e4m3 value has 3 mantissa bits
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return uint16_t(u >> 16);
}
}  // namespace

float round_e4m3(float v) {
  if (std::fabs(v) < 0x1p-6f) return std::nearbyint(v * 512.0f) * (1.0f / 512.0f);  // subnormal: steps of 2^-9
  // normal: the f32 mantissa rounded to its top 3 bits, ties to even (a carry moves to the next binade)
  uint32_t u;
  std::memcpy(&u, &v, 4);
  u = (u + 0x7ffffu + ((u >> 20) & 1u)) & 0xfff00000u;
  std::memcpy(&v, &u, 4);
  return v;
}

void fp8_quantize_tiles(const float* x, int64_t rows, int64_t cols, float* q, float* scale) {
  const int64_t KB = (cols + G - 1) / G;
  parallel_ranges(
      rows,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t r = lo; r < hi; r++)
          for (int64_t kb = 0; kb < KB; kb++) {
            const int64_t c0 = kb * G, c1 = std::min(cols, c0 + G);
            const float* xr = x + r * cols;
            float amax = 0;
            for (int64_t c = c0; c < c1; c++) amax = std::max(amax, std::fabs(xr[c]));
            const float s = scale_of(amax);
            scale[r * KB + kb] = s;
            for (int64_t c = c0; c < c1; c++) q[r * cols + c] = round_e4m3(xr[c] / s);
          }
      },
      16);
}

void fp8_quantize_blocks(const float* w, int64_t rows, int64_t cols, uint16_t* q, float* scale) {
  const int64_t KB = (cols + G - 1) / G, RB = (rows + G - 1) / G;
  parallel_ranges(RB * KB, [&](int64_t lo, int64_t hi, int) {
    for (int64_t b = lo; b < hi; b++) {
      const int64_t r0 = b / KB * G, r1 = std::min(rows, r0 + G), c0 = b % KB * G, c1 = std::min(cols, c0 + G);
      float amax = 0;
      for (int64_t r = r0; r < r1; r++)
        for (int64_t c = c0; c < c1; c++) amax = std::max(amax, std::fabs(w[r * cols + c]));
      const float s = scale_of(amax);
      for (int64_t r = r0; r < r1; r++) {
        scale[r * KB + b % KB] = s;
        for (int64_t c = c0; c < c1; c++) q[r * cols + c] = bf16_bits(round_e4m3(w[r * cols + c] / s));
      }
    }
  });
}

}  // namespace seek::cpu
