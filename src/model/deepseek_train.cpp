#include "model/deepseek_train.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"
#include "formats/checkpoint.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/rowops.h"
#include "model/lm_head.h"

namespace seek {

struct TrainableDeepSeek::BlockActs {
  uninit_vector<float> x;       // [N, D] block input
  uninit_vector<float> n1, r1;  // attn_norm(x) [N, D], its rstd [N]
  MlaActs attn;
  uninit_vector<float> x1;      // x + attn [N, D]
  uninit_vector<float> n2, r2;  // ffn_norm(x1), rstd
  MlpActs mlp;
  MoeActs moe;
};

struct TrainableDeepSeek::MtpActs {
  uninit_vector<float> e, en, e_rstd;  // [Nk, D] embeddings of t_{i+k}, enorm(e), rstd
  uninit_vector<float> h, hn, h_rstd;  // [Nk, D] previous hidden rows, hnorm(h), rstd
  uninit_vector<float> cat;            // [Nk, 2D]
  uninit_vector<float> out;            // [Nk, D] block output h^k
  uninit_vector<float> on, o_rstd;     // shared_head.norm(h^k), rstd
  uninit_vector<float> dhead;          // [Nk, D] d(loss)/d(on), from the fused head pass
  std::vector<int32_t> emb_ids, targets;
  BlockActs block;
  int64_t count = 0;  // predictions
};

// What the last forward saw and kept, for its backward.
struct TrainableDeepSeek::Workspace {
  std::vector<int32_t> tokens;    // [B, T]
  std::vector<int32_t> segments;  // [B, T] sample ids of packed rows; empty: one sample per sequence
  RowShape s;
  LossOptions opt;
  double grad_scale = 1;
  int64_t depth = 0;  // MTP modules run
  std::vector<BlockActs> blocks;
  uninit_vector<float> hL, hn, hn_rstd, dhn;  // last hidden [N, D], final norm, its rstd, d(loss)/d(hn)
  std::vector<int32_t> targets;
  std::vector<MtpActs> mtp;
  bool backward_ready = false;
  const int32_t* seg() const { return segments.empty() ? nullptr : segments.data(); }
};

TrainableDeepSeek::~TrainableDeepSeek() = default;

TrainableDeepSeek::TrainableDeepSeek(const DeepSeekConfig& c) : cfg_(c), freqs_(c), ws_(std::make_unique<Workspace>()) {
  const DeepSeekSchema schema = deepseek_schema(c);
  for (const TensorSpec* t : schema.all()) {
    Param& p = ps_.add(*t);
    if (t->role == Role::Norm) std::fill(p.value.begin(), p.value.end(), 1.0f);
  }
  w_ = std::make_shared<DeepSeekWeights>(bind_deepseek(c, ps_, "trainable model", /*require_mtp=*/true));
  fast_ = std::make_unique<DeepSeekModel>(w_);
  auto add_load_row = [&](const BlockWeights& b) {
    load_row_.push_back(b.is_moe ? int64_t(load_.size()) : -1);
    if (b.is_moe) load_.emplace_back(size_t(c.n_routed_experts), 0);
  };
  for (const BlockWeights& b : w_->blocks) add_load_row(b);
  for (const MtpWeights& m : w_->mtp) add_load_row(m.block);
}

const DeepSeekModel& TrainableDeepSeek::bf16_inference_model() {
  if (!fast_bf16_) {
    bf16_ = std::make_unique<Bf16Mirror>(ps_);
    fast_bf16_ = std::make_unique<DeepSeekModel>(
        std::make_shared<const DeepSeekWeights>(bind_deepseek(cfg_, *bf16_, "bf16 copy", /*require_mtp=*/true)));
  }
  return *fast_bf16_;
}

void TrainableDeepSeek::refresh_bf16() {
  if (bf16_) bf16_->refresh();
}

namespace {
void mark_fp8(Mlp& m, bool on) { m.gate.fp8 = m.up.fp8 = m.down.fp8 = on; }
void mark_fp8(BlockWeights& b, bool on) {
  MlaWeights& a = b.attn;
  a.wq.fp8 = a.wq_a.fp8 = a.wq_b.fp8 = a.wkv_a.fp8 = a.wkv_b.fp8 = a.wo.fp8 = on;
  mark_fp8(b.mlp, on);
  for (Mlp& e : b.moe.experts) mark_fp8(e, on);
  mark_fp8(b.moe.shared, on);
}
}  // namespace

void TrainableDeepSeek::set_fp8_linears(bool on) {
  for (BlockWeights& b : w_->blocks) mark_fp8(b, on);
  for (MtpWeights& m : w_->mtp) {
    m.eh_proj.fp8 = on;
    mark_fp8(m.block, on);
  }
}

void TrainableDeepSeek::init_random(uint64_t seed, double std) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, std);
  for (auto& p : ps_.all()) {
    if (p.shape.size() == 1)
      std::fill(p.value.begin(), p.value.end(), p.role == Role::Norm ? 1.0f : 0.0f);
    else
      for (auto& v : p.value) v = float(normal(rng));
  }
}

