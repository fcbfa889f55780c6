#include "model/dense_train.h"

#include <cmath>
#include <random>

#include "core/error.h"
#include "formats/checkpoint.h"
#include "kernels/cpu/attention_train.h"
#include "kernels/cpu/rowops.h"
#include "model/lm_head.h"

namespace seek {

struct TrainableDense::BlockActs {
  uninit_vector<float> x;       // [N, D] block input
  uninit_vector<float> n1, r1;  // attn_norm(x) [N, D], its rstd [N]
  uninit_vector<float> q;       // [N, H, hd] after rope
  uninit_vector<float> ke, ve;  // [N, H, hd] K (after rope) and V, each K/V head repeated for its query heads
  uninit_vector<float> lse;     // [B, H, T] attention log-sum-exp per row
  uninit_vector<float> o;       // [N, H*hd] attention output before o_proj
  uninit_vector<float> x1;      // x + attn [N, D]
  uninit_vector<float> n2, r2;  // ffn_norm(x1), rstd
  MlpActs mlp;
};

// What the last forward saw and kept, for its backward.
struct TrainableDense::Workspace {
  std::vector<int32_t> tokens, targets, segments;  // [N] each (segments empty: none)
  int64_t B = 0, T = 0;
  Precision precision = Precision::F32;
  double grad_scale = 1;
  RopeTable rope;  // one table row per activation row
  std::vector<BlockActs> blocks;
  uninit_vector<float> hL, hn, hn_rstd, dhn;  // last hidden [N, D], final norm, its rstd, d(loss)/d(hn)
  std::vector<float> scratch;                 // [D]: the weight gradient of a frozen norm, discarded
  bool backward_ready = false;
  const int32_t* seg() const { return segments.empty() ? nullptr : segments.data(); }
};

TrainableDense::~TrainableDense() = default;

TrainableDense::TrainableDense(const DenseConfig& c)
    : freqs_(dense_rope_frequencies(c)), ws_(std::make_unique<Workspace>()) {
  const DenseSchema schema = dense_schema(c);
  for (const TensorSpec* t : schema.all()) {
    Param& p = ps_.add(*t);
    if (t->role == Role::Norm) std::fill(p.value.begin(), p.value.end(), 1.0f);
  }
  w_ = std::make_shared<DenseWeights>(bind_dense(c, ps_));
  fast_ = std::make_unique<DenseModel>(w_);
}

TrainableDense::TrainableDense(const std::string& base_dir, LoraAdapter& adapter)
    : adapter_(&adapter), ws_(std::make_unique<Workspace>()) {
  const std::string dir = resolve_model_dir(base_dir);
  const DenseConfig c = load_dense_config(dir);
  freqs_ = dense_rope_frequencies(c);
  CheckpointWeights ck(Checkpoint::open(dir));
  LoraSource src(ck, adapter);
  w_ = std::make_shared<DenseWeights>(bind_dense(c, src));  // the Linears keep the checkpoint's memory map alive
  fast_ = std::make_unique<DenseModel>(w_);
}

void TrainableDense::init_random(uint64_t seed, double std) {
  check(!adapter_, "TrainableDense::init_random: the base of a LoRA model is frozen");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, std);
  for (auto& p : ps_.all()) {
    if (p.shape.size() == 1)
      std::fill(p.value.begin(), p.value.end(), p.role == Role::Norm ? 1.0f : 0.0f);
    else
      for (auto& v : p.value) v = float(normal(rng));
  }
}

void TrainableDense::load(const std::string& dir) {
  check(!adapter_, "TrainableDense::load: the base of a LoRA model is loaded by its constructor");
  CheckpointWeights src(Checkpoint::open(dir));
  const DenseSchema schema = dense_schema(config());
  for (const TensorSpec* t : schema.all()) {
    Param& p = ps_.at(t->name);
    if (t->shape.size() == 2) {
      const Linear l = src.matrix(*t);  // stored dtype, converted row by row
      for (int64_t r = 0; r < l.w.rows; r++) l.w.row_f32(r, &p.value[size_t(r * l.w.cols)], false);
    } else {
      const Vec v = src.vector(*t);
      std::copy_n(v.w, p.numel(), p.value.begin());
    }
  }
}

// ---- attention: x [N, D] (normalized) -> out [N, D] ----

