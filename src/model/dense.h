// A dense decoder model of the R1-Distill kind (Qwen2ForCausalLM, LlamaForCausalLM): embedding -> N x [RMSNorm ->
// GQA attention with half-split RoPE -> residual -> RMSNorm -> SwiGLU MLP -> residual] -> RMSNorm -> lm_head (or
// the tied embedding). Weights stay memory-mapped in their checkpoint dtype, bound from the dense schema.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/dense_attention.h"
#include "model/dense_config.h"
#include "model/dense_kv_cache.h"
#include "model/language_model.h"
#include "model/linear.h"
#include "model/rope.h"
#include "model/weight_source.h"

namespace seek {

struct DenseBlock {
  Vec attn_norm, ffn_norm;  // input_layernorm, post_attention_layernorm: f32 [dim]
  DenseAttention attn;
  Mlp mlp;  // gate/up [inter, dim], down [dim, inter]
};

// The weights tree of a dense model, bound from the dense schema (a checkpoint, or a trainer's parameter store).
struct DenseWeights {
  DenseConfig config;
  Linear embed;  // [vocab, dim]
  std::vector<DenseBlock> blocks;
  Vec norm;     // f32 [dim]
  Linear head;  // [vocab, dim]: lm_head, or the embedding when tied
};
DenseWeights bind_dense(const DenseConfig& c, WeightSource& src);

class DenseModel : public LanguageModel {
 public:
  static std::unique_ptr<DenseModel> load(const std::string& dir);
  // Over weights held elsewhere (see DeepSeekModel's constructor).
  explicit DenseModel(std::shared_ptr<const DenseWeights> keep);

  std::string architecture() const override { return cfg_.model_type; }
  int64_t vocab_size() const override { return cfg_.vocab_size; }
  int64_t context_length() const override { return cfg_.max_position_embeddings; }
  int64_t bos_token_id() const override { return cfg_.bos_token_id; }
  // -1 when config.json gives no eos_token_id.
  int64_t eos_token_id() const override { return cfg_.eos_token_ids.empty() ? -1 : cfg_.eos_token_ids[0]; }
  std::vector<int64_t> eos_token_ids() const override { return cfg_.eos_token_ids; }
  std::unique_ptr<SequenceCache> new_sequence(AttnForm) const override {
    return std::make_unique<DenseKVCache>(new_cache());
  }
  void forward(const int32_t* tokens, int64_t T, SequenceCache& cache, const ForwardOptions& opt,
               float* logits) const override;
  void forward_batch(const std::vector<BatchItem>& items, const ForwardOptions& opt) const override;
  int64_t active_params() const override;
  double active_weight_bytes() const override;  // every matrix and the head (one embedding row is negligible)

  const DenseConfig& config() const { return cfg_; }
  const RopeFrequencies& rope() const { return rope_; }
  DenseKVCache new_cache() const {
    return DenseKVCache(cfg_.num_hidden_layers, cfg_.num_key_value_heads, cfg_.head_dim);
  }

  const DenseWeights& weights() const { return *w_; }

 private:
  std::shared_ptr<const DenseWeights> w_;
  const DenseConfig& cfg_;  // w_->config
  RopeFrequencies rope_;
};

}  // namespace seek
