#include "model/mla.h"

#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/elementwise.h"

namespace seek {

MlaWeights load_mla(const Checkpoint& ck, const std::string& prefix, const DeepSeekConfig& c) {
  MlaWeights w;
  const int64_t D = c.hidden_size, H = c.num_attention_heads, b = c.fp8_block;
  if (c.q_lora_rank > 0) {
    w.wq_a = load_linear(ck, prefix + ".q_a_proj", c.q_lora_rank, D, b);
    w.q_norm = load_vector_f32(ck, prefix + ".q_a_layernorm.weight", c.q_lora_rank);
    w.wq_b = load_linear(ck, prefix + ".q_b_proj", H * c.qk_head_dim(), c.q_lora_rank, b);
  } else {
    w.wq = load_linear(ck, prefix + ".q_proj", H * c.qk_head_dim(), D, b);
  }
  w.wkv_a = load_linear(ck, prefix + ".kv_a_proj_with_mqa", c.kv_lora_rank + c.qk_rope_head_dim, D, b);
  w.kv_norm = load_vector_f32(ck, prefix + ".kv_a_layernorm.weight", c.kv_lora_rank);
  w.wkv_b = load_linear(ck, prefix + ".kv_b_proj", H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank, b);
  w.wo = load_linear(ck, prefix + ".o_proj", D, H * c.v_head_dim, b);
  return w;
}

namespace {

float dot(const float* a, const float* b, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// softmax over scores[0..n), rounding scores and probabilities to bf16 where the reference holds them in bf16.
void attention_probs(float* scores, int64_t n, bool bf) {
  if (bf) cpu::round_bf16_inplace(scores, n);
  cpu::softmax_rows(scores, 1, n, n);
  if (bf) cpu::round_bf16_inplace(scores, n);
}

}  // namespace

void mla_forward(const MlaWeights& w, const DeepSeekConfig& c, const RopeFrequencies& rope, int64_t layer,
                 const float* x, int64_t T, KVCache& cache, float* out, Precision p) {
  const int64_t H = c.num_attention_heads, nope = c.qk_nope_head_dim, rd = c.qk_rope_head_dim;
  const int64_t qkd = nope + rd, vd = c.v_head_dim, kvr = c.kv_lora_rank;
  const bool bf = p == Precision::BF16;
  const float eps = float(c.rms_norm_eps), scale = float(c.softmax_scale());
  const int64_t pos0 = cache.len();
  cache.reserve(pos0 + T);

  // ---- queries: q [T, H, qkd], each head [q_nope | q_pe] ----
  std::vector<float> q(size_t(T * H * qkd));
  if (c.q_lora_rank > 0) {
    std::vector<float> cq(size_t(T * c.q_lora_rank));
    linear_forward(w.wq_a, x, T, cq.data(), p);  // [T, q_lora]
    cpu::rmsnorm_forward(cq.data(), cq.data(), w.q_norm.f32(), T, c.q_lora_rank, eps, bf);
    linear_forward(w.wq_b, cq.data(), T, q.data(), p);  // [T, H*qkd]
  } else {
    linear_forward(w.wq, x, T, q.data(), p);
  }

  // ---- latent keys/values: kv [T, kvr + rd] = [c_kv | k_pe] ----
  std::vector<float> kv(size_t(T * (kvr + rd)));
  linear_forward(w.wkv_a, x, T, kv.data(), p);
  std::vector<float> ckv(size_t(T * kvr)), kpe(size_t(T * rd));  // [T, kvr], [T, rd]
  for (int64_t t = 0; t < T; t++) {
    std::memcpy(&ckv[size_t(t * kvr)], &kv[size_t(t * (kvr + rd))], size_t(kvr) * 4);
    std::memcpy(&kpe[size_t(t * rd)], &kv[size_t(t * (kvr + rd) + kvr)], size_t(rd) * 4);
  }
  cpu::rmsnorm_forward(ckv.data(), ckv.data(), w.kv_norm.f32(), T, kvr, eps, bf);  // kv_norm on c_kv only

  // ---- rotary embedding on q_pe (per head) and the shared k_pe, in f32 ----
  std::vector<float> cs(size_t(rd / 2)), sn(size_t(rd / 2));
  for (int64_t t = 0; t < T; t++) {
    rope.at(pos0 + t, cs.data(), sn.data());
    cpu::rope_interleaved(&q[size_t(t * H * qkd + nope)], H, qkd, rd, cs.data(), sn.data());
    cpu::rope_interleaved(&kpe[size_t(t * rd)], 1, rd, rd, cs.data(), sn.data());
  }
  if (bf) {
    cpu::round_bf16_inplace(q.data(), T * H * qkd);
    cpu::round_bf16_inplace(kpe.data(), T * rd);
  }

  std::vector<float> o(size_t(T * H * vd));  // attention output per head [T, H, vd]
  if (cache.form() == AttnForm::Naive) {
    // ---- naive: materialize per-head k = [k_nope | k_pe] and v from the latent ----
    std::vector<float> kvb(size_t(T * H * (nope + vd)));  // [T, H, nope + vd]
    linear_forward(w.wkv_b, ckv.data(), T, kvb.data(), p);
    float* K = cache.a(layer);  // [S, H, qkd]
    float* V = cache.b(layer);  // [S, H, vd]
    for (int64_t t = 0; t < T; t++)
      for (int64_t h = 0; h < H; h++) {
        const float* src = &kvb[size_t((t * H + h) * (nope + vd))];
        float* k = K + ((pos0 + t) * H + h) * qkd;
        std::memcpy(k, src, size_t(nope) * 4);
        std::memcpy(k + nope, &kpe[size_t(t * rd)], size_t(rd) * 4);
        std::memcpy(V + ((pos0 + t) * H + h) * vd, src + nope, size_t(vd) * 4);
      }
    parallel_ranges(T * H, [&](int64_t lo, int64_t hi, int) {
      std::vector<float> sc(size_t(pos0 + T));
      for (int64_t th = lo; th < hi; th++) {
        const int64_t t = th / H, h = th % H, n = pos0 + t + 1;  // causal: keys 0..pos0+t
        const float* qh = &q[size_t(th * qkd)];
        for (int64_t s = 0; s < n; s++) sc[size_t(s)] = dot(qh, K + (s * H + h) * qkd, qkd) * scale;
        attention_probs(sc.data(), n, bf);
        float* oh = &o[size_t(th * vd)];
        std::fill(oh, oh + vd, 0.0f);
        for (int64_t s = 0; s < n; s++) {
          const float* vs = V + (s * H + h) * vd;
          for (int64_t d = 0; d < vd; d++) oh[d] += sc[size_t(s)] * vs[d];
        }
      }
    });
  } else {
    // ---- absorbed: attend in the latent space; W_UK folds into q, W_UV into the output ----
    float* Lc = cache.a(layer);   // [S, kvr]
    float* PEc = cache.b(layer);  // [S, rd]
    std::memcpy(Lc + pos0 * kvr, ckv.data(), size_t(T * kvr) * 4);
    std::memcpy(PEc + pos0 * rd, kpe.data(), size_t(T * rd) * 4);
    std::vector<float> qa(size_t(T * H * kvr), 0.0f);    // q_abs [T, H, kvr] = q_nope · W_UK[h]
    std::vector<float> olat(size_t(T * H * kvr), 0.0f);  // o_lat [T, H, kvr]
    parallel_for(0, H, [&](int64_t h) {
      std::vector<float> row(static_cast<size_t>(kvr));
      for (int64_t d = 0; d < nope; d++) {
        w.wkv_b.w.row_f32(h * (nope + vd) + d, row.data(), bf);  // W_UK[h, d, :]
        for (int64_t t = 0; t < T; t++) {
          float qd = q[size_t((t * H + h) * qkd + d)];
          float* dst = &qa[size_t((t * H + h) * kvr)];
          for (int64_t k = 0; k < kvr; k++) dst[k] += qd * row[size_t(k)];
        }
      }
    });
    if (bf) cpu::round_bf16_inplace(qa.data(), T * H * kvr);
    parallel_ranges(T * H, [&](int64_t lo, int64_t hi, int) {
      std::vector<float> sc(size_t(pos0 + T));
      for (int64_t th = lo; th < hi; th++) {
        const int64_t t = th / H, n = pos0 + t + 1;
        const float* qah = &qa[size_t(th * kvr)];
        const float* qpe = &q[size_t(th * qkd + nope)];
        for (int64_t s = 0; s < n; s++)
          sc[size_t(s)] = (dot(qah, Lc + s * kvr, kvr) + dot(qpe, PEc + s * rd, rd)) * scale;
        attention_probs(sc.data(), n, bf);
        float* ol = &olat[size_t(th * kvr)];
        for (int64_t s = 0; s < n; s++) {
          const float* ls = Lc + s * kvr;
          for (int64_t k = 0; k < kvr; k++) ol[k] += sc[size_t(s)] * ls[k];
        }
      }
    });
    if (bf) cpu::round_bf16_inplace(olat.data(), T * H * kvr);
    parallel_for(0, H, [&](int64_t h) {
      std::vector<float> row(static_cast<size_t>(kvr));
      for (int64_t d = 0; d < vd; d++) {
        w.wkv_b.w.row_f32(h * (nope + vd) + nope + d, row.data(), bf);  // W_UV[h, d, :]
        for (int64_t t = 0; t < T; t++)
          o[size_t((t * H + h) * vd + d)] = dot(&olat[size_t((t * H + h) * kvr)], row.data(), kvr);
      }
    });
  }
  if (bf) cpu::round_bf16_inplace(o.data(), T * H * vd);
  linear_forward(w.wo, o.data(), T, out, p);  // [T, dim]
}

}  // namespace seek
