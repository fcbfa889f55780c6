// Rotary-embedding frequencies, including YaRN's per-frequency interpolation, computed in f32 exactly as the
// reference does (so angles at long positions round the same way).
#pragma once
#include <cstdint>
#include <vector>

#include "core/uninit_vector.h"
#include "model/config.h"

namespace seek {

class RopeFrequencies {
 public:
  RopeFrequencies() = default;
  // DeepSeek: dim = qk_rope_head_dim, YaRN when config.yarn_active().
  explicit RopeFrequencies(const DeepSeekConfig& c);
  // Plain frequencies theta^(-2i/dim) (Llama/Qwen build theirs from these).
  RopeFrequencies(int64_t dim, double theta);
  explicit RopeFrequencies(std::vector<float> freqs) : freqs_(std::move(freqs)) {}

  const std::vector<float>& freqs() const { return freqs_; }
  int64_t half_dim() const { return int64_t(freqs_.size()); }
  // cos/sin of angle pos * f_i for i < half_dim, in f32.
  void at(int64_t pos, float* cos, float* sin) const;

 private:
  std::vector<float> freqs_;
};

// Llama 3 frequency scaling of plain frequencies `freqs` (theta^(-2i/dim)), in f32 in the order the published
// model code computes it. With wavelength w_i = 2 pi / f_i and L = original_max_position:
// w_i < L / high_freq_factor keeps f_i, w_i > L / low_freq_factor gives f_i / factor, and in between
// s = (L / w_i - low_freq_factor) / (high_freq_factor - low_freq_factor) blends: (1 - s) f_i / factor + s f_i.
std::vector<float> llama3_scaled_frequencies(const std::vector<float>& freqs, double factor, double low_freq_factor,
                                             double high_freq_factor, int64_t original_max_position);

// The trainable form's batch layout: B sequences of T rows, row b * T + t at position t.
struct RowShape {
  int64_t B = 0, T = 0;
  int64_t rows() const { return B * T; }
};

// cos/sin rows for the positions a forward uses, and which row of the tables each activation row reads:
// cos/sin [P, half_dim], pos [rows]. The layout the rope op (kernels/cpu/rowops.h) takes.
struct RopeTable {
  uninit_vector<float> cos, sin;
  std::vector<int32_t> pos;
  // Positions 0 .. T-1, shared by the B sequences (the trainable form).
  void build(const RopeFrequencies& f, const RowShape& s);
  // One table row per activation row, at the given positions (the fast form: rows of several sequences).
  void build(const RopeFrequencies& f, const int32_t* positions, int64_t rows);
};

}  // namespace seek