void TrainableDeepSeek::load(const std::string& dir) {
  CheckpointWeights src(Checkpoint::open(dir), cfg_.fp8_block);
  const DeepSeekSchema schema = deepseek_schema(cfg_);
  for (const TensorSpec* t : schema.all()) {
    Param& p = ps_.at(t->name);
    if (!t->required && !src.has(*t)) continue;  // an MTP module's copy of the head: filled from lm_head below
    if (t->shape.size() == 2) {
      const Linear l = src.matrix(*t);  // stored dtype; fp8 dequantized row by row with its block scales
      for (int64_t r = 0; r < l.w.rows; r++) l.w.row_f32(r, &p.value[size_t(r * l.w.cols)], false);
    } else {
      const Vec v = src.vector(*t);
      std::copy_n(v.w, p.numel(), p.value.begin());
    }
  }
  // V3's MTP modules share the main output head; a checkpoint that leaves their copy out means that copy.
  const std::string& head = schema.head ? schema.head->name : schema.embed.name;
  for (const TensorSpec* t : schema.all())
    if (!t->required && !src.has(*t) && t->role == Role::Head) ps_.at(t->name).value = ps_.at(head).value;
}

std::vector<std::string> TrainableDeepSeek::moe_layer_names() const {
  std::vector<std::string> names(load_.size());
  const size_t L = w_->blocks.size();
  for (size_t i = 0; i < load_row_.size(); i++)
    if (load_row_[i] >= 0)
      names[size_t(load_row_[i])] = i < L ? "layer " + std::to_string(i) : "mtp " + std::to_string(i - L + 1);
  return names;
}

double TrainableDeepSeek::load_max_over_mean() const {
  double worst = 0;
  for (const auto& l : load_) {
    int64_t sum = 0, mx = 0;
    for (int64_t v : l) sum += v, mx = std::max(mx, v);
    if (sum > 0) worst = std::max(worst, double(mx) * double(l.size()) / double(sum));
  }
  return worst;
}

void TrainableDeepSeek::update_selection_bias(double gamma) {
  auto update = [&](const BlockWeights& b, int64_t row) {
    if (!b.is_moe || !b.moe.bias.defined()) return;
    const auto& l = load_[size_t(row)];
    double mean = 0;
    for (int64_t v : l) mean += double(v);
    mean /= double(l.size());
    for (size_t i = 0; i < l.size(); i++) {
      const double d = mean - double(l[i]);
      b.moe.bias.w[i] += float(gamma * double((d > 0) - (d < 0)));
    }
  };
  const size_t L = w_->blocks.size();
  for (size_t i = 0; i < L; i++) update(w_->blocks[i], load_row_[i]);
  for (size_t k = 0; k < w_->mtp.size(); k++) update(w_->mtp[k].block, load_row_[L + k]);
}

void TrainableDeepSeek::reset_load() {
  for (auto& l : load_) std::fill(l.begin(), l.end(), 0);
}

