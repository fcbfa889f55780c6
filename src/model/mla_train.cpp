#include "model/mla_train.h"

#include <algorithm>

#include "kernels/cpu/attention_train.h"
#include "kernels/cpu/rowops.h"

namespace seek {

namespace {
constexpr cpu::RopeStyle kRope = cpu::RopeStyle::Interleaved;  // DeepSeek rotates interleaved pairs

// up (all of it) from x and the saved latents qa (q_lora) and kva.
void mla_up(const MlaWeights& w, const DeepSeekConfig& c, const RowShape& s, const RopeTable& rope, const float* x,
            const MlaActs& a, MlaUp& u, Precision p) {
  const int64_t N = s.rows(), H = c.num_attention_heads, dn = c.qk_nope_head_dim, dr = c.qk_rope_head_dim,
                dqk = c.qk_head_dim(), dv = c.v_head_dim, r = c.kv_lora_rank, qr = c.q_lora_rank;
  const double eps = c.rms_norm_eps;
  u.q.resize(size_t(N * H * dqk));
  if (w.q_lora) {
    u.qa_rstd.resize(size_t(N));
    u.qan.resize(size_t(N * qr));
    cpu::rmsnorm_forward(u.qan.data(), a.qa.data(), w.q_norm.w, N, qr, eps, u.qa_rstd.data());
    linear_fwd(w.wq_b, u.qan.data(), N, u.q.data(), p);  // [N, H*dqk]
  } else {
    linear_fwd(w.wq, x, N, u.q.data(), p);
  }
  cpu::rope(u.q.data(), N, H, dqk, dn, dr, rope.pos.data(), rope.cos.data(), rope.sin.data(), kRope, false);
  u.c_rstd.resize(size_t(N));
  u.cn.resize(size_t(N * r));
  {
    uninit_vector<float> cbuf(static_cast<size_t>(N * r));  // the latent c = kva[:, :r], contiguous
    for (int64_t i = 0; i < N; i++) std::copy_n(&a.kva[size_t(i * (r + dr))], r, &cbuf[size_t(i * r)]);
    cpu::rmsnorm_forward(u.cn.data(), cbuf.data(), w.kv_norm.w, N, r, eps, u.c_rstd.data());
  }
  // per-head [k_nope | v] from the latent; only k and v are kept for backward
  uninit_vector<float> kv(static_cast<size_t>(N * H * (dn + dv)));
  linear_fwd(w.wkv_b, u.cn.data(), N, kv.data(), p);  // [N, H*(dn+dv)]
  u.k.resize(size_t(N * H * dqk));
  u.v.resize(size_t(N * H * dv));
  for (int64_t i = 0; i < N; i++)
    for (int64_t h = 0; h < H; h++) {
      const float* kvh = &kv[size_t((i * H + h) * (dn + dv))];
      float* kh = &u.k[size_t((i * H + h) * dqk)];
      std::copy_n(kvh, dn, kh);
      std::copy_n(&a.kva[size_t(i * (r + dr) + r)], dr, kh + dn);  // the shared rope key
      std::copy_n(kvh + dn, dv, &u.v[size_t((i * H + h) * dv)]);
    }
}

}  // namespace

void mla_fwd(const MlaWeights& w, const DeepSeekConfig& c, const RowShape& s, const RopeTable& rope, const float* x,
             float* out, MlaActs& a, Precision p, const int32_t* segments, bool recompute) {
  const int64_t N = s.rows(), H = c.num_attention_heads, dr = c.qk_rope_head_dim, dqk = c.qk_head_dim(),
                dv = c.v_head_dim, r = c.kv_lora_rank, qr = c.q_lora_rank;
  // the low-rank latents (down-projections), always kept
  if (w.q_lora) {
    a.qa.resize(size_t(N * qr));
    linear_fwd(w.wq_a, x, N, a.qa.data(), p);  // [N, qr]
  }
  a.kva.resize(size_t(N * (r + dr)));
  linear_fwd(w.wkv_a, x, N, a.kva.data(), p);  // [N, r + dr]
  cpu::rope(a.kva.data(), N, 1, r + dr, r, dr, rope.pos.data(), rope.cos.data(), rope.sin.data(), kRope, false);
  mla_up(w, c, s, rope, x, a, a.up, p);
  a.lse.resize(size_t(s.B * H * s.T));
  a.o.resize(size_t(N * H * dv));
  cpu::attention_train_forward(a.o.data(), a.lse.data(), a.up.q.data(), a.up.k.data(), a.up.v.data(), s.B, s.T, H,
                               dqk, dv, c.softmax_scale(), segments);
  linear_fwd(w.wo, a.o.data(), N, out, p);  // [N, D]
  if (recompute) a.up = MlaUp{};  // frees the buffers
}

void mla_bwd(const MlaWeights& w, const DeepSeekConfig& c, const RowShape& s, const RopeTable& rope, const float* x,
             const float* dout, const MlaActs& a, float* dx, bool accumulate_dx, Precision p,
             const int32_t* segments) {
  const int64_t N = s.rows(), H = c.num_attention_heads, dn = c.qk_nope_head_dim, dr = c.qk_rope_head_dim,
                dqk = c.qk_head_dim(), dv = c.v_head_dim, r = c.kv_lora_rank, qr = c.q_lora_rank;
  MlaUp redo;  // what a forward with recompute dropped
  if (a.up.k.empty()) mla_up(w, c, s, rope, x, a, redo, p);
  const MlaUp& u = a.up.k.empty() ? redo : a.up;
  uninit_vector<float> d_o(static_cast<size_t>(N * H * dv));
  linear_bwd(w.wo, a.o.data(), dout, N, d_o.data(), false, p);
  uninit_vector<float> dq(static_cast<size_t>(N * H * dqk)), dk(static_cast<size_t>(N * H * dqk)),
      dvv(static_cast<size_t>(N * H * dv));
  cpu::attention_train_backward(dq.data(), dk.data(), dvv.data(), d_o.data(), a.o.data(), a.lse.data(), u.q.data(),
                                u.k.data(), u.v.data(), s.B, s.T, H, dqk, dv, c.softmax_scale(), segments);
  // back to the latent: dkv per head, and the shared rope key summed over heads
  uninit_vector<float> dkv(static_cast<size_t>(N * H * (dn + dv))), dkva(static_cast<size_t>(N * (r + dr)), 0.0f);
  for (int64_t i = 0; i < N; i++)
    for (int64_t h = 0; h < H; h++) {
      float* d = &dkv[size_t((i * H + h) * (dn + dv))];
      const float* dkh = &dk[size_t((i * H + h) * dqk)];
      std::copy_n(dkh, dn, d);
      std::copy_n(&dvv[size_t((i * H + h) * dv)], dv, d + dn);
      float* dpe = &dkva[size_t(i * (r + dr) + r)];
      for (int64_t j = 0; j < dr; j++) dpe[j] += dkh[dn + j];
    }
  cpu::rope(dkva.data(), N, 1, r + dr, r, dr, rope.pos.data(), rope.cos.data(), rope.sin.data(), kRope, true);
  uninit_vector<float> dcn(static_cast<size_t>(N * r));
  linear_bwd(w.wkv_b, u.cn.data(), dkv.data(), N, dcn.data(), false, p);
  {
    uninit_vector<float> cbuf(static_cast<size_t>(N * r)), dc(static_cast<size_t>(N * r));
    for (int64_t i = 0; i < N; i++) std::copy_n(&a.kva[size_t(i * (r + dr))], r, &cbuf[size_t(i * r)]);
    cpu::rmsnorm_backward(dc.data(), w.kv_norm.g, dcn.data(), cbuf.data(), w.kv_norm.w, u.c_rstd.data(), N, r, false);
    for (int64_t i = 0; i < N; i++) std::copy_n(&dc[size_t(i * r)], r, &dkva[size_t(i * (r + dr))]);
  }
  linear_bwd(w.wkv_a, x, dkva.data(), N, dx, accumulate_dx, p);
  // queries
  cpu::rope(dq.data(), N, H, dqk, dn, dr, rope.pos.data(), rope.cos.data(), rope.sin.data(), kRope, true);
  if (w.q_lora) {
    uninit_vector<float> dqan(static_cast<size_t>(N * qr)), dqa(static_cast<size_t>(N * qr));
    linear_bwd(w.wq_b, u.qan.data(), dq.data(), N, dqan.data(), false, p);
    cpu::rmsnorm_backward(dqa.data(), w.q_norm.g, dqan.data(), a.qa.data(), w.q_norm.w, u.qa_rstd.data(), N, qr, false);
    linear_bwd(w.wq_a, x, dqa.data(), N, dx, true, p);
  } else {
    linear_bwd(w.wq, x, dq.data(), N, dx, true, p);
  }
}

}  // namespace seek
