#include "model/rope.h"

#include <algorithm>
#include <cmath>

namespace seek {

RopeFrequencies::RopeFrequencies(int64_t dim, double theta) {
  for (int64_t i = 0; i < dim / 2; i++) freqs_.push_back(1.0f / std::pow(float(theta), float(2 * i) / float(dim)));
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

std::vector<float> llama3_scaled_frequencies(const std::vector<float>& freqs, double factor, double low_freq_factor,
                                             double high_freq_factor, int64_t original_max_position) {
  // Scalars enter the f32 tensor ops as f32 values; the band edges are formed in double, then compared in f32.
  const float L = float(original_max_position), fac = float(factor), low = float(low_freq_factor);
  const float low_wl = float(double(original_max_position) / low_freq_factor);    // longer: divide by factor
  const float high_wl = float(double(original_max_position) / high_freq_factor);  // shorter: keep
  const float span = float(high_freq_factor - low_freq_factor);
  const float two_pi = float(2 * M_PI);
  std::vector<float> out(freqs.size());
  for (size_t i = 0; i < freqs.size(); i++) {
    const float f = freqs[i];
    const float wl = (1.0f / f) * two_pi;  // 2 pi / f, formed as reciprocal times scalar
    if (wl < high_wl) {
      out[i] = f;
    } else if (wl > low_wl) {
      out[i] = f / fac;
    } else {
      const float s = ((1.0f / wl) * L - low) / span;
      out[i] = (1.0f - s) * f / fac + s * f;
    }
  }
  return out;
}

void RopeFrequencies::at(int64_t pos, float* cos, float* sin) const {
  for (size_t i = 0; i < freqs_.size(); i++) {
    float angle = float(pos) * freqs_[i];  // an f32 product, as the reference forms its angle table
    cos[i] = float(std::cos(double(angle)));
    sin[i] = float(std::sin(double(angle)));
  }
}

void RopeTable::build(const RopeFrequencies& f, const RowShape& s) {
  const int64_t half = f.half_dim();
  cos.resize(size_t(s.T * half));
  sin.resize(size_t(s.T * half));
  for (int64_t t = 0; t < s.T; t++) f.at(t, &cos[size_t(t * half)], &sin[size_t(t * half)]);
  pos.resize(size_t(s.rows()));
  for (int64_t r = 0; r < s.rows(); r++) pos[size_t(r)] = int32_t(r % s.T);
}

void RopeTable::build(const RopeFrequencies& f, const int32_t* positions, int64_t rows) {
  const int64_t half = f.half_dim();
  cos.resize(size_t(rows * half));
  sin.resize(size_t(rows * half));
  pos.resize(size_t(rows));
  for (int64_t r = 0; r < rows; r++) {
    f.at(positions[r], &cos[size_t(r * half)], &sin[size_t(r * half)]);
    pos[size_t(r)] = int32_t(r);
  }
}

}  // namespace seek
