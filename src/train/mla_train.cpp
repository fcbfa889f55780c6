#include "core/uninit_vector.h"
#include "train/mla_train.h"

#include <algorithm>

#include "kernels/cpu/train_ops.h"
#include "model/rope.h"

namespace seek::train {

MlaP make_mla(ParamStore& ps, const std::string& prefix, const DeepSeekConfig& c) {
  const int64_t D = c.hidden_size, H = c.num_attention_heads;
  MlaP w;
  w.q_lora = c.q_lora_rank > 0;
  if (w.q_lora) {
    w.wq_a = make_linear(ps, prefix + ".q_a_proj", c.q_lora_rank, D);
    w.q_norm = make_vector(ps, prefix + ".q_a_layernorm.weight", c.q_lora_rank);
    w.wq_b = make_linear(ps, prefix + ".q_b_proj", H * c.qk_head_dim(), c.q_lora_rank);
  } else {
    w.wq = make_linear(ps, prefix + ".q_proj", H * c.qk_head_dim(), D);
  }
  w.wkv_a = make_linear(ps, prefix + ".kv_a_proj_with_mqa", c.kv_lora_rank + c.qk_rope_head_dim, D);
  w.kv_norm = make_vector(ps, prefix + ".kv_a_layernorm.weight", c.kv_lora_rank);
  w.wkv_b = make_linear(ps, prefix + ".kv_b_proj", H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank);
  w.wo = make_linear(ps, prefix + ".o_proj", D, H * c.v_head_dim);
  return w;
}

void RopeTables::build(const DeepSeekConfig& c, const RowShape& s) {
  const RopeFrequencies f(c);
  const int64_t half = f.half_dim();
  cos.resize(size_t(s.T * half));
  sin.resize(size_t(s.T * half));
  for (int64_t t = 0; t < s.T; t++) f.at(t, &cos[size_t(t * half)], &sin[size_t(t * half)]);
  pos.resize(size_t(s.rows()));
  for (int64_t r = 0; r < s.rows(); r++) pos[size_t(r)] = int32_t(r % s.T);
}

void mla_fwd(const MlaP& w, const DeepSeekConfig& c, const RowShape& s, const RopeTables& rope, const float* x,
             float* out, MlaActs& a, GemmPrecision p) {
  const int64_t N = s.rows(), H = c.num_attention_heads, dn = c.qk_nope_head_dim, dr = c.qk_rope_head_dim,
                dqk = c.qk_head_dim(), dv = c.v_head_dim, r = c.kv_lora_rank, qr = c.q_lora_rank;
  const double eps = c.rms_norm_eps;
  // queries
  a.q.resize(size_t(N * H * dqk));
  if (w.q_lora) {
    a.qa.resize(size_t(N * qr));
    a.qa_rstd.resize(size_t(N));
    a.qan.resize(size_t(N * qr));
    linear_fwd(w.wq_a, x, N, a.qa.data(), p);  // [N, qr]
    cpu::rmsnorm_train_forward(a.qan.data(), a.qa_rstd.data(), a.qa.data(), w.q_norm.w, N, qr, eps);
    linear_fwd(w.wq_b, a.qan.data(), N, a.q.data(), p);  // [N, H*dqk]
  } else {
    linear_fwd(w.wq, x, N, a.q.data(), p);
  }
  cpu::rope_train(a.q.data(), N, H, dqk, dn, dr, rope.pos.data(), rope.cos.data(), rope.sin.data(), false);
  // keys and values from the latent
  a.kva.resize(size_t(N * (r + dr)));
  linear_fwd(w.wkv_a, x, N, a.kva.data(), p);  // [N, r + dr]
  cpu::rope_train(a.kva.data(), N, 1, r + dr, r, dr, rope.pos.data(), rope.cos.data(), rope.sin.data(), false);
  a.c_rstd.resize(size_t(N));
  a.cn.resize(size_t(N * r));
  {
    uninit_vector<float> cbuf(static_cast<size_t>(N * r));  // the latent c = kva[:, :r], contiguous
    for (int64_t i = 0; i < N; i++) std::copy_n(&a.kva[size_t(i * (r + dr))], r, &cbuf[size_t(i * r)]);
    cpu::rmsnorm_train_forward(a.cn.data(), a.c_rstd.data(), cbuf.data(), w.kv_norm.w, N, r, eps);
  }
  a.kv.resize(size_t(N * H * (dn + dv)));
  linear_fwd(w.wkv_b, a.cn.data(), N, a.kv.data(), p);  // [N, H*(dn+dv)]
  a.k.resize(size_t(N * H * dqk));
  a.v.resize(size_t(N * H * dv));
  for (int64_t i = 0; i < N; i++)
    for (int64_t h = 0; h < H; h++) {
      const float* kvh = &a.kv[size_t((i * H + h) * (dn + dv))];
      float* kh = &a.k[size_t((i * H + h) * dqk)];
      std::copy_n(kvh, dn, kh);
      std::copy_n(&a.kva[size_t(i * (r + dr) + r)], dr, kh + dn);  // the shared rope key
      std::copy_n(kvh + dn, dv, &a.v[size_t((i * H + h) * dv)]);
    }
  a.p.resize(size_t(s.B * H * s.T * s.T));
  a.o.resize(size_t(N * H * dv));
  cpu::attention_train_forward(a.o.data(), a.p.data(), a.q.data(), a.k.data(), a.v.data(), s.B, s.T, H, dqk, dv,
                               c.softmax_scale());
  linear_fwd(w.wo, a.o.data(), N, out, p);  // [N, D]
}

void mla_bwd(const MlaP& w, const DeepSeekConfig& c, const RowShape& s, const RopeTables& rope, const float* x,
             const float* dout, const MlaActs& a, float* dx, bool accumulate_dx, GemmPrecision p) {
  const int64_t N = s.rows(), H = c.num_attention_heads, dn = c.qk_nope_head_dim, dr = c.qk_rope_head_dim,
                dqk = c.qk_head_dim(), dv = c.v_head_dim, r = c.kv_lora_rank, qr = c.q_lora_rank;
  uninit_vector<float> d_o(static_cast<size_t>(N * H * dv));
  linear_bwd(w.wo, a.o.data(), dout, N, d_o.data(), false, p);
  uninit_vector<float> dq(static_cast<size_t>(N * H * dqk)), dk(static_cast<size_t>(N * H * dqk)),
      dvv(static_cast<size_t>(N * H * dv));
  cpu::attention_train_backward(dq.data(), dk.data(), dvv.data(), d_o.data(), a.p.data(), a.q.data(), a.k.data(),
                                a.v.data(), s.B, s.T, H, dqk, dv, c.softmax_scale());
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
  cpu::rope_train(dkva.data(), N, 1, r + dr, r, dr, rope.pos.data(), rope.cos.data(), rope.sin.data(), true);
  uninit_vector<float> dcn(static_cast<size_t>(N * r));
  linear_bwd(w.wkv_b, a.cn.data(), dkv.data(), N, dcn.data(), false, p);
  {
    uninit_vector<float> cbuf(static_cast<size_t>(N * r)), dc(static_cast<size_t>(N * r));
    for (int64_t i = 0; i < N; i++) std::copy_n(&a.kva[size_t(i * (r + dr))], r, &cbuf[size_t(i * r)]);
    cpu::rmsnorm_train_backward(dc.data(), w.kv_norm.g, dcn.data(), cbuf.data(), w.kv_norm.w, a.c_rstd.data(), N, r,
                                false);
    for (int64_t i = 0; i < N; i++) std::copy_n(&dc[size_t(i * r)], r, &dkva[size_t(i * (r + dr))]);
  }
  linear_bwd(w.wkv_a, x, dkva.data(), N, dx, accumulate_dx, p);
  // queries
  cpu::rope_train(dq.data(), N, H, dqk, dn, dr, rope.pos.data(), rope.cos.data(), rope.sin.data(), true);
  if (w.q_lora) {
    uninit_vector<float> dqan(static_cast<size_t>(N * qr)), dqa(static_cast<size_t>(N * qr));
    linear_bwd(w.wq_b, a.qan.data(), dq.data(), N, dqan.data(), false, p);
    cpu::rmsnorm_train_backward(dqa.data(), w.q_norm.g, dqan.data(), a.qa.data(), w.q_norm.w, a.qa_rstd.data(), N, qr,
                                false);
    linear_bwd(w.wq_a, x, dqa.data(), N, dx, true, p);
  } else {
    linear_bwd(w.wq, x, dq.data(), N, dx, true, p);
  }
}

}  // namespace seek::train
