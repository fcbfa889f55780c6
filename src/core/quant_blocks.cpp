// Scalar block (de)quantization. Built with -ffp-contract=off (CMakeLists.txt) so a*b - c stays two roundings, as
// in llama.cpp's reference code: the results are then bit-identical to it, which the oracle test asserts.
#include "core/quant_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"

namespace seek {

namespace {

float half(const uint8_t* p) {  // an unaligned little-endian f16
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}
void put_half(uint8_t* p, float v) {
  const uint16_t h = f32_to_f16(v);
  std::memcpy(p, &h, 2);
}

// ---- 32-element blocks ----
void deq_q8_0(const uint8_t* b, float* y) {  // f16 d | i8 q[32]
  const float d = half(b);
  const int8_t* q = reinterpret_cast<const int8_t*>(b + 2);
  for (int j = 0; j < 32; j++) y[j] = float(q[j]) * d;
}
void deq_q4_0(const uint8_t* b, float* y) {  // f16 d | u8 qs[16]
  const float d = half(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < 16; j++) {
    y[j] = float((qs[j] & 0x0f) - 8) * d;
    y[j + 16] = float((qs[j] >> 4) - 8) * d;
  }
}
void deq_q5_0(const uint8_t* b, float* y) {  // f16 d | u32 qh | u8 qs[16]
  const float d = half(b);
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const uint8_t* qs = b + 6;
  for (int j = 0; j < 16; j++) {
    const int hi0 = int((qh >> j) & 1u) << 4, hi1 = int((qh >> (j + 16)) & 1u) << 4;
    y[j] = float(((qs[j] & 0x0f) | hi0) - 16) * d;
    y[j + 16] = float(((qs[j] >> 4) | hi1) - 16) * d;
  }
}

// ---- 256-element super-blocks ----
// q4_K (High = false): f16 d | f16 dmin | u8 scales[12] | u8 qs[128]; q5_K (High): qh[32] before qs, the 5th bit
// of element l of sub-block s being bit s of qh[l]. 64 elements per 32 bytes of qs: the low nibbles are sub-block
// 2i, the high nibbles sub-block 2i+1; y = (d * scale) * q - (dmin * min).
template <bool High>
void deq_k(const uint8_t* b, float* y) {
  const float d = half(b), dmin = half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* qs = b + (High ? 48 : 16);
  for (int i = 0; i < 4; i++, qs += 32, y += 64) {
    int sc, m;
    k_scale_min(2 * i, scales, &sc, &m);
    const float d1 = d * float(sc), m1 = dmin * float(m);
    k_scale_min(2 * i + 1, scales, &sc, &m);
    const float d2 = d * float(sc), m2 = dmin * float(m);
    const uint8_t u1 = uint8_t(1u << (2 * i)), u2 = uint8_t(2u << (2 * i));
    for (int l = 0; l < 32; l++) y[l] = d1 * float((qs[l] & 0x0f) + (High && (qh[l] & u1) ? 16 : 0)) - m1;
    for (int l = 0; l < 32; l++) y[l + 32] = d2 * float((qs[l] >> 4) + (High && (qh[l] & u2) ? 16 : 0)) - m2;
  }
}
// q6_K: u8 ql[128] | u8 qh[64] | i8 scales[16] | f16 d. Each half (128 elements) reads 64 bytes of ql and 32 of qh:
// element l + 32k (k = 0..3) takes a nibble of ql[l] (k = 0, 2) or ql[l + 32] (k = 1, 3), low for k < 2, and bits
// 2k..2k+1 of qh[l]; its scale is scales[l / 16 + 2k].
void deq_q6_k(const uint8_t* b, float* y) {
  const float d = half(b + 208);
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
  for (int half_ = 0; half_ < 2; half_++, ql += 64, qh += 32, sc += 8, y += 128) {
    for (int l = 0; l < 32; l++) {
      const int is = l / 16;
      const int q1 = int((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = int((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * float(sc[is]) * float(q1);
      y[l + 32] = d * float(sc[is + 2]) * float(q2);
      y[l + 64] = d * float(sc[is + 4]) * float(q3);
      y[l + 96] = d * float(sc[is + 6]) * float(q4);
    }
  }
}

// ---- quantizers (32-element types) ----
// The element of largest magnitude, with its sign.
float signed_absmax(const float* x, int n) {
  float amax = 0, v = 0;
  for (int j = 0; j < n; j++)
    if (std::fabs(x[j]) > amax) amax = std::fabs(x[j]), v = x[j];
  return v;
}
void quant_q8_0(const float* x, uint8_t* b) {
  float amax = 0;
  for (int j = 0; j < 32; j++) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127, id = d != 0 ? 1 / d : 0;
  put_half(b, d);
  for (int j = 0; j < 32; j++) b[2 + j] = uint8_t(int8_t(std::round(x[j] * id)));
}
// q4_0/q5_0: the signed extreme maps to code 0 (value -8 d / -16 d), d may be negative; codes are clamped.
void quant_q4_0(const float* x, uint8_t* b) {
  const float d = signed_absmax(x, 32) / -8, id = d != 0 ? 1 / d : 0;
  put_half(b, d);
  for (int j = 0; j < 16; j++) {
    const int q0 = std::min(15, int(int8_t(x[j] * id + 8.5f))), q1 = std::min(15, int(int8_t(x[j + 16] * id + 8.5f)));
    b[2 + j] = uint8_t(q0 | (q1 << 4));
  }
}
void quant_q5_0(const float* x, uint8_t* b) {
  const float d = signed_absmax(x, 32) / -16, id = d != 0 ? 1 / d : 0;
  put_half(b, d);
  uint32_t qh = 0;
  for (int j = 0; j < 16; j++) {
    const int q0 = std::min(31, int(int8_t(x[j] * id + 16.5f)));
    const int q1 = std::min(31, int(int8_t(x[j + 16] * id + 16.5f)));
    b[6 + j] = uint8_t((q0 & 0x0f) | ((q1 & 0x0f) << 4));
    qh |= uint32_t((q0 >> 4) & 1) << j;
    qh |= uint32_t((q1 >> 4) & 1) << (j + 16);
  }
  std::memcpy(b + 2, &qh, 4);
}

}  // namespace

bool is_block_dtype(DType t) {
  switch (t) {
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q8_0:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K: return true;
    default: return false;
  }
}

int64_t block_elems(DType t) {
  switch (t) {
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q8_0: return 32;
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K: return 256;
    default: return 1;
  }
}

int64_t block_bytes(DType t) {
  switch (t) {
    case DType::Q4_0: return 18;
    case DType::Q5_0: return 22;
    case DType::Q8_0: return 34;
    case DType::Q4_K: return 144;
    case DType::Q5_K: return 176;
    case DType::Q6_K: return 210;
    default: return int64_t(dtype_size(t));
  }
}

size_t row_bytes(DType t, int64_t n) {
  const int64_t be = block_elems(t);
  if (n % be != 0)
    throw Error(std::string("a row of ") + dtype_name(t) + " must hold a multiple of " + std::to_string(be) +
                " elements, not " + std::to_string(n));
  return size_t(n / be) * size_t(block_bytes(t));
}

void dequantize_row(DType t, const void* src, float* dst, int64_t n) {
  if (!is_block_dtype(t)) return to_f32(t, src, dst, size_t(n));
  const int64_t be = block_elems(t), bb = block_bytes(t), nb = int64_t(row_bytes(t, n)) / bb;
  auto b = static_cast<const uint8_t*>(src);
  void (*deq)(const uint8_t*, float*) = nullptr;
  switch (t) {
    case DType::Q8_0: deq = deq_q8_0; break;
    case DType::Q4_0: deq = deq_q4_0; break;
    case DType::Q5_0: deq = deq_q5_0; break;
    case DType::Q4_K: deq = deq_k<false>; break;
    case DType::Q5_K: deq = deq_k<true>; break;
    default: deq = deq_q6_k; break;
  }
  for (int64_t i = 0; i < nb; i++) deq(b + i * bb, dst + i * be);
}

void quantize_row(DType t, const float* src, void* dst, int64_t n) {
  void (*quant)(const float*, uint8_t*) = nullptr;
  switch (t) {
    case DType::Q8_0: quant = quant_q8_0; break;
    case DType::Q4_0: quant = quant_q4_0; break;
    case DType::Q5_0: quant = quant_q5_0; break;
    default: throw Error(std::string("quantizing to ") + dtype_name(t) + " is not supported (q8_0, q4_0, q5_0 are)");
  }
  const int64_t bb = block_bytes(t), nb = int64_t(row_bytes(t, n)) / bb;
  auto b = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; i++) quant(src + i * 32, b + i * bb);
}

}  // namespace seek
