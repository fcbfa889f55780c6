// A DeepSeek-V2/V3-architecture model: embedding -> N x [RMSNorm -> MLA -> residual -> RMSNorm -> dense FFN or MoE
// -> residual] -> RMSNorm -> head. Weights stay memory-mapped in their checkpoint dtype.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "formats/checkpoint.h"
#include "model/config.h"
#include "model/kv_cache.h"
#include "model/language_model.h"
#include "model/linear.h"
#include "model/mla.h"
#include "model/moe.h"
#include "model/rope.h"

namespace seek {

struct DeepSeekBlock {
  Tensor attn_norm, ffn_norm;  // f32 [dim]
  MlaWeights attn;
  bool is_moe = false;
  Mlp mlp;         // dense layers
  MoeWeights moe;  // MoE layers
};

// Multi-token-prediction module k (stored as layer num_hidden_layers + k). Loaded and kept; not used by forward().
struct MtpModule {
  Tensor enorm, hnorm;  // f32 [dim]
  Linear eh_proj;       // [dim, 2*dim], input [enorm(emb) ; hnorm(h)]
  DeepSeekBlock block;
  Tensor head_norm;           // shared_head.norm, f32 [dim]
  bool has_own_head = false;  // shared_head.head present (a copy of lm_head in published checkpoints)
  Linear head;
};

struct ParamCounts {
  int64_t total = 0;   // main model (embedding, layers, norm, head)
  int64_t active = 0;  // used per token: everything but the routed experts not chosen
  int64_t mtp = 0;     // MTP modules, excluding copies of the embedding and head
  int64_t embedding = 0, head = 0;
};

class DeepSeekModel : public LanguageModel {
 public:
  static std::unique_ptr<DeepSeekModel> load(const std::string& dir);

  std::string architecture() const override { return cfg_.model_type; }
  int64_t vocab_size() const override { return cfg_.vocab_size; }
  int64_t context_length() const override { return cfg_.max_position_embeddings; }
  int64_t bos_token_id() const override { return cfg_.bos_token_id; }
  int64_t eos_token_id() const override { return cfg_.eos_token_id; }
  std::unique_ptr<SequenceCache> new_sequence(AttnForm form) const override {
    return std::make_unique<KVCache>(cfg_, form);
  }
  void forward(const int32_t* tokens, int64_t T, SequenceCache& cache, const ForwardOptions& opt,
               float* logits) const override;

  const DeepSeekConfig& config() const { return cfg_; }
  const Checkpoint& checkpoint() const { return ck_; }
  const std::vector<MtpModule>& mtp() const { return mtp_; }
  KVCache new_cache(AttnForm form) const { return KVCache(cfg_, form); }

  // The same, on the concrete MLA cache.
  void forward(const int32_t* tokens, int64_t T, KVCache& cache, const ForwardOptions& opt, float* logits) const;

  static ParamCounts count_params(const DeepSeekConfig& c);

 private:
  DeepSeekConfig cfg_;
  Checkpoint ck_;
  RopeFrequencies rope_;
  Tensor embed_;  // [vocab, dim] in checkpoint dtype
  std::vector<DeepSeekBlock> blocks_;
  Tensor norm_;  // f32 [dim]
  Linear head_;  // [vocab, dim]
  std::vector<MtpModule> mtp_;
};

// Row `id` of an embedding table (any float dtype) as f32.
void embedding_row(const Tensor& table, int64_t id, float* out);

}  // namespace seek
