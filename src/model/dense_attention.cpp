#include "model/dense_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/elementwise.h"

namespace seek {

namespace {

constexpr int64_t kNoFp8Block = 128;  // dense checkpoints are not block-quantized; load_linear needs a value

float dot(const float* a, const float* b, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// BF16 half-split RoPE as the reference evaluates x * cos + rotate_half(x) * sin on bf16 tensors: each product
// and the sum is its own bf16 op, so each is rounded (cos/sin already bf16). x: `count` vectors of length dim at
// stride `stride`, all at one position.
void rope_half_split_bf16(float* x, int64_t count, int64_t stride, int64_t dim, const float* cos, const float* sin) {
  const int64_t h = dim / 2;
  for (int64_t v = 0; v < count; v++) {
    float* p = x + v * stride;
    for (int64_t i = 0; i < h; i++) {
      const float a = p[i], b = p[i + h];
      p[i] = round_bf16(round_bf16(a * cos[i]) - round_bf16(b * sin[i]));
      p[i + h] = round_bf16(round_bf16(b * cos[i]) + round_bf16(a * sin[i]));
    }
  }
}

}  // namespace

DenseAttention load_dense_attention(const Checkpoint& ck, const std::string& prefix, const DenseConfig& c) {
  DenseAttention w;
  const int64_t D = c.hidden_size;
  w.q = load_linear(ck, prefix + ".q_proj", c.q_dim(), D, kNoFp8Block, c.qkv_bias);
  w.k = load_linear(ck, prefix + ".k_proj", c.kv_dim(), D, kNoFp8Block, c.qkv_bias);
  w.v = load_linear(ck, prefix + ".v_proj", c.kv_dim(), D, kNoFp8Block, c.qkv_bias);
  w.o = load_linear(ck, prefix + ".o_proj", D, c.q_dim(), kNoFp8Block, c.o_bias);
  return w;
}

RopeFrequencies dense_rope_frequencies(const DenseConfig& c) {
  RopeFrequencies plain(c.head_dim, c.rope_theta);
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

void dense_attention_forward(const DenseAttention& w, const DenseConfig& c, const RopeFrequencies& rope, int64_t layer,
                             const float* x, int64_t T, DenseKVCache& cache, float* out, Precision p) {
  const int64_t H = c.num_attention_heads, KV = c.num_key_value_heads, hd = c.head_dim, g = c.kv_group();
  const bool bf = p == Precision::BF16;
  const float scale = float(1.0 / std::sqrt(double(hd)));
  const int64_t pos0 = cache.len();
  cache.reserve(pos0 + T);

  // ---- projections: q [T, H, hd], k/v [T, KV, hd] (bias added, rounded to bf16 in BF16) ----
  std::vector<float> q(static_cast<size_t>(T * H * hd)), k(static_cast<size_t>(T * KV * hd));
  linear_forward(w.q, x, T, q.data(), p);
  linear_forward(w.k, x, T, k.data(), p);
  float* Kc = cache.k(layer);                         // [capacity, KV, hd]
  float* Vc = cache.v(layer);                         // [capacity, KV, hd]
  linear_forward(w.v, x, T, Vc + pos0 * KV * hd, p);  // values go straight to their cache rows

  // ---- half-split RoPE on every query and key head. The reference casts its f32 cos/sin tables to the
  // activation dtype, so in BF16 they are rounded, and every op of the rotation rounds. ----
  const int64_t half = hd / 2;
  std::vector<float> cs(static_cast<size_t>(half)), sn(static_cast<size_t>(half));
  for (int64_t t = 0; t < T; t++) {
    rope.at(pos0 + t, cs.data(), sn.data());
    float* qt = &q[static_cast<size_t>(t * H * hd)];   // [H, hd]
    float* kt = &k[static_cast<size_t>(t * KV * hd)];  // [KV, hd]
    if (bf) {
      cpu::round_bf16_inplace(cs.data(), half);
      cpu::round_bf16_inplace(sn.data(), half);
      rope_half_split_bf16(qt, H, hd, hd, cs.data(), sn.data());
      rope_half_split_bf16(kt, KV, hd, hd, cs.data(), sn.data());
    } else {
      cpu::rope_half_split(qt, H, hd, hd, cs.data(), sn.data());
      cpu::rope_half_split(kt, KV, hd, hd, cs.data(), sn.data());
    }
  }
  std::memcpy(Kc + pos0 * KV * hd, k.data(), static_cast<size_t>(T * KV * hd) * sizeof(float));

  // ---- causal attention per (token, query head) over K/V head h / g ----
  std::vector<float> o(static_cast<size_t>(T * H * hd));  // [T, H, hd]
  parallel_ranges(T * H, [&](int64_t lo, int64_t hi, int) {
    std::vector<float> sc(static_cast<size_t>(pos0 + T));  // scores [keys]
    for (int64_t th = lo; th < hi; th++) {
      const int64_t t = th / H, kvh = (th % H) / g, n = pos0 + t + 1;  // keys 0..pos0+t
      const float* qh = &q[static_cast<size_t>(th * hd)];
      for (int64_t s = 0; s < n; s++) {
        float d = dot(qh, Kc + (s * KV + kvh) * hd, hd);
        // BF16: the score GEMM returns bf16, and scaling it is a second bf16 op.
        sc[static_cast<size_t>(s)] = bf ? round_bf16(round_bf16(d) * scale) : d * scale;
      }
      cpu::softmax_rows(sc.data(), 1, n, n);  // in f32, as the reference's softmax; probabilities then held in bf16
      if (bf) cpu::round_bf16_inplace(sc.data(), n);
      float* oh = &o[static_cast<size_t>(th * hd)];
      std::fill(oh, oh + hd, 0.0f);
      for (int64_t s = 0; s < n; s++) {
        const float ps = sc[static_cast<size_t>(s)];
        const float* vs = Vc + (s * KV + kvh) * hd;
        for (int64_t d = 0; d < hd; d++) oh[d] += ps * vs[d];
      }
    }
  });
  if (bf) cpu::round_bf16_inplace(o.data(), T * H * hd);
  linear_forward(w.o, o.data(), T, out, p);  // [T, dim]
}

}  // namespace seek
