#include "model/rope.h"

#include <algorithm>
#include <cmath>

namespace seek {

RopeFrequencies::RopeFrequencies(int64_t dim, double theta) {
  for (int64_t i = 0; i < dim / 2; i++)
    freqs_.push_back(1.0f / std::pow(float(theta), float(2 * i) / float(dim)));
}

RopeFrequencies::RopeFrequencies(const DeepSeekConfig& c) : RopeFrequencies(c.qk_rope_head_dim, c.rope_theta) {
  if (!c.yarn_active()) return;
  const YarnConfig& y = c.rope_scaling;
  const double dim = double(c.qk_rope_head_dim);
  // The frequency index whose wavelength fits `rotations` turns into the original context.
  auto correction_dim = [&](double rotations) {
    return dim * std::log(double(y.original_max_position) / (rotations * 2 * M_PI)) / (2 * std::log(c.rope_theta));
  };
  double low = std::max(std::floor(correction_dim(y.beta_fast)), 0.0);
  double high = std::min(std::ceil(correction_dim(y.beta_slow)), dim - 1);
  if (low == high) high += 0.001;
  for (size_t i = 0; i < freqs_.size(); i++) {
    float ramp = std::clamp((float(i) - float(low)) / float(high - low), 0.0f, 1.0f);
    float smooth = 1.0f - ramp;  // 1: keep the frequency (high frequencies), 0: divide by factor
    float f = freqs_[i];
    freqs_[i] = f / float(y.factor) * (1.0f - smooth) + f * smooth;
  }
}

void RopeFrequencies::at(int64_t pos, float* cos, float* sin) const {
  for (size_t i = 0; i < freqs_.size(); i++) {
    float angle = float(pos) * freqs_[i];  // an f32 product, as the reference forms its angle table
    cos[i] = float(std::cos(double(angle)));
    sin[i] = float(std::sin(double(angle)));
  }
}

}  // namespace seek
