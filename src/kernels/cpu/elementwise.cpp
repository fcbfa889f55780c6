#include "kernels/cpu/elementwise.h"

#include <algorithm>
#include <cmath>

namespace seek::cpu {

void round_bf16_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] = round_bf16(x[i]);
}

void rmsnorm_forward(float* out, const float* x, const float* w, int64_t rows, int64_t dim, float eps, bool bf16_out) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * dim;
    float* o = out + r * dim;
    double ss = 0;  // a double sum keeps long rows (7168) exact to f32 precision whatever the order
    for (int64_t i = 0; i < dim; i++) ss += double(xr[i]) * xr[i];
    float inv = float(1.0 / std::sqrt(ss / double(dim) + double(eps)));
    if (bf16_out) {
      for (int64_t i = 0; i < dim; i++) o[i] = round_bf16(round_bf16(xr[i] * inv) * w[i]);
    } else {
      for (int64_t i = 0; i < dim; i++) o[i] = xr[i] * inv * w[i];
    }
  }
}

void softmax_rows(float* x, int64_t rows, int64_t n, int64_t stride) {
  for (int64_t r = 0; r < rows; r++) {
    float* v = x + r * stride;
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) mx = std::max(mx, v[i]);
    if (mx == -INFINITY) {  // every key masked: define the result as zeros rather than NaN
      std::fill(v, v + n, 0.0f);
      continue;
    }
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
      v[i] = std::exp(v[i] - mx);
      sum += v[i];
    }
    float inv = float(1.0 / sum);
    for (int64_t i = 0; i < n; i++) v[i] *= inv;
  }
}

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n, bool bf16) {
  for (int64_t i = 0; i < n; i++) {
    float g = gate[i];
    float s = g / (1.0f + std::exp(-g));
    out[i] = bf16 ? round_bf16(round_bf16(s) * up[i]) : s * up[i];
  }
}

void rope_interleaved(float* x, int64_t count, int64_t stride, int64_t dim, const float* cos, const float* sin) {
  for (int64_t v = 0; v < count; v++) {
    float* p = x + v * stride;
    for (int64_t i = 0; i < dim / 2; i++) {
      float a = p[2 * i], b = p[2 * i + 1];
      p[2 * i] = a * cos[i] - b * sin[i];
      p[2 * i + 1] = a * sin[i] + b * cos[i];
    }
  }
}

void rope_half_split(float* x, int64_t count, int64_t stride, int64_t dim, const float* cos, const float* sin) {
  const int64_t h = dim / 2;
  for (int64_t v = 0; v < count; v++) {
    float* p = x + v * stride;
    for (int64_t i = 0; i < h; i++) {
      float a = p[i], b = p[i + h];
      p[i] = a * cos[i] - b * sin[i];
      p[i + h] = b * cos[i] + a * sin[i];
    }
  }
}

}  // namespace seek::cpu
