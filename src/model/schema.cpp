#include "model/schema.h"

namespace seek {

namespace {

TensorSpec spec(std::string name, Shape shape, Role role) {
  TensorSpec s;
  s.name = std::move(name);
  s.shape = std::move(shape);
  s.role = role;
  return s;
}

MlpSpec mlp_spec(const std::string& p, int64_t dim, int64_t inter) {
  return {spec(p + ".gate_proj.weight", {inter, dim}, Role::Matrix),
          spec(p + ".up_proj.weight", {inter, dim}, Role::Matrix),
          spec(p + ".down_proj.weight", {dim, inter}, Role::Matrix)};
}

MlaSpec mla_spec(const std::string& p, const DeepSeekConfig& c) {
  const int64_t D = c.hidden_size, H = c.num_attention_heads;
  MlaSpec a;
  if (c.q_lora_rank > 0) {
    a.q_a_proj = spec(p + ".q_a_proj.weight", {c.q_lora_rank, D}, Role::Matrix);
    a.q_a_norm = spec(p + ".q_a_layernorm.weight", {c.q_lora_rank}, Role::Norm);
    a.q_b_proj = spec(p + ".q_b_proj.weight", {H * c.qk_head_dim(), c.q_lora_rank}, Role::Matrix);
  } else {
    a.q_proj = spec(p + ".q_proj.weight", {H * c.qk_head_dim(), D}, Role::Matrix);
  }
  a.kv_a_proj = spec(p + ".kv_a_proj_with_mqa.weight", {c.kv_lora_rank + c.qk_rope_head_dim, D}, Role::Matrix);
  a.kv_a_norm = spec(p + ".kv_a_layernorm.weight", {c.kv_lora_rank}, Role::Norm);
  a.kv_b_proj = spec(p + ".kv_b_proj.weight", {H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank}, Role::Matrix);
  a.o_proj = spec(p + ".o_proj.weight", {D, H * c.v_head_dim}, Role::Matrix);
  return a;
}

MoeSpec moe_spec(const std::string& p, const DeepSeekConfig& c) {
  const int64_t D = c.hidden_size, E = c.n_routed_experts;
  MoeSpec m;
  m.router = spec(p + ".gate.weight", {E, D}, Role::Router);
  if (c.uses_selection_bias()) m.bias = spec(p + ".gate.e_score_correction_bias", {E}, Role::SelectionBias);
  const double share = E > 0 ? double(c.num_experts_per_tok) / double(E) : 0.0;
  for (int64_t e = 0; e < E; e++) {
    MlpSpec x = mlp_spec(p + ".experts." + std::to_string(e), D, c.moe_intermediate_size);
    for (TensorSpec* t : {&x.gate, &x.up, &x.down}) t->active = share;
    m.experts.push_back(std::move(x));
  }
  if (c.n_shared_experts > 0)
    m.shared = mlp_spec(p + ".shared_experts", D, c.n_shared_experts * c.moe_intermediate_size);
  return m;
}

BlockSpec block_spec(const DeepSeekConfig& c, int64_t layer) {
  const std::string p = "model.layers." + std::to_string(layer);
  BlockSpec b;
  b.layer = layer;
  b.attn_norm = spec(p + ".input_layernorm.weight", {c.hidden_size}, Role::Norm);
  b.attn = mla_spec(p + ".self_attn", c);
  b.ffn_norm = spec(p + ".post_attention_layernorm.weight", {c.hidden_size}, Role::Norm);
  b.is_moe = c.is_moe_layer(layer);
  if (b.is_moe)
    b.moe = moe_spec(p + ".mlp", c);
  else
    b.mlp = mlp_spec(p + ".mlp", c.hidden_size, c.intermediate_size);
  return b;
}

// Calls f(spec) for every tensor of a block, in creation order (B: BlockSpec or const BlockSpec).
template <class B, class F>
void visit_block(B& b, F&& f) {
  auto opt = [&](auto& t) {
    if (t) f(*t);
  };
  auto mlp = [&](auto& m) {
    f(m.gate);
    f(m.up);
    f(m.down);
  };
  f(b.attn_norm);
  opt(b.attn.q_a_proj);
  opt(b.attn.q_a_norm);
  opt(b.attn.q_b_proj);
  opt(b.attn.q_proj);
  f(b.attn.kv_a_proj);
  f(b.attn.kv_a_norm);
  f(b.attn.kv_b_proj);
  f(b.attn.o_proj);
  f(b.ffn_norm);
  if (b.mlp) mlp(*b.mlp);
  if (b.moe) {
    f(b.moe->router);
    opt(b.moe->bias);
    for (auto& e : b.moe->experts) mlp(e);
    if (b.moe->shared) mlp(*b.moe->shared);
  }
}

}  // namespace

DeepSeekSchema deepseek_schema(const DeepSeekConfig& c) {
  const int64_t D = c.hidden_size, V = c.vocab_size;
  DeepSeekSchema s;
  s.embed = spec("model.embed_tokens.weight", {V, D}, Role::Embedding);
  for (int64_t l = 0; l < c.num_hidden_layers; l++) s.blocks.push_back(block_spec(c, l));
  s.norm = spec("model.norm.weight", {D}, Role::Norm);
  if (!c.tie_word_embeddings) s.head = spec("lm_head.weight", {V, D}, Role::Head);
  for (int64_t k = 0; k < c.num_nextn_predict_layers; k++) {
    const int64_t layer = c.num_hidden_layers + k;
    const std::string p = "model.layers." + std::to_string(layer);
    MtpSpec m;
    m.enorm = spec(p + ".enorm.weight", {D}, Role::Norm);
    m.hnorm = spec(p + ".hnorm.weight", {D}, Role::Norm);
    m.eh_proj = spec(p + ".eh_proj.weight", {D, 2 * D}, Role::Matrix);
    m.block = block_spec(c, layer);
    m.head_norm = spec(p + ".shared_head.norm.weight", {D}, Role::Norm);
    m.head = spec(p + ".shared_head.head.weight", {V, D}, Role::Head);
    m.head.required = false;  // published checkpoints carry a copy of lm_head; converted ones often drop it
    visit_block(m.block, [](TensorSpec& t) { t.mtp = true; });
    for (TensorSpec* t : {&m.enorm, &m.hnorm, &m.eh_proj, &m.head_norm, &m.head}) t->mtp = true;
    s.mtp.push_back(std::move(m));
  }
  return s;
}

std::vector<const TensorSpec*> DeepSeekSchema::all() const {
  std::vector<const TensorSpec*> v{&embed};
  auto add = [&](const TensorSpec& t) { v.push_back(&t); };
  for (const BlockSpec& b : blocks) visit_block(b, add);
  add(norm);
  if (head) add(*head);
  for (const MtpSpec& m : mtp) {
    add(m.enorm);
    add(m.hnorm);
    add(m.eh_proj);
    visit_block(m.block, add);
    add(m.head_norm);
    add(m.head);
  }
  return v;
}

DenseSchema dense_schema(const DenseConfig& c) {
  const int64_t D = c.hidden_size, V = c.vocab_size;
  DenseSchema s;
  s.embed = spec("model.embed_tokens.weight", {V, D}, Role::Embedding);
  for (int64_t l = 0; l < c.num_hidden_layers; l++) {
    const std::string p = "model.layers." + std::to_string(l);
    const std::string a = p + ".self_attn.";
    DenseBlockSpec b;
    b.attn_norm = spec(p + ".input_layernorm.weight", {D}, Role::Norm);
    b.attn.q = spec(a + "q_proj.weight", {c.q_dim(), D}, Role::Matrix);
    b.attn.k = spec(a + "k_proj.weight", {c.kv_dim(), D}, Role::Matrix);
    b.attn.v = spec(a + "v_proj.weight", {c.kv_dim(), D}, Role::Matrix);
    b.attn.o = spec(a + "o_proj.weight", {D, c.q_dim()}, Role::Matrix);
    if (c.qkv_bias) {
      b.attn.q_bias = spec(a + "q_proj.bias", {c.q_dim()}, Role::Bias);
      b.attn.k_bias = spec(a + "k_proj.bias", {c.kv_dim()}, Role::Bias);
      b.attn.v_bias = spec(a + "v_proj.bias", {c.kv_dim()}, Role::Bias);
    }
    if (c.o_bias) b.attn.o_bias = spec(a + "o_proj.bias", {D}, Role::Bias);
    b.ffn_norm = spec(p + ".post_attention_layernorm.weight", {D}, Role::Norm);
    b.mlp = mlp_spec(p + ".mlp", D, c.intermediate_size);
    s.blocks.push_back(std::move(b));
  }
  s.norm = spec("model.norm.weight", {D}, Role::Norm);
  if (!c.tie_word_embeddings) s.head = spec("lm_head.weight", {V, D}, Role::Head);
  return s;
}

std::vector<const TensorSpec*> DenseSchema::all() const {
  std::vector<const TensorSpec*> v{&embed};
  for (const DenseBlockSpec& b : blocks) {
    v.push_back(&b.attn_norm);
    for (const TensorSpec* t : {&b.attn.q, &b.attn.k, &b.attn.v, &b.attn.o}) v.push_back(t);
    for (const auto* t : {&b.attn.q_bias, &b.attn.k_bias, &b.attn.v_bias, &b.attn.o_bias})
      if (*t) v.push_back(&**t);
    v.push_back(&b.ffn_norm);
    for (const TensorSpec* t : {&b.mlp.gate, &b.mlp.up, &b.mlp.down}) v.push_back(t);
  }
  v.push_back(&norm);
  if (head) v.push_back(&*head);
  return v;
}

namespace {
template <class Schema>
ParamCounts count(const Schema& s) {
  ParamCounts r;
  r.embedding = s.embed.numel();
  r.head = s.head ? s.head->numel() : 0;
  double active = 0;  // summed unrounded: E experts of share K/E add up to exactly K experts
  for (const TensorSpec* t : s.all()) {
    if (t->mtp) {
      if (t->role != Role::Head) r.mtp += t->numel();  // the MTP module's head is a copy of lm_head
      continue;
    }
    r.total += t->numel();
    active += double(t->numel()) * t->active;
  }
  r.active = int64_t(active + 0.5);
  return r;
}
}  // namespace

ParamCounts count_params(const DeepSeekConfig& c) { return count(deepseek_schema(c)); }
ParamCounts count_params(const DenseConfig& c) { return count(dense_schema(c)); }

int64_t active_matmul_params(const BlockSpec& b) {
  double n = 0;
  visit_block(b, [&](const TensorSpec& t) {
    if (t.is_matmul()) n += double(t.numel()) * t.active;
  });
  return int64_t(n + 0.5);
}

}  // namespace seek