// ---- one block: x -> y = x1 + FFN(ffn_norm(x1)), x1 = x + MLA(attn_norm(x)) ----

void TrainableDeepSeek::block_fwd(const BlockWeights& b, int64_t load_row, const RowShape& s, const int32_t* seg,
                                  const float* x, float* y, BlockActs& a) {
  const int64_t N = s.rows(), D = cfg_.hidden_size;
  const double eps = cfg_.rms_norm_eps;
  const Precision p = ws_->opt.precision;
  a.x.assign(x, x + N * D);
  a.n1.resize(size_t(N * D));
  a.r1.resize(size_t(N));
  cpu::rmsnorm_forward(a.n1.data(), x, b.attn_norm.w, N, D, eps, a.r1.data());
  a.x1.resize(size_t(N * D));
  const bool recompute = ws_->opt.recompute;
  mla_fwd(b.attn, cfg_, s, rope_, a.n1.data(), a.x1.data(), a.attn, p, seg, recompute);
  if (recompute) a.n1 = {};
  for (int64_t i = 0; i < N * D; i++) a.x1[size_t(i)] += x[i];
  a.n2.resize(size_t(N * D));
  a.r2.resize(size_t(N));
  cpu::rmsnorm_forward(a.n2.data(), a.x1.data(), b.ffn_norm.w, N, D, eps, a.r2.data());
  if (b.is_moe)
    moe_fwd(b.moe, cfg_, s, a.n2.data(), y, a.moe, load_row >= 0 ? load_[size_t(load_row)].data() : nullptr, p);
  else
    mlp_fwd(b.mlp, a.n2.data(), N, y, a.mlp, p);
  if (recompute) a.n2 = {};
  for (int64_t i = 0; i < N * D; i++) y[i] += a.x1[size_t(i)];
}

void TrainableDeepSeek::block_bwd(const BlockWeights& b, const RowShape& s, const int32_t* seg, const float* dy,
                                  float* dx, const BlockActs& a, double balance_scale) {
  const int64_t N = s.rows(), D = cfg_.hidden_size;
  const Precision p = ws_->opt.precision;
  uninit_vector<float> dn(size_t(N * D)), dx1(dy, dy + N * D);  // dx1 starts as the residual path
  // the norms' outputs, recomputed when the forward dropped them (the same rstd comes out again)
  uninit_vector<float> n_redo, rstd_redo;
  auto normed = [&](const uninit_vector<float>& kept, const uninit_vector<float>& in, const Vec& w) {
    if (!kept.empty()) return kept.data();
    n_redo.resize(size_t(N * D));
    rstd_redo.resize(size_t(N));
    cpu::rmsnorm_forward(n_redo.data(), in.data(), w.w, N, D, cfg_.rms_norm_eps, rstd_redo.data());
    return static_cast<const float*>(n_redo.data());
  };
  const float* n2 = normed(a.n2, a.x1, b.ffn_norm);
  if (b.is_moe)
    moe_bwd(b.moe, cfg_, s, n2, dy, a.moe, balance_scale, dn.data(), false, p);
  else
    mlp_bwd(b.mlp, n2, dy, N, a.mlp, dn.data(), false, p);
  cpu::rmsnorm_backward(dx1.data(), b.ffn_norm.g, dn.data(), a.x1.data(), b.ffn_norm.w, a.r2.data(), N, D, true);
  const float* n1 = normed(a.n1, a.x, b.attn_norm);
  mla_bwd(b.attn, cfg_, s, rope_, n1, dx1.data(), a.attn, dn.data(), false, p, seg);
  std::copy(dx1.begin(), dx1.end(), dx);
  cpu::rmsnorm_backward(dx, b.attn_norm.g, dn.data(), a.x.data(), b.attn_norm.w, a.r1.data(), N, D, true);
}


// ---- forward ----

