#include "core/uninit_vector.h"
#include "train/deepseek_train.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"
#include "formats/checkpoint.h"
#include "kernels/cpu/train_ops.h"
#include "kernels/weight.h"

namespace seek::train {

struct TrainModel::Block {
  VectorP attn_norm, ffn_norm;  // input_layernorm, post_attention_layernorm [D]
  MlaP attn;
  bool is_moe = false;
  MlpP mlp;
  MoeP moe;
  int64_t load_index = -1;  // row of load_ (MoE blocks)
};

struct TrainModel::Mtp {
  VectorP enorm, hnorm, head_norm;  // [D]
  LinearP eh_proj;                  // [D, 2D], input [enorm(emb) ; hnorm(h)]
  Block block;
  LinearP head;  // shared_head.head [V, D]
};

struct TrainModel::BlockActs {
  uninit_vector<float> x;       // [N, D] block input
  uninit_vector<float> n1, r1;  // attn_norm(x) [N, D], its rstd [N]
  MlaActs attn;
  uninit_vector<float> x1;      // x + attn [N, D]
  uninit_vector<float> n2, r2;  // ffn_norm(x1), rstd
  MlpActs mlp;
  MoeActs moe;
};

struct MtpActs {
  uninit_vector<float> e, en, e_rstd;  // [Nk, D] embeddings of t_{i+k}, enorm(e), rstd
  uninit_vector<float> h, hn, h_rstd;  // [Nk, D] previous hidden rows, hnorm(h), rstd
  uninit_vector<float> cat;            // [Nk, 2D]
  uninit_vector<float> out;            // [Nk, D] block output h^k
  uninit_vector<float> on, o_rstd;     // shared_head.norm(h^k), rstd
  std::vector<int32_t> emb_ids, targets;
  int64_t count = 0;  // predictions
};

struct TrainModel::Workspace {
  std::vector<BlockActs> blocks;  // main blocks
  uninit_vector<float> hL, hn, hn_rstd;
  std::vector<int32_t> targets;
  std::vector<BlockActs> mtp_blocks;
  std::vector<MtpActs> mtp;
};

TrainModel::~TrainModel() = default;

TrainModel::TrainModel(const DeepSeekConfig& c) : cfg_(c), ws_(std::make_unique<Workspace>()) {
  const int64_t D = c.hidden_size, V = c.vocab_size;
  embed_ = make_linear(ps_, "model.embed_tokens", V, D);
  auto make_block = [&](int64_t layer) {
    auto b = std::make_unique<Block>();
    const std::string pre = "model.layers." + std::to_string(layer);
    b->attn_norm = make_vector(ps_, pre + ".input_layernorm.weight", D);
    b->attn = make_mla(ps_, pre + ".self_attn", c);
    b->ffn_norm = make_vector(ps_, pre + ".post_attention_layernorm.weight", D);
    b->is_moe = c.is_moe_layer(layer);
    if (b->is_moe) {
      b->moe = make_moe(ps_, pre + ".mlp", c);
      b->load_index = int64_t(load_.size());
      load_.emplace_back(size_t(c.n_routed_experts), 0);
    } else {
      b->mlp = make_mlp(ps_, pre + ".mlp", D, c.intermediate_size);
    }
    return b;
  };
  for (int64_t l = 0; l < c.num_hidden_layers; l++) blocks_.push_back(make_block(l));
  norm_ = make_vector(ps_, "model.norm.weight", D);
  head_ = c.tie_word_embeddings ? embed_ : make_linear(ps_, "lm_head", V, D);
  for (int64_t k = 0; k < c.num_nextn_predict_layers; k++) {
    const int64_t layer = c.num_hidden_layers + k;
    const std::string pre = "model.layers." + std::to_string(layer);
    auto m = std::make_unique<Mtp>();
    m->enorm = make_vector(ps_, pre + ".enorm.weight", D);
    m->hnorm = make_vector(ps_, pre + ".hnorm.weight", D);
    m->eh_proj = make_linear(ps_, pre + ".eh_proj", D, 2 * D);
    m->block = std::move(*make_block(layer));
    m->head_norm = make_vector(ps_, pre + ".shared_head.norm.weight", D);
    m->head = make_linear(ps_, pre + ".shared_head.head", V, D);
    mtp_.push_back(std::move(m));
  }
  for (auto& p : ps_.all())
    if (p.shape.size() == 1 && p.name.find("norm") != std::string::npos)
      std::fill(p.value.begin(), p.value.end(), 1.0f);
}

void TrainModel::init_random(uint64_t seed, double std) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, std);
  for (auto& p : ps_.all()) {
    if (p.shape.size() == 1) {
      const bool is_norm = p.name.find("norm") != std::string::npos;
      std::fill(p.value.begin(), p.value.end(), is_norm ? 1.0f : 0.0f);
    } else {
      for (auto& v : p.value) v = float(normal(rng));
    }
  }
}

