// What every causal language model in seek offers the layers above it (generation, chat, serving, evaluation):
// token ids in, logits out, with a per-sequence cache. DeepSeek-V2/V3 (MLA + MoE) and the dense Qwen2/Llama
// architectures of the R1-Distill models implement it; load_model() picks one from config.json.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/weight.h"

namespace seek {

enum class AttnForm { Naive, Absorb };

// Per-sequence attention state. Tokens are appended by forward(); set_len() truncates (to rewind after rejected
// speculative tokens, or to reuse a shared prompt prefix).
class SequenceCache {
 public:
  virtual ~SequenceCache() = default;
  virtual int64_t len() const = 0;
  // Truncate to n tokens, 0 <= n <= len(); throws Error otherwise.
  virtual void set_len(int64_t n) = 0;
  virtual size_t bytes_per_token() const = 0;
  // A new cache of the same model holding a copy of this one's first n tokens (0 <= n <= len()): forks a shared
  // prompt into several continuations, or takes a prefix out of a prefix cache.
  virtual std::unique_ptr<SequenceCache> clone(int64_t n) const = 0;
  // The first n tokens' state as bytes (for a prefix cache on disk), and back: deserialize() replaces this cache's
  // contents and throws Error if the bytes were made by a cache of another model or form, or are damaged.
  virtual std::string serialize(int64_t n) const = 0;
  virtual void deserialize(const std::string& bytes) = 0;
};

struct ForwardOptions {
  Precision precision = Precision::F32;
  bool all_logits = true;          // logits for every new token, or only the last
  int64_t* expert_load = nullptr;  // MoE models: [layers * n_routed_experts] token counts are added here
  // Debugging: after the embedding, each layer's attention and MLP/MoE, and the head, throw Error naming the first
  // that produced a NaN or an infinity ("layer N (model.layers.N.mlp) produced non-finite values"). Off it costs
  // nothing; on it scans the residual stream twice per layer (explain_nonfinite_logits turns it on for a rerun).
  bool check_finite = false;
};

// One sequence's part of a batched forward: the tokens to append to its cache, and where its logits go.
struct BatchItem {
  SequenceCache* cache = nullptr;
  const int32_t* tokens = nullptr;
  int64_t n = 0;            // tokens to run (a decode step: 1; a prefill chunk: more)
  float* logits = nullptr;  // [n, vocab] if all_logits, else [1, vocab] for the last token
  bool all_logits = false;
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual std::string architecture() const = 0;  // "deepseek_v3", "qwen2", "llama", ...
  virtual int64_t vocab_size() const = 0;
  virtual int64_t context_length() const = 0;
  virtual int64_t bos_token_id() const = 0;
  virtual int64_t eos_token_id() const = 0;
  // Every id that ends a generation (config.json may list several; the first is eos_token_id()).
  virtual std::vector<int64_t> eos_token_ids() const { return {eos_token_id()}; }
  // form: MLA models only (the latent cache or materialized per-head K/V); others ignore it.
  virtual std::unique_ptr<SequenceCache> new_sequence(AttnForm form = AttnForm::Absorb) const = 0;
  // Runs tokens[0..T) at positions cache.len() .. cache.len()+T-1 and appends them to the cache.
  // logits: [T, vocab] if opt.all_logits, else [1, vocab] for the last token. Ids out of range, or a sequence longer
  // than context_length(), throw Error before anything is appended.
  virtual void forward(const int32_t* tokens, int64_t T, SequenceCache& cache, const ForwardOptions& opt,
                       float* logits) const = 0;
  // Runs every item as forward() would (opt.all_logits is ignored: each item says), as one batch where the model
  // supports it: the Linear layers then see all items' tokens together (one GEMM over the batch, not a GEMV per
  // sequence), and attention runs per sequence against its own cache. Results equal forward() per item up to float
  // rounding. Items must have distinct caches. The default runs the items one after another.
  virtual void forward_batch(const std::vector<BatchItem>& items, const ForwardOptions& opt) const;
  // For speed reports: parameters of the matmuls a token passes through (the head included, the embedding
  // lookup not), and the bytes of stored weights a decode step must read (0 where a model does not say).
  virtual int64_t active_params() const { return 0; }
  virtual double active_weight_bytes() const { return 0; }
};

// Throws Error, before anything runs, if a token id is outside [0, vocab) or positions pos0 .. pos0+T-1 do not fit
// the context. Every model's forward() calls it first.
void check_forward_input(const int32_t* tokens, int64_t T, int64_t pos0, int64_t vocab, int64_t context);

// True when x[0..n) holds no NaN and no infinity.
bool all_finite(const float* x, int64_t n);
// ForwardOptions::check_finite's checks. `layer` < 0: the embedding (model.embed_tokens); `part`: "self_attn" or
// "mlp". Throws Error "<where> produced non-finite values" unless x[0..n) are all finite.
void check_layer_finite(const float* x, int64_t n, int64_t layer, const char* part);
void check_head_finite(const std::vector<BatchItem>& items, int64_t vocab);

// For a caller whose logits came out non-finite after running `tokens` (one sequence from an empty cache): reruns
// them, the same way (all at once, or one token per forward when `incremental`), with opt.check_finite on, and
// throws the Error naming the layer that first produced non-finite values. Always throws.
[[noreturn]] void explain_nonfinite_logits(const LanguageModel& model, const std::vector<int32_t>& tokens,
                                           AttnForm form, ForwardOptions opt, bool incremental = false);

// Reads DIR/config.json and loads the architecture it names, or a .gguf file (model/gguf_model.h). Throws Error
// naming the folder (file) and field.
std::unique_ptr<LanguageModel> load_model(const std::string& dir);

}  // namespace seek
