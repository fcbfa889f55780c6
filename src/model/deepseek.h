// A DeepSeek-V2/V3-architecture model: embedding -> N x [RMSNorm -> MLA -> residual -> RMSNorm -> dense FFN or MoE
// -> residual] -> RMSNorm -> head.
//
// One weights tree (DeepSeekWeights, bound from the schema) serves both forms: DeepSeekModel here is the fast
// form (inference over a KV cache, many sequences per call), TrainableDeepSeek (deepseek_train.h) the trainable
// one. A DeepSeekModel runs over weights memory-mapped from a checkpoint in their stored dtype, or over the live
// f32 masters (or a bf16 copy) a trainer holds, with nothing written to disk.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/kv_cache.h"
#include "model/language_model.h"
#include "model/linear.h"
#include "model/mla.h"
#include "model/moe.h"
#include "model/rope.h"
#include "model/schema.h"
#include "model/weight_source.h"

namespace seek {

struct BlockWeights {
  Vec attn_norm, ffn_norm;  // [dim]
  MlaWeights attn;
  bool is_moe = false;
  Mlp mlp;         // dense layers
  MoeWeights moe;  // MoE layers
};

// Multi-token-prediction module k (stored as layer num_hidden_layers + k).
struct MtpWeights {
  Vec enorm, hnorm;  // [dim]
  Linear eh_proj;    // [dim, 2*dim], input [enorm(emb) ; hnorm(h)]
  BlockWeights block;
  Vec head_norm;              // shared_head.norm [dim]
  bool has_own_head = false;  // shared_head.head present (a copy of lm_head in published checkpoints)
  Linear head;
};

struct DeepSeekWeights {
  DeepSeekConfig config;
  Linear embed;  // [vocab, dim]: rows are token embeddings
  std::vector<BlockWeights> blocks;
  Vec norm;     // [dim]
  Linear head;  // [vocab, dim]: lm_head, or the embedding when tied
  std::vector<MtpWeights> mtp;
};
BlockWeights bind_block(WeightSource& src, const BlockSpec& s);
// Every tensor of the schema from `src`. MTP modules the source lacks are skipped (many converted checkpoints drop
// them; the main model is complete without) with a note on stderr naming `where`, unless require_mtp.
DeepSeekWeights bind_deepseek(const DeepSeekConfig& c, WeightSource& src, const std::string& where,
                              bool require_mtp = false);

class DeepSeekModel : public LanguageModel {
 public:
  static std::unique_ptr<DeepSeekModel> load(const std::string& dir);
  // Over weights held elsewhere: `keep` owns them (or shares ownership with their holder, e.g. a trainer, which must
  // then outlive this model when the weights point into its parameter store).
  explicit DeepSeekModel(std::shared_ptr<const DeepSeekWeights> keep);

  std::string architecture() const override { return cfg().model_type; }
  int64_t vocab_size() const override { return cfg().vocab_size; }
  int64_t context_length() const override { return cfg().max_position_embeddings; }
  int64_t bos_token_id() const override { return cfg().bos_token_id; }
  int64_t eos_token_id() const override { return cfg().eos_token_id; }
  std::unique_ptr<SequenceCache> new_sequence(AttnForm form) const override {
    return std::make_unique<KVCache>(cfg(), form);
  }
  void forward(const int32_t* tokens, int64_t T, SequenceCache& cache, const ForwardOptions& opt,
               float* logits) const override;
  void forward_batch(const std::vector<BatchItem>& items, const ForwardOptions& opt) const override;

  const DeepSeekConfig& config() const { return cfg(); }
  const DeepSeekWeights& weights() const { return *w_; }
  KVCache new_cache(AttnForm form) const { return KVCache(cfg(), form); }
  // Bytes of weights one decode step reads: every active matrix once at its stored width (fp8 block scales
  // included), the embedding not at all (one row is read). The decode roofline is bandwidth / this.
  double active_weight_bytes() const override;
  int64_t active_params() const override;

 private:
  const DeepSeekConfig& cfg() const { return w_->config; }
  std::shared_ptr<const DeepSeekWeights> w_;
  RopeFrequencies rope_;
};

}  // namespace seek
