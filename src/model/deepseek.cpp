#include "model/deepseek.h"

#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/matmul.h"

namespace seek {

namespace {

DeepSeekBlock load_block(const Checkpoint& ck, const DeepSeekConfig& c, int64_t layer) {
  const std::string pre = "model.layers." + std::to_string(layer);
  DeepSeekBlock b;
  b.attn_norm = load_vector_f32(ck, pre + ".input_layernorm.weight", c.hidden_size);
  b.ffn_norm = load_vector_f32(ck, pre + ".post_attention_layernorm.weight", c.hidden_size);
  b.attn = load_mla(ck, pre + ".self_attn", c);
  b.is_moe = c.is_moe_layer(layer);
  if (b.is_moe)
    b.moe = load_moe(ck, pre + ".mlp", c);
  else
    b.mlp = load_mlp(ck, pre + ".mlp", c.hidden_size, c.intermediate_size, c.fp8_block);
  return b;
}

Tensor load_table(const Checkpoint& ck, const std::string& name, const DeepSeekConfig& c) {
  Tensor t = ck.get(name, {c.vocab_size, c.hidden_size});
  if (t.dtype != DType::F32 && t.dtype != DType::BF16 && t.dtype != DType::F16)
    throw Error(ck.dir() + ": tensor '" + name + "' has dtype " + dtype_name(t.dtype) + ", expected F32, BF16 or F16");
  return t;
}

}  // namespace

void embedding_row(const Tensor& table, int64_t id, float* out) {
  const int64_t dim = table.dim(1);
  to_f32(table.dtype, static_cast<const char*>(table.data) + size_t(id * dim) * dtype_size(table.dtype), out,
         size_t(dim));
}

std::unique_ptr<DeepSeekModel> DeepSeekModel::load(const std::string& dir) {
  auto m = std::unique_ptr<DeepSeekModel>(new DeepSeekModel());
  m->cfg_ = load_deepseek_config(dir);
  const DeepSeekConfig& c = m->cfg_;
  m->ck_ = Checkpoint::open(dir);
  const Checkpoint& ck = m->ck_;
  m->rope_ = RopeFrequencies(c);
  m->embed_ = load_table(ck, "model.embed_tokens.weight", c);
  for (int64_t l = 0; l < c.num_hidden_layers; l++) m->blocks_.push_back(load_block(ck, c, l));
  m->norm_ = load_vector_f32(ck, "model.norm.weight", c.hidden_size);
  if (c.tie_word_embeddings) {
    m->head_.storage = m->embed_;
    m->head_.w = WeightRef{m->embed_.dtype, m->embed_.data, c.vocab_size, c.hidden_size, nullptr, 128};
  } else {
    m->head_ = load_linear(ck, "lm_head", c.vocab_size, c.hidden_size, c.fp8_block);
  }
  for (int64_t k = 0; k < c.num_nextn_predict_layers; k++) {
    const int64_t layer = c.num_hidden_layers + k;
    const std::string pre = "model.layers." + std::to_string(layer);
    if (!ck.has(pre + ".eh_proj.weight")) {
      // Many converted checkpoints drop the MTP module; the main model is complete without it.
      std::fprintf(stderr,
                   "seek: note: %s has num_nextn_predict_layers=%lld but no '%s.eh_proj.weight'; "
                   "MTP module not loaded\n",
                   dir.c_str(), (long long)c.num_nextn_predict_layers, pre.c_str());
      break;
    }
    MtpModule mt;
    mt.enorm = load_vector_f32(ck, pre + ".enorm.weight", c.hidden_size);
    mt.hnorm = load_vector_f32(ck, pre + ".hnorm.weight", c.hidden_size);
    mt.eh_proj = load_linear(ck, pre + ".eh_proj", c.hidden_size, 2 * c.hidden_size, c.fp8_block);
    mt.block = load_block(ck, c, layer);
    mt.head_norm = load_vector_f32(ck, pre + ".shared_head.norm.weight", c.hidden_size);
    if (ck.has(pre + ".shared_head.head.weight")) {
      mt.head = load_linear(ck, pre + ".shared_head.head", c.vocab_size, c.hidden_size, c.fp8_block);
      mt.has_own_head = true;
    }
    m->mtp_.push_back(std::move(mt));
  }
  return m;
}

void DeepSeekModel::forward(const int32_t* tokens, int64_t T, KVCache& cache, const ForwardOptions& opt,
                            float* logits) const {
  const DeepSeekConfig& c = cfg_;
  const int64_t D = c.hidden_size, pos0 = cache.len();
  const Precision p = opt.precision;
  const bool bf = p == Precision::BF16;
  check_forward_input(tokens, T, pos0, c.vocab_size, c.max_position_embeddings);

  std::vector<float> h(size_t(T * D)), hn(size_t(T * D)), f(size_t(T * D));  // residual stream, normed, branch out
  for (int64_t t = 0; t < T; t++) embedding_row(embed_, tokens[t], &h[size_t(t * D)]);

  for (size_t l = 0; l < blocks_.size(); l++) {
    const DeepSeekBlock& b = blocks_[l];
    cpu::rmsnorm_forward(hn.data(), h.data(), b.attn_norm.f32(), T, D, float(c.rms_norm_eps), bf);
    mla_forward(b.attn, c, rope_, int64_t(l), hn.data(), T, cache, f.data(), p);
    for (int64_t i = 0; i < T * D; i++)
      h[size_t(i)] = bf ? round_bf16(h[size_t(i)] + f[size_t(i)]) : h[size_t(i)] + f[size_t(i)];
    cpu::rmsnorm_forward(hn.data(), h.data(), b.ffn_norm.f32(), T, D, float(c.rms_norm_eps), bf);
    if (b.is_moe)
      moe_forward(b.moe, c, hn.data(), T, f.data(), p,
                  opt.expert_load ? opt.expert_load + int64_t(l) * c.n_routed_experts : nullptr);
    else
      mlp_forward(b.mlp, hn.data(), T, f.data(), p);
    for (int64_t i = 0; i < T * D; i++)
      h[size_t(i)] = bf ? round_bf16(h[size_t(i)] + f[size_t(i)]) : h[size_t(i)] + f[size_t(i)];
  }
  cache.extend_to(pos0 + T);

  const int64_t first = opt.all_logits ? 0 : T - 1, rows = T - first;
  cpu::rmsnorm_forward(hn.data(), &h[size_t(first * D)], norm_.f32(), rows, D, float(c.rms_norm_eps), bf);
  cpu::matmul(logits, hn.data(), rows, head_.w, p);  // [rows, vocab], left in f32
}

void DeepSeekModel::forward(const int32_t* tokens, int64_t T, SequenceCache& cache, const ForwardOptions& opt,
                            float* logits) const {
  auto* kv = dynamic_cast<KVCache*>(&cache);
  if (!kv) throw Error("DeepSeekModel::forward: the cache was not made by this model");
  forward(tokens, T, *kv, opt, logits);
}

ParamCounts DeepSeekModel::count_params(const DeepSeekConfig& c) {
  const int64_t D = c.hidden_size, H = c.num_attention_heads;
  int64_t attn = (c.q_lora_rank > 0 ? c.q_lora_rank * D + c.q_lora_rank + H * c.qk_head_dim() * c.q_lora_rank
                                    : H * c.qk_head_dim() * D) +
                 (c.kv_lora_rank + c.qk_rope_head_dim) * D + c.kv_lora_rank +
                 H * (c.qk_nope_head_dim + c.v_head_dim) * c.kv_lora_rank + D * H * c.v_head_dim;
  int64_t norms = 2 * D;
  int64_t expert = 3 * D * c.moe_intermediate_size;
  int64_t moe_common = c.n_routed_experts * D + (c.topk_method == TopkMethod::NoauxTc ? c.n_routed_experts : 0) +
                       c.n_shared_experts * expert;
  ParamCounts r;
  r.embedding = c.vocab_size * D;
  r.head = c.tie_word_embeddings ? 0 : c.vocab_size * D;
  r.total = r.active = r.embedding + r.head + D;
  auto block = [&](int64_t layer, int64_t& total, int64_t& active) {
    total += attn + norms;
    active += attn + norms;
    if (c.is_moe_layer(layer)) {
      total += moe_common + c.n_routed_experts * expert;
      active += moe_common + c.num_experts_per_tok * expert;
    } else {
      total += 3 * D * c.intermediate_size;
      active += 3 * D * c.intermediate_size;
    }
  };
  for (int64_t l = 0; l < c.num_hidden_layers; l++) block(l, r.total, r.active);
  for (int64_t k = 0; k < c.num_nextn_predict_layers; k++) {
    int64_t unused = 0;
    r.mtp += 3 * D + 2 * D * D;  // enorm, hnorm, shared_head.norm, eh_proj
    block(c.num_hidden_layers + k, r.mtp, unused);
  }
  return r;
}

}  // namespace seek
