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
#include "model/linear.h"
#include "model/mla.h"
#include "model/moe.h"
#include "model/rope.h"

namespace seek {

struct DeepSeekBlock {
  Tensor attn_norm, ffn_norm;  // f32 [dim]
  MlaWeights attn;
  bool is_moe = false;
  Mlp mlp;                     // dense layers
  MoeWeights moe;              // MoE layers
};

// Multi-token-prediction module k (stored as layer num_hidden_layers + k). Loaded and kept; not used by forward().
struct MtpModule {
  Tensor enorm, hnorm;         // f32 [dim]
  Linear eh_proj;              // [dim, 2*dim], input [enorm(emb) ; hnorm(h)]
  DeepSeekBlock block;
  Tensor head_norm;            // shared_head.norm, f32 [dim]
  bool has_own_head = false;   // shared_head.head present (a copy of lm_head in published checkpoints)
  Linear head;
};

struct ForwardOptions {
  Precision precision = Precision::F32;
  bool all_logits = true;           // logits for every new token, or only the last
  int64_t* expert_load = nullptr;   // if set: [layers * n_routed_experts] token counts are added here
};

struct ParamCounts {
  int64_t total = 0;      // main model (embedding, layers, norm, head)
  int64_t active = 0;     // used per token: everything but the routed experts not chosen
  int64_t mtp = 0;        // MTP modules, excluding copies of the embedding and head
  int64_t embedding = 0, head = 0;
};

class DeepSeekModel {
 public:
  static std::unique_ptr<DeepSeekModel> load(const std::string& dir);

  const DeepSeekConfig& config() const { return cfg_; }
  const Checkpoint& checkpoint() const { return ck_; }
  const std::vector<MtpModule>& mtp() const { return mtp_; }
  KVCache new_cache(AttnForm form) const { return KVCache(cfg_, form); }

  // Runs tokens[0..T) at positions cache.len() .. cache.len()+T-1 and appends them to the cache.
  // logits: [T, vocab] if opt.all_logits, else [1, vocab] for the last token.
  void forward(const int32_t* tokens, int64_t T, KVCache& cache, const ForwardOptions& opt, float* logits) const;

  static ParamCounts count_params(const DeepSeekConfig& c);

 private:
  DeepSeekConfig cfg_;
  Checkpoint ck_;
  RopeFrequencies rope_;
  Tensor embed_;                // [vocab, dim] in checkpoint dtype
  std::vector<DeepSeekBlock> blocks_;
  Tensor norm_;                 // f32 [dim]
  Linear head_;                 // [vocab, dim]
  std::vector<MtpModule> mtp_;
};

// Row `id` of an embedding table (any float dtype) as f32.
void embedding_row(const Tensor& table, int64_t id, float* out);

}  // namespace seek