void TrainModel::load(const std::string& dir) {
  const Checkpoint ck = Checkpoint::open(dir);
  for (auto& p : ps_.all()) {
    check(ck.has(p.name), dir + ": missing tensor '" + p.name + "'");
    const Tensor t = ck.get(p.name, p.shape);
    if (t.dtype == DType::E4M3) {
      const std::string sname = p.name.substr(0, p.name.size() - std::string("weight").size()) + "weight_scale_inv";
      check(ck.has(sname), dir + ": fp8 tensor '" + p.name + "' has no '" + sname + "'");
      const Tensor scale = ck.get(sname).to_f32();
      WeightRef w{DType::E4M3, t.data, p.shape[0], p.shape[1], scale.f32(), cfg_.fp8_block};
      check(scale.numel() == ((w.rows + w.block - 1) / w.block) * w.scale_cols(),
            dir + ": tensor '" + sname + "' has the wrong number of block scales");
      for (int64_t r = 0; r < w.rows; r++) w.row_f32(r, &p.value[size_t(r * w.cols)], false);
    } else {
      const Tensor f = t.to_f32();
      std::copy_n(f.f32(), p.numel(), p.value.begin());
    }
  }
}

std::vector<std::string> TrainModel::moe_layer_names() const {
  std::vector<std::string> names(load_.size());
  for (size_t i = 0; i < blocks_.size(); i++)
    if (blocks_[i]->load_index >= 0) names[size_t(blocks_[i]->load_index)] = "layer " + std::to_string(i);
  for (size_t k = 0; k < mtp_.size(); k++)
    if (mtp_[k]->block.load_index >= 0) names[size_t(mtp_[k]->block.load_index)] = "mtp " + std::to_string(k + 1);
  return names;
}

double TrainModel::load_max_over_mean() const {
  double worst = 0;
  for (const auto& l : load_) {
    int64_t sum = 0, mx = 0;
    for (int64_t v : l) sum += v, mx = std::max(mx, v);
    if (sum > 0) worst = std::max(worst, double(mx) * double(l.size()) / double(sum));
  }
  return worst;
}

void TrainModel::update_selection_bias(double gamma) {
  auto update = [&](const Block& b) {
    if (!b.is_moe || !b.moe.has_bias) return;
    const auto& l = load_[size_t(b.load_index)];
    double mean = 0;
    for (int64_t v : l) mean += double(v);
    mean /= double(l.size());
    for (size_t i = 0; i < l.size(); i++) {
      const double d = mean - double(l[i]);
      b.moe.bias.w[i] += float(gamma * double((d > 0) - (d < 0)));
    }
  };
  for (const auto& b : blocks_) update(*b);
  for (const auto& m : mtp_) update(m->block);
}

void TrainModel::reset_load() {
  for (auto& l : load_) std::fill(l.begin(), l.end(), 0);
}

void TrainModel::block_fwd(const Block& b, const RowShape& s, const float* x, float* y, BlockActs& a, int64_t* load,
                           const LossOptions& opt) {
  const int64_t N = s.rows(), D = cfg_.hidden_size;
  const double eps = cfg_.rms_norm_eps;
  a.x.assign(x, x + N * D);
  a.n1.resize(size_t(N * D));
  a.r1.resize(size_t(N));
  cpu::rmsnorm_train_forward(a.n1.data(), a.r1.data(), x, b.attn_norm.w, N, D, eps);
  a.x1.resize(size_t(N * D));
  mla_fwd(b.attn, cfg_, s, rope_, a.n1.data(), a.x1.data(), a.attn, opt.precision);
  for (int64_t i = 0; i < N * D; i++) a.x1[size_t(i)] += x[i];
  a.n2.resize(size_t(N * D));
  a.r2.resize(size_t(N));
  cpu::rmsnorm_train_forward(a.n2.data(), a.r2.data(), a.x1.data(), b.ffn_norm.w, N, D, eps);
  if (b.is_moe)
    moe_fwd(b.moe, cfg_, s, a.n2.data(), y, a.moe, load, opt.precision);
  else
    mlp_fwd(b.mlp, a.n2.data(), N, y, a.mlp, opt.precision);
  for (int64_t i = 0; i < N * D; i++) y[i] += a.x1[size_t(i)];
}