void TrainableDense::attn_fwd(const DenseAttention& w, const float* x, float* out, BlockActs& a) {
  const DenseConfig& c = config();
  Workspace& ws = *ws_;
  const int64_t N = ws.B * ws.T, H = c.num_attention_heads, KV = c.num_key_value_heads, hd = c.head_dim,
                g = c.kv_group();
  const Precision p = ws.precision;
  const auto style = cpu::RopeStyle::HalfSplit;
  a.q.resize(size_t(N * H * hd));
  uninit_vector<float> k(size_t(N * KV * hd)), v(size_t(N * KV * hd));
  linear_fwd(w.q, x, N, a.q.data(), p);
  linear_fwd(w.k, x, N, k.data(), p);
  linear_fwd(w.v, x, N, v.data(), p);
  const RopeTable& rt = ws.rope;
  cpu::rope(a.q.data(), N, H, hd, 0, hd, rt.pos.data(), rt.cos.data(), rt.sin.data(), style, false);
  cpu::rope(k.data(), N, KV, hd, 0, hd, rt.pos.data(), rt.cos.data(), rt.sin.data(), style, false);
  a.ke.resize(size_t(N * H * hd));
  a.ve.resize(size_t(N * H * hd));
  for (int64_t r = 0; r < N; r++)
    for (int64_t h = 0; h < H; h++) {  // query head h reads K/V head h / g
      std::copy_n(&k[size_t((r * KV + h / g) * hd)], hd, &a.ke[size_t((r * H + h) * hd)]);
      std::copy_n(&v[size_t((r * KV + h / g) * hd)], hd, &a.ve[size_t((r * H + h) * hd)]);
    }
  a.lse.resize(size_t(ws.B * H * ws.T));
  a.o.resize(size_t(N * H * hd));
  cpu::attention_train_forward(a.o.data(), a.lse.data(), a.q.data(), a.ke.data(), a.ve.data(), ws.B, ws.T, H, hd, hd,
                               1.0 / std::sqrt(double(hd)), ws.seg());
  linear_fwd(w.o, a.o.data(), N, out, p);
}

void TrainableDense::attn_bwd(const DenseAttention& w, const float* dout, float* dx, const BlockActs& a) {
  const DenseConfig& c = config();
  const Workspace& ws = *ws_;
  const int64_t N = ws.B * ws.T, H = c.num_attention_heads, KV = c.num_key_value_heads, hd = c.head_dim,
                g = c.kv_group();
  const Precision p = ws.precision;
  uninit_vector<float> d_o(size_t(N * H * hd)), dq(size_t(N * H * hd)), dke(size_t(N * H * hd)),
      dve(size_t(N * H * hd));
  linear_bwd(w.o, a.o.data(), dout, N, d_o.data(), false, p);
  cpu::attention_train_backward(dq.data(), dke.data(), dve.data(), d_o.data(), a.o.data(), a.lse.data(), a.q.data(), a.ke.data(),
                                a.ve.data(), ws.B, ws.T, H, hd, hd, 1.0 / std::sqrt(double(hd)), ws.seg());
  uninit_vector<float> dk(size_t(N * KV * hd), 0.0f), dv(size_t(N * KV * hd), 0.0f);
  for (int64_t r = 0; r < N; r++)
    for (int64_t h = 0; h < H; h++) {  // the repeated heads' gradients summed back into their K/V head
      float* dkr = &dk[size_t((r * KV + h / g) * hd)];
      float* dvr = &dv[size_t((r * KV + h / g) * hd)];
      for (int64_t d = 0; d < hd; d++) {
        dkr[d] += dke[size_t((r * H + h) * hd + d)];
        dvr[d] += dve[size_t((r * H + h) * hd + d)];
      }
    }
  const RopeTable& rt = ws.rope;
  const auto style = cpu::RopeStyle::HalfSplit;
  cpu::rope(dq.data(), N, H, hd, 0, hd, rt.pos.data(), rt.cos.data(), rt.sin.data(), style, true);
  cpu::rope(dk.data(), N, KV, hd, 0, hd, rt.pos.data(), rt.cos.data(), rt.sin.data(), style, true);
  linear_bwd(w.q, a.n1.data(), dq.data(), N, dx, false, p);
  linear_bwd(w.k, a.n1.data(), dk.data(), N, dx, true, p);
  linear_bwd(w.v, a.n1.data(), dv.data(), N, dx, true, p);
}

// ---- one block: x -> y = x1 + MLP(ffn_norm(x1)), x1 = x + Attn(attn_norm(x)) ----

void TrainableDense::block_fwd(const DenseBlock& w, const float* x, float* y, BlockActs& a) {
  const int64_t N = ws_->B * ws_->T, D = config().hidden_size;
  const double eps = config().rms_norm_eps;
  a.x.assign(x, x + N * D);
  a.n1.resize(size_t(N * D));
  a.r1.resize(size_t(N));
  cpu::rmsnorm_forward(a.n1.data(), x, w.attn_norm.w, N, D, eps, a.r1.data());
  a.x1.resize(size_t(N * D));
  attn_fwd(w.attn, a.n1.data(), a.x1.data(), a);
  for (int64_t i = 0; i < N * D; i++) a.x1[size_t(i)] += x[i];
  a.n2.resize(size_t(N * D));
  a.r2.resize(size_t(N));
  cpu::rmsnorm_forward(a.n2.data(), a.x1.data(), w.ffn_norm.w, N, D, eps, a.r2.data());
  mlp_fwd(w.mlp, a.n2.data(), N, y, a.mlp, ws_->precision);
  for (int64_t i = 0; i < N * D; i++) y[i] += a.x1[size_t(i)];
}