// Checks and records the batch, then embedding -> blocks -> hL [N, D] -> final norm hn. Returns the blocks' summed
// balance statistic.
double TrainableDeepSeek::main_fwd(const TrainBatch& b, const LossOptions& opt) {
  const DeepSeekConfig& c = cfg_;
  const int64_t D = c.hidden_size, V = c.vocab_size, N = b.rows();
  check(b.B >= 1 && b.T >= 1, "training forward needs at least one token");
  for (int64_t i = 0; i < N; i++)
    check(b.tokens[i] >= 0 && b.tokens[i] < V,
          "token id " + std::to_string(b.tokens[i]) + " out of range for vocab_size " + std::to_string(V));
  Workspace& ws = *ws_;
  ws.tokens.assign(b.tokens, b.tokens + N);
  if (b.segments)
    ws.segments.assign(b.segments, b.segments + N);
  else
    ws.segments.clear();
  ws.s = RowShape{b.B, b.T};
  ws.opt = opt;
  ws.backward_ready = false;
  build_main_rope();
  uninit_vector<float> h(size_t(N * D)), h2(size_t(N * D));
  embedding_fwd(w_->embed, b.tokens, N, h.data());
  ws.blocks.resize(w_->blocks.size());
  double balance_sum = 0;
  for (size_t l = 0; l < w_->blocks.size(); l++) {
    block_fwd(w_->blocks[l], load_row_[l], ws.s, ws.seg(), h.data(), h2.data(), ws.blocks[l]);
    if (w_->blocks[l].is_moe) balance_sum += ws.blocks[l].moe.balance;
    std::swap(h, h2);
  }
  ws.hL = h;
  ws.hn.resize(size_t(N * D));
  ws.hn_rstd.resize(size_t(N));
  cpu::rmsnorm_forward(ws.hn.data(), ws.hL.data(), w_->norm.w, N, D, c.rms_norm_eps, ws.hn_rstd.data());
  return balance_sum;
}

// The main blocks' rope table: positions restart at each packed sample's first row (MTP blocks build their own).
void TrainableDeepSeek::build_main_rope() {
  const Workspace& ws = *ws_;
  if (ws.segments.empty()) return rope_.build(freqs_, ws.s);
  TrainBatch b;
  b.tokens = ws.tokens.data();
  b.segments = ws.seg();
  b.B = ws.s.B;
  b.T = ws.s.T;
  const std::vector<int32_t> pos = batch_positions(b);
  rope_.build(freqs_, pos.data(), b.rows());
}

void TrainableDeepSeek::logits(const int32_t* tokens, int64_t B, int64_t T, float* out, Precision p) {
  LossOptions opt;
  opt.precision = p;
  main_fwd(TrainBatch{tokens, nullptr, nullptr, B, T}, opt);
  linear_fwd(w_->head, ws_->hn.data(), B * T, out, p);
}

double TrainableDeepSeek::forward_objective(const int32_t* tokens, int64_t B, int64_t T, const int32_t* targets,
                                            const TokenObjective& f, Precision p, bool backward_follows) {
  LossOptions opt;
  opt.precision = p;
  opt.balance_alpha = 0;
  opt.mtp_depth = 0;
  main_fwd(TrainBatch{tokens, nullptr, nullptr, B, T}, opt);
  Workspace& ws = *ws_;
  ws.grad_scale = 1;
  ws.depth = 0;
  ws.backward_ready = backward_follows;
  const Linear& head = w_->head;
  const int64_t N = B * T, V = head.out(), D = head.in(), chunk = 256;
  ws.dhn.resize(backward_follows ? size_t(N * D) : 0);
  uninit_vector<float> logits(size_t(std::min(N, chunk) * V));
  std::vector<double> logp(static_cast<size_t>(chunk)), ent(static_cast<size_t>(chunk)),
      dlogp(static_cast<size_t>(chunk));
  double total = 0;
  for (int64_t r0 = 0; r0 < N; r0 += chunk) {
    const int64_t n = std::min(chunk, N - r0);
    linear_fwd(head, ws.hn.data() + r0 * D, n, logits.data(), p);
    cpu::token_logprobs(logits.data(), targets + r0, n, V, logp.data(), ent.data());
    std::fill(dlogp.begin(), dlogp.end(), 0.0);
    total += f(r0, n, logp.data(), ent.data(), dlogp.data());
    if (!backward_follows) continue;
    cpu::token_logprobs_backward(logits.data(), logits.data(), targets + r0, dlogp.data(), n, V);
    linear_bwd(head, ws.hn.data() + r0 * D, logits.data(), n, ws.dhn.data() + r0 * D, false, p);
  }
  return total;
}