void TrainModel::block_bwd(const Block& b, const RowShape& s, const float* dy, float* dx, const BlockActs& a,
                           double balance_scale, const LossOptions& opt) {
  const int64_t N = s.rows(), D = cfg_.hidden_size;
  uninit_vector<float> dn(static_cast<size_t>(N * D)), dx1(dy, dy + N * D);  // dx1 starts as the residual path
  if (b.is_moe)
    moe_bwd(b.moe, cfg_, s, a.n2.data(), dy, a.moe, balance_scale, dn.data(), false, opt.precision);
  else
    mlp_bwd(b.mlp, a.n2.data(), dy, N, a.mlp, dn.data(), false, opt.precision);
  cpu::rmsnorm_train_backward(dx1.data(), b.ffn_norm.g, dn.data(), a.x1.data(), b.ffn_norm.w, a.r2.data(), N, D, true);
  mla_bwd(b.attn, cfg_, s, rope_, a.n1.data(), dx1.data(), a.attn, dn.data(), false, opt.precision);
  std::copy(dx1.begin(), dx1.end(), dx);
  cpu::rmsnorm_train_backward(dx, b.attn_norm.g, dn.data(), a.x.data(), b.attn_norm.w, a.r1.data(), N, D, true);
}

namespace {

// Cross-entropy of head(hn) against targets, in chunks of rows so the [rows, V] logits never exist at once.
// Returns the summed loss; unless forward_only, accumulates the head's gradient and writes dhn = d(scale*sum)/dhn.
double head_loss(const LinearP& head, const float* hn, const int32_t* targets, int64_t N, double scale,
                 bool forward_only, float* dhn, GemmPrecision p) {
  const int64_t V = head.out, D = head.in, chunk = 256;
  uninit_vector<float> logits(static_cast<size_t>(std::min(N, chunk) * V));
  double total = 0;
  for (int64_t r0 = 0; r0 < N; r0 += chunk) {
    const int64_t n = std::min(chunk, N - r0);
    linear_fwd(head, hn + r0 * D, n, logits.data(), p);
    total += cpu::cross_entropy_train(logits.data(), logits.data(), targets + r0, n, V, scale);
    if (!forward_only) linear_bwd(head, hn + r0 * D, logits.data(), n, dhn + r0 * D, false, p);
  }
  return total;
}

void embedding_rows(const LinearP& emb, const int32_t* ids, int64_t N, float* out) {
  for (int64_t i = 0; i < N; i++) std::copy_n(emb.w + int64_t(ids[i]) * emb.in, emb.in, out + i * emb.in);
}

void embedding_bwd(const LinearP& emb, const int32_t* ids, int64_t N, const float* d) {
  for (int64_t i = 0; i < N; i++) {
    float* g = emb.g + int64_t(ids[i]) * emb.in;
    for (int64_t j = 0; j < emb.in; j++) g[j] += d[i * emb.in + j];
  }
}

}  // namespace

void TrainModel::next_token_logits(const int32_t* tokens, int64_t T, float* logits, GemmPrecision p) {
  const int64_t D = cfg_.hidden_size;
  for (int64_t i = 0; i < T; i++)
    check(tokens[i] >= 0 && tokens[i] < cfg_.vocab_size, "token id " + std::to_string(tokens[i]) + " out of range");
  const RowShape s{1, T};
  rope_.build(cfg_, s);
  LossOptions opt;
  opt.precision = p;
  uninit_vector<float> h(static_cast<size_t>(T * D)), h2(static_cast<size_t>(T * D));
  embedding_rows(embed_, tokens, T, h.data());
  BlockActs a;
  for (const auto& b : blocks_) {
    block_fwd(*b, s, h.data(), h2.data(), a, nullptr, opt);
    std::swap(h, h2);
  }
  uninit_vector<float> hn(static_cast<size_t>(D)), rstd(1);
  cpu::rmsnorm_train_forward(hn.data(), rstd.data(), &h[size_t((T - 1) * D)], norm_.w, 1, D, cfg_.rms_norm_eps);
  linear_fwd(head_, hn.data(), 1, logits, p);
}

