#include "model/dense.h"

#include <cstring>

#include "core/error.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/rowops.h"
#include "model/moe.h"
#include "model/schema.h"

namespace seek {

namespace {

// h[n] += f[n], rounded to bf16 in BF16 (the reference's residual stream is a bf16 tensor).
void add_residual(float* h, const float* f, int64_t n, bool bf) {
  for (int64_t i = 0; i < n; i++) h[i] = bf ? round_bf16(h[i] + f[i]) : h[i] + f[i];
}

}  // namespace

DenseWeights bind_dense(const DenseConfig& c, WeightSource& src) {
  const DenseSchema s = dense_schema(c);
  DenseWeights w;
  w.config = c;
  w.embed = src.matrix(s.embed);
  for (const DenseBlockSpec& b : s.blocks)
    w.blocks.push_back(DenseBlock{src.vector(b.attn_norm), src.vector(b.ffn_norm), bind_dense_attention(src, b.attn),
                                  bind_mlp(src, b.mlp)});
  w.norm = src.vector(s.norm);
  w.head = s.head ? src.matrix(*s.head) : w.embed;
  return w;
}

std::unique_ptr<DenseModel> DenseModel::load(const std::string& dir) {
  const DenseConfig c = load_dense_config(dir);
  CheckpointWeights src(Checkpoint::open(dir));
  return std::make_unique<DenseModel>(std::make_shared<const DenseWeights>(bind_dense(c, src)));
}

int64_t DenseModel::active_params() const {
  const ParamCounts pc = count_params(cfg_);
  return pc.total - pc.embedding + (cfg_.tie_word_embeddings ? pc.embedding : 0);  // the head is a matmul, tied or not
}

double DenseModel::active_weight_bytes() const {
  double b = w_->head.w.bytes();
  for (const DenseBlock& blk : w_->blocks)
    for (const Linear* l : {&blk.attn.q, &blk.attn.k, &blk.attn.v, &blk.attn.o, &blk.mlp.gate, &blk.mlp.up, &blk.mlp.down})
      b += l->w.bytes();
  return b;
}

DenseModel::DenseModel(std::shared_ptr<const DenseWeights> keep)
    : w_(std::move(keep)), cfg_(w_->config), rope_(dense_rope_frequencies(cfg_)) {}

void DenseModel::forward(const int32_t* tokens, int64_t T, SequenceCache& cache, const ForwardOptions& opt,
                         float* logits) const {
  forward_batch({BatchItem{&cache, tokens, T, logits, opt.all_logits}}, opt);
}

void DenseModel::forward_batch(const std::vector<BatchItem>& items, const ForwardOptions& opt) const {
  const DenseConfig& c = cfg_;
  const int64_t D = c.hidden_size;
  const Precision p = opt.precision;
  const bool bf = p == Precision::BF16;
  const double eps = c.rms_norm_eps;
  std::vector<DenseSeqRows> seqs;
  std::vector<int32_t> pos;  // [N] position of each row
  for (const BatchItem& it : items) {
    auto* kv = dynamic_cast<DenseKVCache*>(it.cache);
    if (!kv) throw Error("DenseModel::forward: the cache was not made by this model");
    if (kv->layers() != c.num_hidden_layers || kv->kv_heads() != c.num_key_value_heads || kv->head_dim() != c.head_dim)
      throw Error("DenseModel::forward: the cache was made for a model of another shape");
    check_forward_input(it.tokens, it.n, kv->len(), c.vocab_size, c.max_position_embeddings);
    seqs.push_back(DenseSeqRows{kv, int64_t(pos.size()), it.n});
    for (int64_t j = 0; j < it.n; j++) pos.push_back(int32_t(kv->len() + j));
  }
  const int64_t N = int64_t(pos.size());
  RopeTable rope;
  rope.build(rope_, pos.data(), N);
  if (bf) {  // the reference casts its f32 cos/sin tables to the activation dtype
    cpu::round_bf16_inplace(rope.cos.data(), int64_t(rope.cos.size()));
    cpu::round_bf16_inplace(rope.sin.data(), int64_t(rope.sin.size()));
  }

  // residual stream, its normed copy, a branch's output: each [N, D]
  std::vector<float> h(size_t(N * D)), hn(size_t(N * D)), f(size_t(N * D));
  for (size_t i = 0; i < items.size(); i++)
    for (int64_t j = 0; j < items[i].n; j++)
      w_->embed.w.row_f32(items[i].tokens[j], &h[size_t((seqs[i].first + j) * D)], false);
  if (opt.check_finite) check_layer_finite(h.data(), N * D, -1, "");
  if (bf) cpu::round_bf16_inplace(h.data(), N * D);  // a no-op for bf16 checkpoints

  for (size_t l = 0; l < w_->blocks.size(); l++) {
    const DenseBlock& b = w_->blocks[l];
    cpu::rmsnorm_forward(hn.data(), h.data(), b.attn_norm.w, N, D, eps, (float*)nullptr, bf);
    dense_attention_forward(b.attn, c, rope, int64_t(l), hn.data(), N, seqs, f.data(), p);
    add_residual(h.data(), f.data(), N * D, bf);
    if (opt.check_finite) check_layer_finite(h.data(), N * D, int64_t(l), "self_attn");
    cpu::rmsnorm_forward(hn.data(), h.data(), b.ffn_norm.w, N, D, eps, (float*)nullptr, bf);
    mlp_forward(b.mlp, hn.data(), N, f.data(), p);
    add_residual(h.data(), f.data(), N * D, bf);
    if (opt.check_finite) check_layer_finite(h.data(), N * D, int64_t(l), "mlp");
  }
  for (const DenseSeqRows& s : seqs) s.cache->extend_to(s.cache->len() + s.n);

  // logits of the rows the items want
  for (size_t i = 0; i < items.size(); i++) {
    const int64_t first = items[i].all_logits ? 0 : seqs[i].n - 1, rows = seqs[i].n - first;
    std::vector<float> r(size_t(rows * D));
    std::memcpy(r.data(), &h[size_t((seqs[i].first + first) * D)], size_t(rows * D) * 4);
    cpu::rmsnorm_forward(r.data(), r.data(), w_->norm.w, rows, D, eps, (float*)nullptr, bf);
    cpu::matmul(items[i].logits, r.data(), rows, w_->head.w, p);  // [rows, vocab], left in f32
  }
  if (opt.check_finite) check_head_finite(items, c.vocab_size);
}

}  // namespace seek
