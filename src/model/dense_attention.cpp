#include "model/dense_attention.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/rowops.h"

namespace seek {

DenseAttention bind_dense_attention(WeightSource& src, const DenseAttnSpec& s) {
  return DenseAttention{bind_linear(src, s.q, s.q_bias), bind_linear(src, s.k, s.k_bias),
                        bind_linear(src, s.v, s.v_bias), bind_linear(src, s.o, s.o_bias)};
}

RopeFrequencies dense_rope_frequencies(const DenseConfig& c) {
  RopeFrequencies plain(c.head_dim, c.rope_theta);
  if (!c.rope_freq_factors.empty()) {
    std::vector<float> f = plain.freqs();
    check(f.size() == c.rope_freq_factors.size(), "rope_freqs: " + std::to_string(c.rope_freq_factors.size()) +
                                                      " factors for " + std::to_string(f.size()) + " frequencies");
    for (size_t i = 0; i < f.size(); i++) f[i] /= c.rope_freq_factors[i];
    return RopeFrequencies(std::move(f));
  }
  const DenseRopeScaling& s = c.rope_scaling;
  switch (s.type) {
    case DenseRopeType::Default: return plain;
    case DenseRopeType::Linear: {
      std::vector<float> f = plain.freqs();
      for (float& x : f) x /= float(s.factor);
      return RopeFrequencies(std::move(f));
    }
    case DenseRopeType::Llama3:
      return RopeFrequencies(llama3_scaled_frequencies(plain.freqs(), s.factor, s.low_freq_factor, s.high_freq_factor,
                                                       s.original_max_position));
  }
  return plain;
}

void dense_attention_forward(const DenseAttention& w, const DenseConfig& c, const RopeTable& rope, int64_t layer,
                             const float* x, int64_t N, const std::vector<DenseSeqRows>& seqs, float* out,
                             Precision p) {
  const int64_t H = c.num_attention_heads, KV = c.num_key_value_heads, hd = c.head_dim;
  const bool bf = p == Precision::BF16;
  const float scale = float(1.0 / std::sqrt(double(hd)));

  // ---- projections: q [N, H, hd], k/v [N, KV, hd] (bias added, rounded to bf16 in BF16) ----
  std::vector<float> q(size_t(N * H * hd)), k(size_t(N * KV * hd)), v(size_t(N * KV * hd));
  linear_forward(w.q, x, N, q.data(), p);
  linear_forward(w.k, x, N, k.data(), p);
  linear_forward(w.v, x, N, v.data(), p);

  // ---- half-split RoPE on every query and key head (adjacent pairs for rows in llama.cpp's order). The reference
  // casts its f32 cos/sin tables to the activation dtype (the caller rounded them in BF16), and in BF16 every op of
  // the rotation rounds. ----
  const auto style = c.rope_interleaved ? cpu::RopeStyle::Interleaved : cpu::RopeStyle::HalfSplit;
  cpu::rope(q.data(), N, H, hd, 0, hd, rope.pos.data(), rope.cos.data(), rope.sin.data(), style, false, bf);
  cpu::rope(k.data(), N, KV, hd, 0, hd, rope.pos.data(), rope.cos.data(), rope.sin.data(), style, false, bf);

  // ---- per sequence: K/V rows into its cache, causal attention of its rows over the cache ----
  std::vector<float> o(size_t(N * H * hd));  // [N, H, hd]
  for (const DenseSeqRows& s : seqs) {
    const int64_t pos0 = s.cache->len();
    s.cache->reserve(pos0 + s.n);
    float* Kc = s.cache->k(layer);  // [capacity, KV, hd]
    float* Vc = s.cache->v(layer);  // [capacity, KV, hd]
    std::memcpy(Kc + pos0 * KV * hd, &k[size_t(s.first * KV * hd)], size_t(s.n * KV * hd) * sizeof(float));
    std::memcpy(Vc + pos0 * KV * hd, &v[size_t(s.first * KV * hd)], size_t(s.n * KV * hd) * sizeof(float));
    cpu::attention_heads(&o[size_t(s.first * H * hd)], &q[size_t(s.first * H * hd)], Kc, Vc, s.n, pos0, H, KV, hd, hd,
                         scale, bf ? cpu::AttnRounding::DenseBf16 : cpu::AttnRounding::None);
  }
  if (bf) cpu::round_bf16_inplace(o.data(), N * H * hd);
  linear_forward(w.o, o.data(), N, out, p);  // [N, dim]
}

}  // namespace seek
