#include "model/deepseek.h"

#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/rowops.h"

namespace seek {

BlockWeights bind_block(WeightSource& src, const BlockSpec& s) {
  BlockWeights b;
  b.attn_norm = src.vector(s.attn_norm);
  b.attn = bind_mla(src, s.attn);
  b.ffn_norm = src.vector(s.ffn_norm);
  b.is_moe = s.is_moe;
  if (s.moe)
    b.moe = bind_moe(src, *s.moe);
  else
    b.mlp = bind_mlp(src, *s.mlp);
  return b;
}

DeepSeekWeights bind_deepseek(const DeepSeekConfig& c, WeightSource& src, const std::string& where, bool require_mtp) {
  const DeepSeekSchema s = deepseek_schema(c);
  DeepSeekWeights w;
  w.config = c;
  w.embed = src.matrix(s.embed);
  for (const BlockSpec& b : s.blocks) w.blocks.push_back(bind_block(src, b));
  w.norm = src.vector(s.norm);
  w.head = s.head ? src.matrix(*s.head) : w.embed;
  for (const MtpSpec& m : s.mtp) {
    if (!require_mtp && !src.has(m.eh_proj)) {
      std::fprintf(stderr,
                   "seek: note: %s has num_nextn_predict_layers=%lld but no '%s'; "
                   "MTP module not loaded\n",
                   where.c_str(), (long long)c.num_nextn_predict_layers, m.eh_proj.name.c_str());
      break;
    }
    MtpWeights mt;
    mt.enorm = src.vector(m.enorm);
    mt.hnorm = src.vector(m.hnorm);
    mt.eh_proj = src.matrix(m.eh_proj);
    mt.block = bind_block(src, m.block);
    mt.head_norm = src.vector(m.head_norm);
    if (require_mtp || src.has(m.head)) {
      mt.head = src.matrix(m.head);
      mt.has_own_head = true;
    }
    w.mtp.push_back(std::move(mt));
  }
  return w;
}

std::unique_ptr<DeepSeekModel> DeepSeekModel::load(const std::string& dir) {
  const DeepSeekConfig c = load_deepseek_config(dir);
  CheckpointWeights src(Checkpoint::open(dir), c.fp8_block);
  return std::make_unique<DeepSeekModel>(std::make_shared<const DeepSeekWeights>(bind_deepseek(c, src, dir)));
}

DeepSeekModel::DeepSeekModel(std::shared_ptr<const DeepSeekWeights> keep) : w_(std::move(keep)), rope_(w_->config) {}

void DeepSeekModel::forward(const int32_t* tokens, int64_t T, SequenceCache& cache, const ForwardOptions& opt,
                            float* logits) const {
  forward_batch({BatchItem{&cache, tokens, T, logits, opt.all_logits}}, opt);
}

namespace {

// h[n] += f[n], rounded to bf16 in BF16 (the reference's residual stream is a bf16 tensor).
void add_residual(float* h, const float* f, int64_t n, bool bf) {
  for (int64_t i = 0; i < n; i++) h[i] = bf ? round_bf16(h[i] + f[i]) : h[i] + f[i];
}

}  // namespace

// Logits of the rows the items want (every row, or each item's last), in one head matmul.
void head_logits(const DeepSeekWeights& w, const Linear& head, const Vec& norm, const std::vector<BatchItem>& items,
                 const std::vector<SeqRows>& seqs, const float* h, Precision p) {
  const DeepSeekConfig& c = w.config;
  const int64_t D = c.hidden_size, V = c.vocab_size;
  std::vector<int64_t> rows;  // activation rows to project
  for (size_t i = 0; i < items.size(); i++)
    for (int64_t j = items[i].all_logits ? 0 : seqs[i].n - 1; j < seqs[i].n; j++) rows.push_back(seqs[i].first + j);
  const int64_t R = int64_t(rows.size());
  std::vector<float> hn(size_t(R * D)), lg(size_t(R * V));
  for (int64_t r = 0; r < R; r++) std::memcpy(&hn[size_t(r * D)], h + rows[size_t(r)] * D, size_t(D) * 4);
  cpu::rmsnorm_forward(hn.data(), hn.data(), norm.w, R, D, c.rms_norm_eps, (float*)nullptr, p == Precision::BF16);
  const bool single = items.size() == 1;
  float* out = single ? items[0].logits : lg.data();  // one item: straight into its buffer
  cpu::matmul(out, hn.data(), R, head.w, p);          // [R, vocab], left in f32
  if (single) return;
  int64_t r = 0;
  for (size_t i = 0; i < items.size(); i++) {
    const int64_t n = items[i].all_logits ? seqs[i].n : 1;
    std::memcpy(items[i].logits, &lg[size_t(r * V)], size_t(n * V) * 4);
    r += n;
  }
}

void block_forward(const BlockWeights& b, const DeepSeekConfig& c, int64_t layer, const RopeTable& rope, float* h,
                   float* hn, float* f, int64_t N, const std::vector<SeqRows>& seqs, const ForwardOptions& opt,
                   int64_t* expert_load, int64_t check_as) {
  const int64_t D = c.hidden_size;
  const Precision p = opt.precision;
  const bool bf = p == Precision::BF16;
  cpu::rmsnorm_forward(hn, h, b.attn_norm.w, N, D, c.rms_norm_eps, (float*)nullptr, bf);
  mla_forward(b.attn, c, rope, layer, hn, N, seqs, f, p);
  add_residual(h, f, N * D, bf);
  if (opt.check_finite) check_layer_finite(h, N * D, check_as, "self_attn");
  cpu::rmsnorm_forward(hn, h, b.ffn_norm.w, N, D, c.rms_norm_eps, (float*)nullptr, bf);
  if (b.is_moe)
    moe_forward(b.moe, c, hn, N, f, p, expert_load);
  else
    mlp_forward(b.mlp, hn, N, f, p);
  add_residual(h, f, N * D, bf);
  if (opt.check_finite) check_layer_finite(h, N * D, check_as, "mlp");
}

void DeepSeekModel::forward_batch(const std::vector<BatchItem>& items, const ForwardOptions& opt) const {
  forward_rows(items, opt, nullptr);
}

void DeepSeekModel::forward_hidden(const int32_t* tokens, int64_t T, KVCache& cache, const ForwardOptions& opt,
                                   float* logits, float* hidden) const {
  forward_rows({BatchItem{&cache, tokens, T, logits, opt.all_logits}}, opt, hidden);
}

void DeepSeekModel::forward_rows(const std::vector<BatchItem>& items, const ForwardOptions& opt, float* hidden) const {
  const DeepSeekConfig& c = cfg();
  const int64_t D = c.hidden_size;
  const Precision p = opt.precision;
  std::vector<SeqRows> seqs;
  std::vector<int32_t> pos;  // [N] position of each row
  for (const BatchItem& it : items) {
    auto* kv = dynamic_cast<KVCache*>(it.cache);
    if (!kv) throw Error("DeepSeekModel::forward: the cache was not made by this model");
    if (!seqs.empty() && kv->form() != seqs[0].cache->form())
      throw Error("DeepSeekModel::forward_batch: the sequences' caches have different attention forms");
    check_forward_input(it.tokens, it.n, kv->len(), c.vocab_size, c.max_position_embeddings);
    seqs.push_back(SeqRows{kv, int64_t(pos.size()), it.n});
    for (int64_t j = 0; j < it.n; j++) pos.push_back(int32_t(kv->len() + j));
  }
  const int64_t N = int64_t(pos.size());
  RopeTable rope;
  rope.build(rope_, pos.data(), N);

  std::vector<float> h(size_t(N * D)), hn(size_t(N * D)), f(size_t(N * D));  // residual stream, normed, branch out
  for (size_t i = 0; i < items.size(); i++)
    for (int64_t j = 0; j < items[i].n; j++)
      w_->embed.w.row_f32(items[i].tokens[j], &h[size_t((seqs[i].first + j) * D)], false);
  if (opt.check_finite) check_layer_finite(h.data(), N * D, -1, "");
  for (size_t l = 0; l < w_->blocks.size(); l++)
    block_forward(w_->blocks[l], c, int64_t(l), rope, h.data(), hn.data(), f.data(), N, seqs, opt,
                  opt.expert_load ? opt.expert_load + int64_t(l) * c.n_routed_experts : nullptr, int64_t(l));
  for (const SeqRows& s : seqs) s.cache->extend_to(s.cache->len() + s.n);
  if (hidden) std::memcpy(hidden, h.data(), size_t(N * D) * 4);
  head_logits(*w_, w_->head, w_->norm, items, seqs, h.data(), p);
  if (opt.check_finite) check_head_finite(items, c.vocab_size);
}

int64_t DeepSeekModel::active_params() const { return count_params(cfg()).active; }

double DeepSeekModel::active_weight_bytes() const {
  const DeepSeekConfig& c = cfg();
  auto mlp = [](const Mlp& m) { return m.gate.w.bytes() + m.up.w.bytes() + m.down.w.bytes(); };
  // Each matrix at its stored width (files mix types; fp8 block scales included by bytes()); the routed experts
  // at the share a token uses, K of E; the head is read whole every step, tied to the embedding or not.
  double b = w_->head.w.bytes();
  for (const BlockWeights& blk : w_->blocks) {
    const MlaWeights& a = blk.attn;
    for (const Linear* l : {&a.wq, &a.wq_a, &a.wq_b, &a.wkv_a, &a.wkv_b, &a.wo})
      if (l->w.data) b += l->w.bytes();
    if (!blk.is_moe) {
      b += mlp(blk.mlp);
      continue;
    }
    double experts = 0;
    for (const Mlp& e : blk.moe.experts) experts += mlp(e);
    b += blk.moe.router.w.bytes() + experts * double(c.num_experts_per_tok) / double(c.n_routed_experts);
    if (blk.moe.has_shared) b += mlp(blk.moe.shared);
  }
  return b;
}

}  // namespace seek
