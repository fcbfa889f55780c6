// Scalar block (de)quantization. Built with -ffp-contract=off (CMakeLists.txt) so a*b - c stays two roundings, as
// in llama.cpp's reference code: the results are then bit-identical to it, which the oracle test asserts.
#include "core/quant_blocks.h"

#include <algorithm>
#include <cfloat>
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
void deq_q4_1(const uint8_t* b, float* y) {  // f16 d | f16 m | u8 qs[16]
  const float d = half(b), m = half(b + 2);
  const uint8_t* qs = b + 4;
  for (int j = 0; j < 16; j++) {
    y[j] = float(qs[j] & 0x0f) * d + m;
    y[j + 16] = float(qs[j] >> 4) * d + m;
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
void deq_q5_1(const uint8_t* b, float* y) {  // f16 d | f16 m | u32 qh | u8 qs[16]
  const float d = half(b), m = half(b + 2);
  uint32_t qh;
  std::memcpy(&qh, b + 4, 4);
  const uint8_t* qs = b + 8;
  for (int j = 0; j < 16; j++) {
    const int hi0 = int((qh >> j) & 1u) << 4, hi1 = int((qh >> (j + 16)) & 1u) << 4;
    y[j] = float((qs[j] & 0x0f) | hi0) * d + m;
    y[j + 16] = float((qs[j] >> 4) | hi1) * d + m;
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

// ---- quantizers (32-element blocks) ----
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
// q4_1/q5_1: d spans the block's min..max over the code range, m is the min; codes are (x - min) / d rounded half
// up, computed against the f32 min and d (not their f16 values). q4_1 clamps its codes, q5_1 does not (as there).
void block_min_max(const float* x, float* min, float* max) {
  *min = FLT_MAX, *max = -FLT_MAX;
  for (int j = 0; j < 32; j++) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}
void quant_q4_1(const float* x, uint8_t* b) {
  float min, max;
  block_min_max(x, &min, &max);
  const float d = (max - min) / 15, id = d != 0 ? 1 / d : 0;
  put_half(b, d);
  put_half(b + 2, min);
  for (int j = 0; j < 16; j++) {
    const int q0 = std::min(15, int(int8_t((x[j] - min) * id + 0.5f)));
    const int q1 = std::min(15, int(int8_t((x[j + 16] - min) * id + 0.5f)));
    b[4 + j] = uint8_t(uint8_t(q0) | (uint8_t(q1) << 4));
  }
}
void quant_q5_1(const float* x, uint8_t* b) {
  float min, max;
  block_min_max(x, &min, &max);
  const float d = (max - min) / 31, id = d != 0 ? 1 / d : 0;
  put_half(b, d);
  put_half(b + 2, min);
  uint32_t qh = 0;
  for (int j = 0; j < 16; j++) {
    const uint8_t q0 = uint8_t((x[j] - min) * id + 0.5f), q1 = uint8_t((x[j + 16] - min) * id + 0.5f);
    b[8 + j] = uint8_t((q0 & 0x0f) | ((q1 & 0x0f) << 4));
    qh |= uint32_t((q0 >> 4) & 1) << j;
    qh |= uint32_t((q1 >> 4) & 1) << (j + 16);
  }
  std::memcpy(b + 4, &qh, 4);
}

// ---- quantizers (256-element super-blocks) ----
// The reference's rounding: adding 1.5 * 2^23 leaves v rounded half-to-even in the low mantissa bits. Kept bit for
// bit rather than lrintf so that the inf/NaN quotients an f16 overflow of d produces give the same codes as there.
int nearest_int(float v) {
  const float t = v + 12582912.f;
  int32_t i;
  std::memcpy(&i, &t, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// q4_K/q5_K sub-block fit helpers: codes of x on the grid x ~ L / iscale + min, and the weighted squared error of
// x ~ scale * L + min.
void affine_codes(const float* x, int n, float iscale, float min, int nmax, uint8_t* L) {
  for (int i = 0; i < n; i++) L[i] = uint8_t(std::max(0, std::min(nmax, nearest_int(iscale * (x[i] - min)))));
}
float affine_error(const float* x, const float* w, const uint8_t* L, int n, float scale, float min) {
  float err = 0;
  for (int i = 0; i < n; i++) {
    const float diff = scale * float(L[i]) + min - x[i];
    err += w[i] * (diff * diff);
  }
  return err;
}

// Fits x ~ scale * L - neg_min (L in 0..nmax, min <= 0) with weights w, as the reference's make_qkx2_quants: codes
// from the min..max grid, then from nstep + 1 grids with (nmax + rmin + rdelta * is) steps, each refit by weighted
// least squares; the (codes, scale, min) of least weighted squared error wins. Each grid starts at the best min so
// far, as there. Returns the scale.
float fit_affine(const float* x, const float* w, int n, int nmax, float rmin, float rdelta, int nstep, uint8_t* L,
                 float* neg_min) {
  float min = x[0], max = x[0], sum_w = w[0], sum_x = sum_w * x[0];
  for (int i = 1; i < n; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::fill(L, L + n, uint8_t(0));
    *neg_min = -min;
    return 0;
  }
  float iscale = float(nmax) / (max - min), scale = 1 / iscale;
  affine_codes(x, n, iscale, min, nmax, L);
  float best = affine_error(x, w, L, n, scale, min);
  uint8_t aux[32];
  for (int is = 0; is <= nstep; is++) {
    iscale = (rmin + rdelta * float(is) + float(nmax)) / (max - min);
    affine_codes(x, n, iscale, min, nmax, aux);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; i++) {
      const float l = float(aux[i]);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (!(D > 0)) continue;
    float s = (sum_w * sum_xl - sum_x * sum_l) / D, m = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    if (m > 0) m = 0, s = sum_xl / sum_l2;
    const float err = affine_error(x, w, aux, n, s, m);
    if (err < best) {
      std::copy(aux, aux + n, L);
      best = err, scale = s, min = m;
    }
  }
  *neg_min = -min;
  return scale;
}

// q4_K (High = false, codes 0..15) / q5_K (High, 0..31). Each sub-block of 32 is fitted with weights rms + |x|; the
// 8 scales and 8 mins are quantized to 6 bits against the largest of each (d, dmin), and every sub-block whose
// stored scale is not 0 is re-rounded against the scale and min the block actually stores (the rest keep the fit's
// codes, as in the reference).
template <bool High>
void quant_k(const float* x, uint8_t* b) {
  constexpr int nmax = High ? 31 : 15;
  uint8_t L[256];
  float scales[8], mins[8], max_scale = 0, max_min = 0;
  for (int s = 0; s < 8; s++) {
    const float* xs = x + 32 * s;
    float sum_x2 = 0, w[32];
    for (int l = 0; l < 32; l++) sum_x2 += xs[l] * xs[l];
    const float av = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; l++) w[l] = av + std::fabs(xs[l]);
    scales[s] = High ? fit_affine(xs, w, 32, nmax, -0.5f, 0.1f, 15, L + 32 * s, &mins[s])
                     : fit_affine(xs, w, 32, nmax, -1.f, 0.1f, 20, L + 32 * s, &mins[s]);
    if (scales[s] > max_scale) max_scale = scales[s];
    if (mins[s] > max_min) max_min = mins[s];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f, inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  int sc[8], m[8];
  for (int s = 0; s < 8; s++) {  // the reference narrows the code to a byte before clamping it
    sc[s] = std::min(63, int(uint8_t(nearest_int(inv_scale * scales[s]))));
    m[s] = std::min(63, int(uint8_t(nearest_int(inv_min * mins[s]))));
  }
  k_pack_scale_min(sc, m, b + 4);
  put_half(b, max_scale / 63.f);
  put_half(b + 2, max_min / 63.f);
  const float d = half(b), dmin = half(b + 2);
  for (int s = 0; s < 8; s++) {
    const float ds = d * float(sc[s]), ms = dmin * float(m[s]);
    if (ds == 0) continue;
    for (int l = 0; l < 32; l++)
      L[32 * s + l] = uint8_t(std::max(0, std::min(nmax, nearest_int((x[32 * s + l] + ms) / ds))));
  }
  // the layout deq_k reads: nibbles of sub-blocks 2i (low) and 2i+1 (high) in qs[32i..], 5th bits in qh
  uint8_t* qh = b + 16;
  uint8_t* qs = b + (High ? 48 : 16);
  if (High) std::memset(qh, 0, 32);
  for (int i = 0; i < 4; i++)
    for (int l = 0; l < 32; l++) {
      const int lo = L[64 * i + l], hi = L[64 * i + l + 32];
      qs[32 * i + l] = uint8_t((lo & 0x0f) | (hi & 0x0f) << 4);
      if (High) qh[l] = uint8_t(qh[l] | (lo >> 4) << (2 * i) | (hi >> 4) << (2 * i + 1));
    }
}

// q6_K sub-block fit helper: codes L + nmax of x on the grid x ~ L / iscale (L in -nmax..nmax-1) and the x^2-weighted
// sums sum w x L and sum w L^2.
void symmetric_codes(const float* x, int n, float iscale, int nmax, int8_t* L, float* sumlx, float* suml2) {
  *sumlx = *suml2 = 0;
  for (int i = 0; i < n; i++) {
    const int l = std::max(-nmax, std::min(nmax - 1, nearest_int(iscale * x[i])));
    L[i] = int8_t(l + nmax);
    const float w = x[i] * x[i];
    *sumlx += w * x[i] * float(l);
    *suml2 += w * float(l) * float(l);
  }
}

// Fits x ~ scale * (L - nmax) with weights x^2, as the reference's make_qx_quants (rmse_type 1): codes from the grid
// through the signed extreme (it maps to -nmax), then from 18 grids of nmax +- 0.1 k steps; the least-squares
// scale of largest sumlx^2 / suml2 (least weighted squared error) wins. Returns the scale; 0 for a zero group.
float fit_symmetric(const float* x, int n, int nmax, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; i++)
    if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), max = x[i];
  if (amax < 1e-15f) {  // the reference's GROUP_MAX_EPS
    std::fill(L, L + n, int8_t(0));
    return 0;
  }
  float sumlx, suml2;
  symmetric_codes(x, n, float(-nmax) / max, nmax, L, &sumlx, &suml2);
  float scale = suml2 != 0 ? sumlx / suml2 : 0.f, best = scale * sumlx;
  int8_t aux[16];
  for (int is = -9; is <= 9; is++) {
    if (is == 0) continue;
    symmetric_codes(x, n, -(float(nmax) + 0.1f * float(is)) / max, nmax, aux, &sumlx, &suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      std::copy(aux, aux + n, L);
      scale = sumlx / suml2, best = scale * sumlx;
    }
  }
  return scale;
}

// q6_K: 16 sub-blocks of 16 fitted by fit_symmetric, their scales quantized to int8 against the one of largest
// magnitude (it maps to -128), then the elements re-rounded against the stored scales (a sub-block whose stored
// scale is 0 keeps the fit's codes, as in the reference). A super-block of only (near) zeros is all zero bytes.
void quant_q6_k(const float* x, uint8_t* b) {
  int8_t L[256];
  float scales[16], max_scale = 0, max_abs = 0;
  for (int s = 0; s < 16; s++) {
    scales[s] = fit_symmetric(x + 16 * s, 16, 32, L + 16 * s);
    if (std::fabs(scales[s]) > max_abs) max_abs = std::fabs(scales[s]), max_scale = scales[s];
  }
  std::memset(b, 0, 210);
  if (max_abs < 1e-15f) return;
  const float iscale = -128.f / max_scale;
  put_half(b + 208, 1 / iscale);
  int8_t* sc = reinterpret_cast<int8_t*>(b + 192);
  for (int s = 0; s < 16; s++) sc[s] = int8_t(std::min(127, nearest_int(iscale * scales[s])));
  const float d = half(b + 208);
  for (int s = 0; s < 16; s++) {
    const float ds = d * float(sc[s]);
    if (ds == 0) continue;
    for (int l = 0; l < 16; l++)
      L[16 * s + l] = int8_t(std::max(-32, std::min(31, nearest_int(x[16 * s + l] / ds))) + 32);
  }
  // the layout deq_q6_k reads: per half, element l + 32k takes a nibble of ql and bits 2k..2k+1 of qh[l]
  for (int h = 0; h < 2; h++) {
    const int8_t* q = L + 128 * h;
    uint8_t* ql = b + 64 * h;
    uint8_t* qh = b + 128 + 32 * h;
    for (int l = 0; l < 32; l++) {
      ql[l] = uint8_t((q[l] & 0x0f) | (q[l + 64] & 0x0f) << 4);
      ql[l + 32] = uint8_t((q[l + 32] & 0x0f) | (q[l + 96] & 0x0f) << 4);
      qh[l] = uint8_t(q[l] >> 4 | (q[l + 32] >> 4) << 2 | (q[l + 64] >> 4) << 4 | (q[l + 96] >> 4) << 6);
    }
  }
}

}  // namespace

bool is_block_dtype(DType t) {
  switch (t) {
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_0:
    case DType::Q5_1:
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
    case DType::Q4_1:
    case DType::Q5_0:
    case DType::Q5_1:
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
    case DType::Q4_1: return 20;
    case DType::Q5_0: return 22;
    case DType::Q5_1: return 24;
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
    case DType::Q4_1: deq = deq_q4_1; break;
    case DType::Q5_0: deq = deq_q5_0; break;
    case DType::Q5_1: deq = deq_q5_1; break;
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
    case DType::Q4_1: quant = quant_q4_1; break;
    case DType::Q5_0: quant = quant_q5_0; break;
    case DType::Q5_1: quant = quant_q5_1; break;
    case DType::Q4_K: quant = quant_k<false>; break;
    case DType::Q5_K: quant = quant_k<true>; break;
    case DType::Q6_K: quant = quant_q6_k; break;
    default:
      throw Error(std::string("quantizing to ") + dtype_name(t) +
                  " is not supported (q8_0, q4_0, q4_1, q5_0, q5_1, q4_K, q5_K, q6_K are)");
  }
  const int64_t be = block_elems(t), bb = block_bytes(t), nb = int64_t(row_bytes(t, n)) / bb;
  auto b = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; i++) quant(src + i * be, b + i * bb);
}

}  // namespace seek