Losses TrainModel::step(const int32_t* tokens, int64_t B, int64_t T, const LossOptions& opt, double grad_scale,
                        bool forward_only) {
  const DeepSeekConfig& c = cfg_;
  const int64_t D = c.hidden_size, V = c.vocab_size, N = B * T;
  check(B >= 1 && T >= 2, "training step needs at least one sequence of at least 2 tokens");
  for (int64_t i = 0; i < N; i++)
    check(tokens[i] >= 0 && tokens[i] < V,
          "token id " + std::to_string(tokens[i]) + " out of range for vocab_size " + std::to_string(V));
  const int64_t depth =
      opt.mtp_depth < 0 ? int64_t(mtp_.size()) : std::min<int64_t>(opt.mtp_depth, int64_t(mtp_.size()));
  Workspace& ws = *ws_;
  const RowShape s{B, T};
  rope_.build(c, s);
  Losses L;

  // ---- main model forward: embedding -> blocks -> hL [N, D]
  uninit_vector<float> h(static_cast<size_t>(N * D)), h2(static_cast<size_t>(N * D));
  embedding_rows(embed_, tokens, N, h.data());
  ws.blocks.resize(blocks_.size());
  double balance_sum = 0;
  for (size_t l = 0; l < blocks_.size(); l++) {
    const Block& b = *blocks_[l];
    block_fwd(b, s, h.data(), h2.data(), ws.blocks[l], b.is_moe ? load_[size_t(b.load_index)].data() : nullptr, opt);
    if (b.is_moe) balance_sum += ws.blocks[l].moe.balance;
    std::swap(h, h2);
  }
  ws.hL = h;
  ws.hn.resize(size_t(N * D));
  ws.hn_rstd.resize(size_t(N));
  cpu::rmsnorm_train_forward(ws.hn.data(), ws.hn_rstd.data(), ws.hL.data(), norm_.w, N, D, c.rms_norm_eps);
  ws.targets.resize(size_t(N));
  for (int64_t b = 0; b < B; b++)
    for (int64_t t = 0; t < T; t++) ws.targets[size_t(b * T + t)] = t + 1 < T ? tokens[b * T + t + 1] : -1;
  L.main_tokens = B * (T - 1);
  uninit_vector<float> dhn(forward_only ? 0 : size_t(N * D));
  L.main = head_loss(head_, ws.hn.data(), ws.targets.data(), N, grad_scale / double(L.main_tokens), forward_only,
                     dhn.data(), opt.precision) /
           double(L.main_tokens);

  // ---- MTP modules forward: module k sees positions i = 0..T-1-k and predicts t_{i+k+1}
  ws.mtp.resize(size_t(depth));
  ws.mtp_blocks.resize(size_t(depth));
  std::vector<uninit_vector<float>> dh_mtp_head(static_cast<size_t>(depth));  // d/d(shared_head.norm input) per k
  const float* prev = ws.hL.data();
  int64_t prevT = T;
  for (int64_t k = 1; k <= depth; k++) {
    const Mtp& m = *mtp_[size_t(k - 1)];
    MtpActs& a = ws.mtp[size_t(k - 1)];
    const int64_t Tk = T - k;
    if (Tk < 2) {  // nothing to predict: the sequence is too short for this depth
      L.mtp.push_back(0.0);
      a.count = 0;
      continue;
    }
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
    embedding_rows(embed_, a.emb_ids.data(), Nk, a.e.data());
    a.en.resize(size_t(Nk * D));
    a.e_rstd.resize(size_t(Nk));
    a.hn.resize(size_t(Nk * D));
    a.h_rstd.resize(size_t(Nk));
    cpu::rmsnorm_train_forward(a.en.data(), a.e_rstd.data(), a.e.data(), m.enorm.w, Nk, D, c.rms_norm_eps);
    cpu::rmsnorm_train_forward(a.hn.data(), a.h_rstd.data(), a.h.data(), m.hnorm.w, Nk, D, c.rms_norm_eps);
    a.cat.resize(size_t(Nk * 2 * D));
    for (int64_t r = 0; r < Nk; r++) {
      std::copy_n(&a.en[size_t(r * D)], D, &a.cat[size_t(r * 2 * D)]);
      std::copy_n(&a.hn[size_t(r * D)], D, &a.cat[size_t(r * 2 * D + D)]);
    }
    uninit_vector<float> hp(static_cast<size_t>(Nk * D));
    linear_fwd(m.eh_proj, a.cat.data(), Nk, hp.data(), opt.precision);
    rope_.build(c, sk);
    a.out.resize(size_t(Nk * D));
    const Block& mb = m.block;
    block_fwd(mb, sk, hp.data(), a.out.data(), ws.mtp_blocks[size_t(k - 1)],
              mb.is_moe ? load_[size_t(mb.load_index)].data() : nullptr, opt);
    if (mb.is_moe) balance_sum += ws.mtp_blocks[size_t(k - 1)].moe.balance;
    a.on.resize(size_t(Nk * D));
    a.o_rstd.resize(size_t(Nk));
    cpu::rmsnorm_train_forward(a.on.data(), a.o_rstd.data(), a.out.data(), m.head_norm.w, Nk, D, c.rms_norm_eps);
    a.count = B * (Tk - 1);
    const double w = opt.mtp_lambda / double(depth);
    if (!forward_only) dh_mtp_head[size_t(k - 1)].resize(size_t(Nk * D));
    const double lk = head_loss(m.head, a.on.data(), a.targets.data(), Nk, grad_scale * w / double(a.count),
                                forward_only, dh_mtp_head[size_t(k - 1)].data(), opt.precision) /
                      double(a.count);
    L.mtp.push_back(lk);
    prev = a.out.data();
    prevT = Tk;
  }
  L.balance = opt.balance_alpha * balance_sum / double(B);
  L.total = L.main + L.balance;
  for (double v : L.mtp) L.total += opt.mtp_lambda / double(std::max<int64_t>(depth, 1)) * v;
  if (forward_only) return L;

  // ---- backward
  const double bscale = grad_scale * opt.balance_alpha / double(B);
  uninit_vector<float> dnext;  // gradient w.r.t. the hidden rows of module k (from module k+1), [B*(T-k), D]
  for (int64_t k = depth; k >= 1; k--) {
    const Mtp& m = *mtp_[size_t(k - 1)];
    MtpActs& a = ws.mtp[size_t(k - 1)];
    if (a.count == 0) continue;
    const int64_t Tk = T - k;
    const RowShape sk{B, Tk};
    const int64_t Nk = sk.rows();
    uninit_vector<float> dout(static_cast<size_t>(Nk * D), 0.0f);
    if (!dnext.empty()) {  // module k+1 read rows i < T-k-1 of this module's output
      const int64_t Tn = Tk - 1;
      for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < Tn; i++)
          for (int64_t d = 0; d < D; d++) dout[size_t((b * Tk + i) * D + d)] += dnext[size_t((b * Tn + i) * D + d)];
    }
    cpu::rmsnorm_train_backward(dout.data(), m.head_norm.g, dh_mtp_head[size_t(k - 1)].data(), a.out.data(),
                                m.head_norm.w, a.o_rstd.data(), Nk, D, true);
    rope_.build(c, sk);
    uninit_vector<float> dhp(static_cast<size_t>(Nk * D));
    block_bwd(m.block, sk, dout.data(), dhp.data(), ws.mtp_blocks[size_t(k - 1)], bscale, opt);
    uninit_vector<float> dcat(static_cast<size_t>(Nk * 2 * D)), den(static_cast<size_t>(Nk * D)),
        dhn_k(static_cast<size_t>(Nk * D));
    linear_bwd(m.eh_proj, a.cat.data(), dhp.data(), Nk, dcat.data(), false, opt.precision);
    for (int64_t r = 0; r < Nk; r++) {
      std::copy_n(&dcat[size_t(r * 2 * D)], D, &den[size_t(r * D)]);
      std::copy_n(&dcat[size_t(r * 2 * D + D)], D, &dhn_k[size_t(r * D)]);
    }
    uninit_vector<float> de(static_cast<size_t>(Nk * D));
    cpu::rmsnorm_train_backward(de.data(), m.enorm.g, den.data(), a.e.data(), m.enorm.w, a.e_rstd.data(), Nk, D, false);
    embedding_bwd(embed_, a.emb_ids.data(), Nk, de.data());
    dnext.assign(size_t(Nk * D), 0.0f);
    cpu::rmsnorm_train_backward(dnext.data(), m.hnorm.g, dhn_k.data(), a.h.data(), m.hnorm.w, a.h_rstd.data(), Nk, D,
                                false);
  }
  rope_.build(c, s);
  uninit_vector<float> dh(static_cast<size_t>(N * D), 0.0f);
  if (!dnext.empty()) {  // module 1 read rows i < T-1 of hL
    const int64_t Tn = T - 1;
    for (int64_t b = 0; b < B; b++)
      for (int64_t i = 0; i < Tn; i++)
        for (int64_t d = 0; d < D; d++) dh[size_t((b * T + i) * D + d)] += dnext[size_t((b * Tn + i) * D + d)];
  }
  cpu::rmsnorm_train_backward(dh.data(), norm_.g, dhn.data(), ws.hL.data(), norm_.w, ws.hn_rstd.data(), N, D, true);
  uninit_vector<float> dprev(static_cast<size_t>(N * D));
  for (size_t l = blocks_.size(); l-- > 0;) {
    block_bwd(*blocks_[l], s, dh.data(), dprev.data(), ws.blocks[l], bscale, opt);
    std::swap(dh, dprev);
  }
  embedding_bwd(embed_, tokens, N, dh.data());
  return L;
}

}  // namespace seek::train