Losses TrainableDeepSeek::forward(const int32_t* tokens, int64_t B, int64_t T, const LossOptions& opt,
                                  double grad_scale, bool backward_follows) {
  check(B >= 1 && T >= 2, "training step needs at least one sequence of at least 2 tokens");
  const int64_t D = cfg_.hidden_size, N = B * T;
  double balance_sum = main_fwd(TrainBatch{tokens, nullptr, nullptr, B, T}, opt);
  Workspace& ws = *ws_;
  ws.grad_scale = grad_scale;
  ws.depth = opt.mtp_depth < 0 ? int64_t(w_->mtp.size()) : std::min<int64_t>(opt.mtp_depth, int64_t(w_->mtp.size()));
  ws.backward_ready = backward_follows;
  Losses L;
  ws.targets.resize(size_t(N));
  for (int64_t b = 0; b < B; b++)
    for (int64_t t = 0; t < T; t++) ws.targets[size_t(b * T + t)] = t + 1 < T ? tokens[b * T + t + 1] : -1;
  L.main_tokens = B * (T - 1);
  ws.dhn.resize(backward_follows ? size_t(N * D) : 0);
  L.main = head_loss(w_->head, ws.hn.data(), ws.targets.data(), N, grad_scale / double(L.main_tokens),
                     backward_follows ? ws.dhn.data() : nullptr, opt.precision) /
           double(L.main_tokens);

  // MTP modules: module k sees positions i = 0..T-1-k and predicts t_{i+k+1}
  ws.mtp.resize(size_t(ws.depth));
  const float* prev = ws.hL.data();
  int64_t prevT = T;
  for (int64_t k = 1; k <= ws.depth; k++) {
    L.mtp.push_back(mtp_fwd(k, tokens, prev, prevT));
    const MtpActs& a = ws.mtp[size_t(k - 1)];
    if (a.count > 0 && w_->mtp[size_t(k - 1)].block.is_moe) balance_sum += a.block.moe.balance;
  }
  L.balance = opt.balance_alpha * balance_sum / double(B);
  L.total = L.main + L.balance;
  for (double v : L.mtp) L.total += opt.mtp_lambda / double(std::max<int64_t>(ws.depth, 1)) * v;
  return L;
}

TrainLoss TrainableDeepSeek::forward(const TrainBatch& b, Precision p, double grad_scale, bool backward_follows) {
  LossOptions opt;
  opt.precision = p;
  opt.balance_alpha = 0;
  opt.mtp_depth = 0;
  main_fwd(b, opt);
  Workspace& ws = *ws_;
  const int64_t N = b.rows(), V = cfg_.vocab_size;
  ws.grad_scale = grad_scale;
  ws.depth = 0;
  ws.backward_ready = backward_follows;
  ws.targets = batch_targets(b, V);
  TrainLoss L;
  for (int32_t t : ws.targets) L.count += t >= 0;
  ws.dhn.resize(backward_follows ? size_t(N * cfg_.hidden_size) : 0);
  L.sum = head_loss(w_->head, ws.hn.data(), ws.targets.data(), N, grad_scale,
                    backward_follows ? ws.dhn.data() : nullptr, p);
  return L;
}

