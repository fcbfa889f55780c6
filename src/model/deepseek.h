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

// The fast form's pieces, shared by the main model and its MTP module (deepseek.cpp):
//   block_forward: one block over the N rows of `seqs` (h [N, hidden], the residual stream, updated in place;
//                  hn and f [N, hidden] scratch), keys written to each cache's `layer`; expert_load (or null) gets
//                  this block's expert counts; check_as names the layer in check_finite's errors;
//   head_logits:   the rows the items want (every row, or each item's last) through `norm` and `head`.
void block_forward(const BlockWeights& b, const DeepSeekConfig& c, int64_t layer, const RopeTable& rope, float* h,
                   float* hn, float* f, int64_t N, const std::vector<SeqRows>& seqs, const ForwardOptions& opt,
                   int64_t* expert_load, int64_t check_as);
void head_logits(const DeepSeekWeights& w, const Linear& head, const Vec& norm, const std::vector<BatchItem>& items,
                 const std::vector<SeqRows>& seqs, const float* h, Precision p);

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

  // ---- multi-token prediction, for speculative decoding (model/deepseek_mtp.cpp) ----
  int64_t mtp_modules() const { return int64_t(w_->mtp.size()); }
  // forward() that also writes the last block's output [T, hidden] (before the final norm) to `hidden`: the input
  // of MTP module 1.
  void forward_hidden(const int32_t* tokens, int64_t T, KVCache& cache, const ForwardOptions& opt, float* logits,
                      float* hidden) const;
  // The cache of MTP module 1's block: one MLA layer, its positions the main model's.
  KVCache new_mtp_cache(AttnForm form) const { return KVCache(cfg(), form, 1); }
  // MTP module 1 (as trained: [enorm(emb(next)) ; hnorm(h)] -> eh_proj -> block -> shared_head.norm -> head) at the
  // n positions p = cache.len() ..: h [n, hidden] is the main model's hidden state at p, next[n] the token at p + 1;
  // logits [n, vocab] (opt.all_logits, else [1, vocab] for the last row) predict the token at p + 2. Appends the n
  // positions to the cache. Throws Error when the model has no MTP module.
  void mtp_forward(const float* h, const int32_t* next, int64_t n, KVCache& cache, const ForwardOptions& opt,
                   float* logits) const;

  const DeepSeekConfig& config() const { return cfg(); }
  const DeepSeekWeights& weights() const { return *w_; }
  KVCache new_cache(AttnForm form) const { return KVCache(cfg(), form); }
  // Bytes of weights one decode step reads: every active matrix once at its stored width (fp8 block scales
  // included), the embedding not at all (one row is read). The decode roofline is bandwidth / this.
  double active_weight_bytes() const override;
  int64_t active_params() const override;

 private:
  const DeepSeekConfig& cfg() const { return w_->config; }
  // forward_batch, and the last block's output of every row to `hidden` [N, hidden] when not null.
  void forward_rows(const std::vector<BatchItem>& items, const ForwardOptions& opt, float* hidden) const;
  std::shared_ptr<const DeepSeekWeights> w_;
  RopeFrequencies rope_;
};

}  // namespace seek
