#include "model/mla.h"

#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/rowops.h"
#include "kernels/cpu/vec.h"

namespace seek {

MlaWeights bind_mla(WeightSource& src, const MlaSpec& s) {
  MlaWeights w;
  w.q_lora = s.q_a_proj.has_value();
  if (w.q_lora) {
    w.wq_a = src.matrix(*s.q_a_proj);
    w.q_norm = src.vector(*s.q_a_norm);
    w.wq_b = src.matrix(*s.q_b_proj);
  } else {
    w.wq = src.matrix(*s.q_proj);
  }
  w.wkv_a = src.matrix(s.kv_a_proj);
  w.kv_norm = src.vector(s.kv_a_norm);
  w.wkv_b = src.matrix(s.kv_b_proj);
  w.wo = src.matrix(s.o_proj);
  return w;
}

namespace {

struct Dims {
  int64_t H, nope, rd, qkd, vd, kvr;
  explicit Dims(const DeepSeekConfig& c)
      : H(c.num_attention_heads),
        nope(c.qk_nope_head_dim),
        rd(c.qk_rope_head_dim),
        qkd(c.qk_head_dim()),
        vd(c.v_head_dim),
        kvr(c.kv_lora_rank) {}
};

// q [N, H, qkd] (each head [q_nope | q_pe], q_pe rotated) and the latent c_kv [N, kvr] (normalized), k_pe [N, rd]
// (rotated); in BF16 rounded where the reference holds bf16 tensors.
void project(const MlaWeights& w, const DeepSeekConfig& c, const Dims& d, const RopeTable& rope, const float* x,
             int64_t N, float* q, float* ckv, float* kpe, Precision p) {
  const bool bf = p == Precision::BF16;
  const double eps = c.rms_norm_eps;
  if (w.q_lora) {
    std::vector<float> cq(size_t(N * c.q_lora_rank));
    linear_forward(w.wq_a, x, N, cq.data(), p);  // [N, q_lora]
    cpu::rmsnorm_forward(cq.data(), cq.data(), w.q_norm.w, N, c.q_lora_rank, eps, (float*)nullptr, bf);
    linear_forward(w.wq_b, cq.data(), N, q, p);  // [N, H*qkd]
  } else {
    linear_forward(w.wq, x, N, q, p);
  }
  std::vector<float> kv(size_t(N * (d.kvr + d.rd)));  // [N, kvr + rd] = [c_kv | k_pe]
  linear_forward(w.wkv_a, x, N, kv.data(), p);
  for (int64_t t = 0; t < N; t++) {
    std::memcpy(ckv + t * d.kvr, &kv[size_t(t * (d.kvr + d.rd))], size_t(d.kvr) * 4);
    std::memcpy(kpe + t * d.rd, &kv[size_t(t * (d.kvr + d.rd) + d.kvr)], size_t(d.rd) * 4);
  }
  cpu::rmsnorm_forward(ckv, ckv, w.kv_norm.w, N, d.kvr, eps, (float*)nullptr, bf);  // kv_norm on c_kv only
  // rotary embedding on q_pe (per head) and the shared k_pe, in f32
  const auto style = cpu::RopeStyle::Interleaved;
  cpu::rope(q, N, d.H, d.qkd, d.nope, d.rd, rope.pos.data(), rope.cos.data(), rope.sin.data(), style);
  cpu::rope(kpe, N, 1, d.rd, 0, d.rd, rope.pos.data(), rope.cos.data(), rope.sin.data(), style);
  if (bf) {
    cpu::round_bf16_inplace(q, N * d.H * d.qkd);
    cpu::round_bf16_inplace(kpe, N * d.rd);
  }
}

// Naive form: per-head k = [k_nope | k_pe] and v materialized from the latent into the caches, then attention.
void attend_naive(const MlaWeights& w, const Dims& d, float scale, const float* q, const float* ckv, const float* kpe,
                  int64_t N, int64_t layer, const std::vector<SeqRows>& seqs, float* o, Precision p) {
  const bool bf = p == Precision::BF16;
  std::vector<float> kvb(size_t(N * d.H * (d.nope + d.vd)));  // [N, H, nope + vd]
  linear_forward(w.wkv_b, ckv, N, kvb.data(), p);
  for (const SeqRows& s : seqs) {
    const int64_t pos0 = s.cache->len();
    float* K = s.cache->a(layer);  // [S, H, qkd]
    float* V = s.cache->b(layer);  // [S, H, vd]
    for (int64_t j = 0; j < s.n; j++)
      for (int64_t h = 0; h < d.H; h++) {
        const int64_t t = s.first + j;
        const float* src = &kvb[size_t((t * d.H + h) * (d.nope + d.vd))];
        float* k = K + ((pos0 + j) * d.H + h) * d.qkd;
        std::memcpy(k, src, size_t(d.nope) * 4);
        std::memcpy(k + d.nope, kpe + t * d.rd, size_t(d.rd) * 4);
        std::memcpy(V + ((pos0 + j) * d.H + h) * d.vd, src + d.nope, size_t(d.vd) * 4);
      }
    cpu::attention_heads(o + s.first * d.H * d.vd, q + s.first * d.H * d.qkd, K, V, s.n, pos0, d.H, d.H, d.qkd, d.vd,
                         scale, bf ? cpu::AttnRounding::MlaBf16 : cpu::AttnRounding::None);
  }
}

// Many rows (a prompt) in f32: the two absorbed projections as one GEMM per head instead of a dot or axpy per row.
// W_UK[h] is transposed to [kvr, nope] once per call (H * nope * kvr floats, small beside N rows of work).
constexpr int64_t kGemmRows = 16;

// qa[t, h, :] = q_nope[t, h, :] . W_UK[h]   (q [N, H, qkd], qa [N, H, kvr])
void absorb_queries_gemm(const MlaWeights& w, const Dims& d, const float* q, int64_t N, float* qa) {
  std::vector<float> wk(static_cast<size_t>(d.nope * d.kvr)), wkt(static_cast<size_t>(d.kvr * d.nope));
  std::vector<float> x(static_cast<size_t>(N * d.nope)), y(static_cast<size_t>(N * d.kvr));
  for (int64_t h = 0; h < d.H; h++) {
    for (int64_t i = 0; i < d.nope; i++) w.wkv_b.w.row_f32(h * (d.nope + d.vd) + i, &wk[size_t(i * d.kvr)], false);
    for (int64_t i = 0; i < d.nope; i++)
      for (int64_t j = 0; j < d.kvr; j++) wkt[size_t(j * d.nope + i)] = wk[size_t(i * d.kvr + j)];
    for (int64_t t = 0; t < N; t++) std::memcpy(&x[size_t(t * d.nope)], q + (t * d.H + h) * d.qkd, size_t(d.nope) * 4);
    cpu::matmul(y.data(), x.data(), N, WeightRef{DType::F32, wkt.data(), d.kvr, d.nope}, Precision::F32);
    for (int64_t t = 0; t < N; t++) std::memcpy(qa + (t * d.H + h) * d.kvr, &y[size_t(t * d.kvr)], size_t(d.kvr) * 4);
  }
}

// o[t, h, :] = olat[t, h, :] . W_UV[h]^T   (olat [N, H, kvr], o [N, H, vd])
void expand_values_gemm(const MlaWeights& w, const Dims& d, const float* olat, int64_t N, float* o) {
  std::vector<float> wv(static_cast<size_t>(d.vd * d.kvr));
  std::vector<float> x(static_cast<size_t>(N * d.kvr)), y(static_cast<size_t>(N * d.vd));
  for (int64_t h = 0; h < d.H; h++) {
    for (int64_t i = 0; i < d.vd; i++)
      w.wkv_b.w.row_f32(h * (d.nope + d.vd) + d.nope + i, &wv[size_t(i * d.kvr)], false);
    for (int64_t t = 0; t < N; t++) std::memcpy(&x[size_t(t * d.kvr)], olat + (t * d.H + h) * d.kvr, size_t(d.kvr) * 4);
    cpu::matmul(y.data(), x.data(), N, WeightRef{DType::F32, wv.data(), d.vd, d.kvr}, Precision::F32);
    for (int64_t t = 0; t < N; t++) std::memcpy(o + (t * d.H + h) * d.vd, &y[size_t(t * d.vd)], size_t(d.vd) * 4);
  }
}

// Absorbed form: W_UK folds into the queries (q_lat = q_nope . W_UK[h]), attention runs over the cached latents,
// and W_UV maps the latent output back (o = o_lat . W_UV[h]^T).
void attend_absorbed(const MlaWeights& w, const Dims& d, float scale, const float* q, const float* ckv,
                     const float* kpe, int64_t N, int64_t layer, const std::vector<SeqRows>& seqs, float* o,
                     Precision p) {
  const bool bf = p == Precision::BF16;
  std::vector<float> qa(size_t(N * d.H * d.kvr), 0.0f);    // q_lat [N, H, kvr]
  std::vector<float> olat(size_t(N * d.H * d.kvr), 0.0f);  // o_lat [N, H, kvr]
  const bool gemm = !bf && N >= kGemmRows;                 // bf16 keeps the reference's per-row rounding order
  if (gemm) absorb_queries_gemm(w, d, q, N, qa.data());
  if (!gemm)
    parallel_for(0, d.H, [&](int64_t h) {
      std::vector<float> row(size_t(d.kvr));
      for (int64_t i = 0; i < d.nope; i++) {
        w.wkv_b.w.row_f32(h * (d.nope + d.vd) + i, row.data(), bf);  // W_UK[h, i, :]
        for (int64_t t = 0; t < N; t++)
          cpu::axpy(&qa[size_t((t * d.H + h) * d.kvr)], q[(t * d.H + h) * d.qkd + i], row.data(), d.kvr);
      }
    });
  if (bf) cpu::round_bf16_inplace(qa.data(), N * d.H * d.kvr);
  for (const SeqRows& s : seqs) {
    const int64_t pos0 = s.cache->len();
    float* L = s.cache->a(layer);   // [S, kvr]
    float* PE = s.cache->b(layer);  // [S, rd]
    std::memcpy(L + pos0 * d.kvr, ckv + s.first * d.kvr, size_t(s.n * d.kvr) * 4);
    std::memcpy(PE + pos0 * d.rd, kpe + s.first * d.rd, size_t(s.n * d.rd) * 4);
    if (gemm && s.n >= kGemmRows)
      cpu::attention_latent_gemm(&olat[size_t(s.first * d.H * d.kvr)], &qa[size_t(s.first * d.H * d.kvr)],
                                 q + s.first * d.H * d.qkd + d.nope, d.qkd, L, PE, s.n, pos0, d.H, d.kvr, d.rd, scale);
    else
      cpu::attention_latent(&olat[size_t(s.first * d.H * d.kvr)], &qa[size_t(s.first * d.H * d.kvr)],
                            q + s.first * d.H * d.qkd + d.nope, d.qkd, L, PE, s.n, pos0, d.H, d.kvr, d.rd, scale,
                            bf ? cpu::AttnRounding::MlaBf16 : cpu::AttnRounding::None);
  }
  if (bf) cpu::round_bf16_inplace(olat.data(), N * d.H * d.kvr);
  if (gemm) return expand_values_gemm(w, d, olat.data(), N, o);
  parallel_for(0, d.H, [&](int64_t h) {
    std::vector<float> row(size_t(d.kvr));
    for (int64_t i = 0; i < d.vd; i++) {
      w.wkv_b.w.row_f32(h * (d.nope + d.vd) + d.nope + i, row.data(), bf);  // W_UV[h, i, :]
      for (int64_t t = 0; t < N; t++)
        o[(t * d.H + h) * d.vd + i] = cpu::dot(&olat[size_t((t * d.H + h) * d.kvr)], row.data(), d.kvr);
    }
  });
}

}  // namespace

void mla_forward(const MlaWeights& w, const DeepSeekConfig& c, const RopeTable& rope, int64_t layer, const float* x,
                 int64_t N, const std::vector<SeqRows>& seqs, float* out, Precision p) {
  const Dims d(c);
  const float scale = float(c.softmax_scale());
  for (const SeqRows& s : seqs) s.cache->reserve(s.cache->len() + s.n);
  std::vector<float> q(size_t(N * d.H * d.qkd)), ckv(size_t(N * d.kvr)), kpe(size_t(N * d.rd));
  project(w, c, d, rope, x, N, q.data(), ckv.data(), kpe.data(), p);
  std::vector<float> o(size_t(N * d.H * d.vd));  // attention output per head [N, H, vd]
  check(!seqs.empty(), "mla_forward: no sequences");
  if (seqs[0].cache->form() == AttnForm::Naive)
    attend_naive(w, d, scale, q.data(), ckv.data(), kpe.data(), N, layer, seqs, o.data(), p);
  else
    attend_absorbed(w, d, scale, q.data(), ckv.data(), kpe.data(), N, layer, seqs, o.data(), p);
  if (p == Precision::BF16) cpu::round_bf16_inplace(o.data(), N * d.H * d.vd);
  linear_forward(w.wo, o.data(), N, out, p);  // [N, dim]
}

}  // namespace seek