// MTP module k: [enorm(emb(t_{i+k})) ; hnorm(h^{k-1}_i)] -> eh_proj -> block -> shared_head.norm -> head.
// Returns its mean cross-entropy; prev/prevT advance to this module's output.
double TrainableDeepSeek::mtp_fwd(int64_t k, const int32_t* tokens, const float*& prev, int64_t& prevT) {
  const DeepSeekConfig& c = cfg_;
  Workspace& ws = *ws_;
  const MtpWeights& m = w_->mtp[size_t(k - 1)];
  MtpActs& a = ws.mtp[size_t(k - 1)];
  const int64_t D = c.hidden_size, B = ws.s.B, T = ws.s.T, Tk = T - k;
  a.count = 0;
  if (Tk < 2) return 0.0;  // nothing to predict: the sequence is too short for this depth
  const RowShape sk{B, Tk};
  const int64_t Nk = sk.rows();
  a.emb_ids.resize(size_t(Nk));
  a.targets.resize(size_t(Nk));
  a.h.resize(size_t(Nk * D));
  for (int64_t b = 0; b < B; b++)
    for (int64_t i = 0; i < Tk; i++) {
      a.emb_ids[size_t(b * Tk + i)] = tokens[b * T + i + k];
      a.targets[size_t(b * Tk + i)] = i + 1 < Tk ? tokens[b * T + i + k + 1] : -1;
      std::copy_n(prev + (b * prevT + i) * D, D, &a.h[size_t((b * Tk + i) * D)]);
    }
  a.e.resize(size_t(Nk * D));
  embedding_fwd(w_->embed, a.emb_ids.data(), Nk, a.e.data());
  for (auto* v : {&a.en, &a.hn, &a.on, &a.out}) v->resize(size_t(Nk * D));
  for (auto* v : {&a.e_rstd, &a.h_rstd, &a.o_rstd}) v->resize(size_t(Nk));
  cpu::rmsnorm_forward(a.en.data(), a.e.data(), m.enorm.w, Nk, D, c.rms_norm_eps, a.e_rstd.data());
  cpu::rmsnorm_forward(a.hn.data(), a.h.data(), m.hnorm.w, Nk, D, c.rms_norm_eps, a.h_rstd.data());
  a.cat.resize(size_t(Nk * 2 * D));
  for (int64_t r = 0; r < Nk; r++) {
    std::copy_n(&a.en[size_t(r * D)], D, &a.cat[size_t(r * 2 * D)]);
    std::copy_n(&a.hn[size_t(r * D)], D, &a.cat[size_t(r * 2 * D + D)]);
  }
  uninit_vector<float> hp(size_t(Nk * D));
  linear_fwd(m.eh_proj, a.cat.data(), Nk, hp.data(), ws.opt.precision);
  rope_.build(freqs_, sk);
  block_fwd(m.block, load_row_[w_->blocks.size() + size_t(k - 1)], sk, nullptr, hp.data(), a.out.data(), a.block);
  cpu::rmsnorm_forward(a.on.data(), a.out.data(), m.head_norm.w, Nk, D, c.rms_norm_eps, a.o_rstd.data());
  a.count = B * (Tk - 1);
  const double w = ws.opt.mtp_lambda / double(ws.depth);
  a.dhead.resize(ws.backward_ready ? size_t(Nk * D) : 0);
  prev = a.out.data();
  prevT = Tk;
  return head_loss(m.head, a.on.data(), a.targets.data(), Nk, ws.grad_scale * w / double(a.count),
                   ws.backward_ready ? a.dhead.data() : nullptr, ws.opt.precision) /
         double(a.count);
}

// ---- backward ----

Losses TrainableDeepSeek::step(const int32_t* tokens, int64_t B, int64_t T, const LossOptions& opt, double grad_scale,
                               bool forward_only) {
  Losses L = forward(tokens, B, T, opt, grad_scale, !forward_only);
  if (!forward_only) backward();
  return L;
}

void TrainableDeepSeek::backward() {
  check(ws_->backward_ready, "TrainableDeepSeek::backward: no forward(..., backward_follows=true) to finish");
  ws_->backward_ready = false;
  std::vector<float> dnext;  // gradient w.r.t. the hidden rows module k read from module k-1, [B*(T-k), D]
  for (int64_t k = ws_->depth; k >= 1; k--) mtp_bwd(k, dnext);
  main_bwd(dnext);
}

