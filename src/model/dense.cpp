#include "model/dense.h"

#include "core/error.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/matmul.h"

namespace seek {

namespace {

constexpr int64_t kNoFp8Block = 128;  // dense checkpoints are not block-quantized; load_linear needs a value

Tensor load_embedding(const Checkpoint& ck, const DenseConfig& c) {
  const std::string name = "model.embed_tokens.weight";
  Tensor t = ck.get(name, {c.vocab_size, c.hidden_size});
  if (t.dtype != DType::F32 && t.dtype != DType::BF16 && t.dtype != DType::F16)
    throw Error(ck.dir() + ": tensor '" + name + "' has dtype " + dtype_name(t.dtype) + ", expected F32, BF16 or F16");
  return t;
}

DenseBlock load_block(const Checkpoint& ck, const DenseConfig& c, int64_t layer) {
  const std::string pre = "model.layers." + std::to_string(layer);
  DenseBlock b;
  b.attn_norm = load_vector_f32(ck, pre + ".input_layernorm.weight", c.hidden_size);
  b.ffn_norm = load_vector_f32(ck, pre + ".post_attention_layernorm.weight", c.hidden_size);
  b.attn = load_dense_attention(ck, pre + ".self_attn", c);
  b.mlp = load_mlp(ck, pre + ".mlp", c.hidden_size, c.intermediate_size, kNoFp8Block);
  return b;
}

// h[n] += f[n], rounded to bf16 in BF16 (the reference's residual stream is a bf16 tensor).
void add_residual(float* h, const float* f, int64_t n, bool bf) {
  for (int64_t i = 0; i < n; i++) h[i] = bf ? round_bf16(h[i] + f[i]) : h[i] + f[i];
}

}  // namespace

std::unique_ptr<DenseModel> DenseModel::load(const std::string& dir) {
  auto m = std::unique_ptr<DenseModel>(new DenseModel());
  m->cfg_ = load_dense_config(dir);
  const DenseConfig& c = m->cfg_;
  m->ck_ = Checkpoint::open(dir);
  const Checkpoint& ck = m->ck_;
  m->rope_ = dense_rope_frequencies(c);
  m->embed_ = load_embedding(ck, c);
  for (int64_t l = 0; l < c.num_hidden_layers; l++) m->blocks_.push_back(load_block(ck, c, l));
  m->norm_ = load_vector_f32(ck, "model.norm.weight", c.hidden_size);
  if (c.tie_word_embeddings) {
    m->head_.storage = m->embed_;
    m->head_.w = WeightRef{m->embed_.dtype, m->embed_.data, c.vocab_size, c.hidden_size, nullptr, kNoFp8Block};
  } else {
    m->head_ = load_linear(ck, "lm_head", c.vocab_size, c.hidden_size, kNoFp8Block);
  }
  return m;
}

void DenseModel::forward(const int32_t* tokens, int64_t T, DenseKVCache& cache, const ForwardOptions& opt,
                         float* logits) const {
  const DenseConfig& c = cfg_;
  const int64_t D = c.hidden_size, pos0 = cache.len();
  const Precision p = opt.precision;
  const bool bf = p == Precision::BF16;
  const float eps = float(c.rms_norm_eps);
  if (cache.layers() != c.num_hidden_layers || cache.kv_heads() != c.num_key_value_heads ||
      cache.head_dim() != c.head_dim)
    throw Error("DenseModel::forward: the cache was made for a model of another shape");
  check_forward_input(tokens, T, pos0, c.vocab_size, c.max_position_embeddings);

  // residual stream, its normed copy, a branch's output: each [T, D]
  std::vector<float> h(static_cast<size_t>(T * D)), hn(static_cast<size_t>(T * D)), f(static_cast<size_t>(T * D));
  const size_t row_bytes = static_cast<size_t>(D) * dtype_size(embed_.dtype);
  for (int64_t t = 0; t < T; t++)
    to_f32(embed_.dtype, static_cast<const char*>(embed_.data) + static_cast<size_t>(tokens[t]) * row_bytes,
           &h[static_cast<size_t>(t * D)], static_cast<size_t>(D));
  if (bf) cpu::round_bf16_inplace(h.data(), T * D);  // a no-op for bf16 checkpoints

  for (size_t l = 0; l < blocks_.size(); l++) {
    const DenseBlock& b = blocks_[l];
    cpu::rmsnorm_forward(hn.data(), h.data(), b.attn_norm.f32(), T, D, eps, bf);
    dense_attention_forward(b.attn, c, rope_, int64_t(l), hn.data(), T, cache, f.data(), p);
    add_residual(h.data(), f.data(), T * D, bf);
    cpu::rmsnorm_forward(hn.data(), h.data(), b.ffn_norm.f32(), T, D, eps, bf);
    mlp_forward(b.mlp, hn.data(), T, f.data(), p);
    add_residual(h.data(), f.data(), T * D, bf);
  }
  cache.extend_to(pos0 + T);

  const int64_t first = opt.all_logits ? 0 : T - 1, rows = T - first;
  cpu::rmsnorm_forward(hn.data(), &h[static_cast<size_t>(first * D)], norm_.f32(), rows, D, eps, bf);
  cpu::matmul(logits, hn.data(), rows, head_.w, p);  // [rows, vocab], left in f32
}

void DenseModel::forward(const int32_t* tokens, int64_t T, SequenceCache& cache, const ForwardOptions& opt,
                         float* logits) const {
  auto* kv = dynamic_cast<DenseKVCache*>(&cache);
  if (!kv) throw Error("DenseModel::forward: the cache was not made by this model");
  forward(tokens, T, *kv, opt, logits);
}

}  // namespace seek