void TrainableDense::block_bwd(const DenseBlock& w, const float* dy, float* dx, const BlockActs& a) {
  const int64_t N = ws_->B * ws_->T, D = config().hidden_size;
  float* scratch = ws_->scratch.data();
  uninit_vector<float> dn(size_t(N * D)), dx1(dy, dy + N * D);  // dx1 starts as the residual path
  mlp_bwd(w.mlp, a.n2.data(), dy, N, a.mlp, dn.data(), false, ws_->precision);
  cpu::rmsnorm_backward(dx1.data(), w.ffn_norm.g ? w.ffn_norm.g : scratch, dn.data(), a.x1.data(), w.ffn_norm.w,
                        a.r2.data(), N, D, true);
  attn_bwd(w.attn, dx1.data(), dn.data(), a);
  std::copy(dx1.begin(), dx1.end(), dx);
  cpu::rmsnorm_backward(dx, w.attn_norm.g ? w.attn_norm.g : scratch, dn.data(), a.x.data(), w.attn_norm.w, a.r1.data(),
                        N, D, true);
}

// ---- the model ----

// Checks and records the batch, then embedding -> blocks -> hL [N, D] -> final norm hn.
void TrainableDense::main_fwd(const TrainBatch& b, Precision p) {
  const DenseConfig& c = config();
  const int64_t D = c.hidden_size, V = c.vocab_size, N = b.rows();
  check(b.B >= 1 && b.T >= 1, "training forward needs at least one token");
  check(b.T <= c.max_position_embeddings, "training rows of " + std::to_string(b.T) +
                                              " tokens exceed the model's max_position_embeddings " +
                                              std::to_string(c.max_position_embeddings));
  for (int64_t i = 0; i < N; i++)
    check(b.tokens[i] >= 0 && b.tokens[i] < V,
          "token id " + std::to_string(b.tokens[i]) + " out of range for vocab_size " + std::to_string(V));
  Workspace& ws = *ws_;
  ws.tokens.assign(b.tokens, b.tokens + N);
  if (b.segments)
    ws.segments.assign(b.segments, b.segments + N);
  else
    ws.segments.clear();
  ws.B = b.B;
  ws.T = b.T;
  ws.precision = p;
  ws.backward_ready = false;
  ws.scratch.assign(size_t(D), 0.0f);
  const std::vector<int32_t> pos = batch_positions(b);
  ws.rope.build(freqs_, pos.data(), N);
  uninit_vector<float> h(size_t(N * D)), h2(size_t(N * D));
  embedding_fwd(w_->embed, b.tokens, N, h.data());
  ws.blocks.resize(w_->blocks.size());
  for (size_t l = 0; l < w_->blocks.size(); l++) {
    block_fwd(w_->blocks[l], h.data(), h2.data(), ws.blocks[l]);
    std::swap(h, h2);
  }
  ws.hL = h;
  ws.hn.resize(size_t(N * D));
  ws.hn_rstd.resize(size_t(N));
  cpu::rmsnorm_forward(ws.hn.data(), ws.hL.data(), w_->norm.w, N, D, c.rms_norm_eps, ws.hn_rstd.data());
}

TrainLoss TrainableDense::forward(const TrainBatch& b, Precision p, double grad_scale, bool backward_follows) {
  main_fwd(b, p);
  Workspace& ws = *ws_;
  const int64_t N = b.rows(), V = config().vocab_size;
  ws.targets = batch_targets(b, V);
  TrainLoss L;
  for (int32_t t : ws.targets) L.count += t >= 0;
  ws.grad_scale = grad_scale;
  ws.backward_ready = backward_follows;
  ws.dhn.resize(backward_follows ? size_t(N * config().hidden_size) : 0);
  L.sum = head_loss(w_->head, ws.hn.data(), ws.targets.data(), N, grad_scale,
                    backward_follows ? ws.dhn.data() : nullptr, p);
  return L;
}

void TrainableDense::backward() {
  check(ws_->backward_ready, "TrainableDense::backward: no forward(..., backward_follows=true) to finish");
  Workspace& ws = *ws_;
  ws.backward_ready = false;
  const int64_t D = config().hidden_size, N = ws.B * ws.T;
  uninit_vector<float> dh(size_t(N * D)), dprev(size_t(N * D));
  cpu::rmsnorm_backward(dh.data(), w_->norm.g ? w_->norm.g : ws.scratch.data(), ws.dhn.data(), ws.hL.data(), w_->norm.w,
                        ws.hn_rstd.data(), N, D, false);
  for (size_t l = w_->blocks.size(); l-- > 0;) {
    block_bwd(w_->blocks[l], dh.data(), dprev.data(), ws.blocks[l]);
    std::swap(dh, dprev);
  }
  embedding_bwd(w_->embed, ws.tokens.data(), N, dh.data());
}

void TrainableDense::logits(const int32_t* tokens, int64_t B, int64_t T, float* out, Precision p) {
  TrainBatch b;
  b.tokens = tokens;
  b.B = B;
  b.T = T;
  main_fwd(b, p);
  linear_fwd(w_->head, ws_->hn.data(), B * T, out, p);
}

}  // namespace seek