void TrainableDeepSeek::mtp_bwd(int64_t k, std::vector<float>& dnext) {
  const DeepSeekConfig& c = cfg_;
  Workspace& ws = *ws_;
  const MtpWeights& m = w_->mtp[size_t(k - 1)];
  MtpActs& a = ws.mtp[size_t(k - 1)];
  if (a.count == 0) return;
  const int64_t D = c.hidden_size, B = ws.s.B, Tk = ws.s.T - k;
  const RowShape sk{B, Tk};
  const int64_t Nk = sk.rows();
  const double bscale = ws.grad_scale * ws.opt.balance_alpha / double(B);
  uninit_vector<float> dout(size_t(Nk * D), 0.0f);
  if (!dnext.empty()) {  // module k+1 read rows i < T-k-1 of this module's output
    const int64_t Tn = Tk - 1;
    for (int64_t b = 0; b < B; b++)
      for (int64_t i = 0; i < Tn; i++)
        for (int64_t d = 0; d < D; d++) dout[size_t((b * Tk + i) * D + d)] += dnext[size_t((b * Tn + i) * D + d)];
  }
  cpu::rmsnorm_backward(dout.data(), m.head_norm.g, a.dhead.data(), a.out.data(), m.head_norm.w, a.o_rstd.data(), Nk, D,
                        true);
  rope_.build(freqs_, sk);
  uninit_vector<float> dhp(size_t(Nk * D));
  block_bwd(m.block, sk, nullptr, dout.data(), dhp.data(), a.block, bscale);
  uninit_vector<float> dcat(size_t(Nk * 2 * D)), den(size_t(Nk * D)), dhn_k(size_t(Nk * D));
  linear_bwd(m.eh_proj, a.cat.data(), dhp.data(), Nk, dcat.data(), false, ws.opt.precision);
  for (int64_t r = 0; r < Nk; r++) {
    std::copy_n(&dcat[size_t(r * 2 * D)], D, &den[size_t(r * D)]);
    std::copy_n(&dcat[size_t(r * 2 * D + D)], D, &dhn_k[size_t(r * D)]);
  }
  uninit_vector<float> de(size_t(Nk * D));
  cpu::rmsnorm_backward(de.data(), m.enorm.g, den.data(), a.e.data(), m.enorm.w, a.e_rstd.data(), Nk, D, false);
  embedding_bwd(w_->embed, a.emb_ids.data(), Nk, de.data());
  dnext.assign(size_t(Nk * D), 0.0f);
  cpu::rmsnorm_backward(dnext.data(), m.hnorm.g, dhn_k.data(), a.h.data(), m.hnorm.w, a.h_rstd.data(), Nk, D, false);
}

void TrainableDeepSeek::main_bwd(const std::vector<float>& dnext) {
  const DeepSeekConfig& c = cfg_;
  Workspace& ws = *ws_;
  const int64_t D = c.hidden_size, B = ws.s.B, T = ws.s.T, N = ws.s.rows();
  const double bscale = ws.grad_scale * ws.opt.balance_alpha / double(B);
  build_main_rope();
  uninit_vector<float> dh(size_t(N * D), 0.0f);
  if (!dnext.empty()) {  // module 1 read rows i < T-1 of hL
    const int64_t Tn = T - 1;
    for (int64_t b = 0; b < B; b++)
      for (int64_t i = 0; i < Tn; i++)
        for (int64_t d = 0; d < D; d++) dh[size_t((b * T + i) * D + d)] += dnext[size_t((b * Tn + i) * D + d)];
  }
  cpu::rmsnorm_backward(dh.data(), w_->norm.g, ws.dhn.data(), ws.hL.data(), w_->norm.w, ws.hn_rstd.data(), N, D, true);
  uninit_vector<float> dprev(size_t(N * D));
  for (size_t l = w_->blocks.size(); l-- > 0;) {
    block_bwd(w_->blocks[l], ws.s, ws.seg(), dh.data(), dprev.data(), ws.blocks[l], bscale);
    std::swap(dh, dprev);
  }
  embedding_bwd(w_->embed, ws.tokens.data(), N, dh.data());
}

}  // namespace seek
