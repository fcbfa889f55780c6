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
  virtual void set_len(int64_t n) = 0;
  virtual size_t bytes_per_token() const = 0;
};

struct ForwardOptions {
  Precision precision = Precision::F32;
  bool all_logits = true;          // logits for every new token, or only the last
  int64_t* expert_load = nullptr;  // MoE models: [layers * n_routed_experts] token counts are added here
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
};

// Throws Error, before anything runs, if a token id is outside [0, vocab) or positions pos0 .. pos0+T-1 do not fit
// the context. Every model's forward() calls it first.
void check_forward_input(const int32_t* tokens, int64_t T, int64_t pos0, int64_t vocab, int64_t context);

// Reads DIR/config.json and loads the architecture it names. Throws Error naming the folder and field.
std::unique_ptr<LanguageModel> load_model(const std::string& dir);

}  // namespace seek
