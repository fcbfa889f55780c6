// A DeepSeek-V3/V2-architecture model in its trainable form: f32 master parameters (a ParamStore bound to the
// schema), a forward over a batch of token sequences that keeps every activation, and a backward that accumulates
// the gradient of
//   L = L_main + (lambda / D) sum_k L_mtp^k + alpha * mean_seq sum_layers sum_i f_i P_i
// (definitions in tools/reference/README.md, the PyTorch reference these gradients are tested against).
// It shares the weights tree (DeepSeekWeights), the gate, the expert dispatch and the row ops with the fast form,
// and hands out a DeepSeekModel over its live weights for sampling and rollouts.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/deepseek.h"
#include "model/mla_train.h"
#include "model/moe_train.h"
#include "model/param_store.h"
#include "model/train_batch.h"
#include "model/trainable_lm.h"

namespace seek {

struct LossOptions {
  double mtp_lambda = 0.3;      // weight of the MTP losses (divided by the depth)
  int64_t mtp_depth = -1;       // modules used; -1: all the config has
  double balance_alpha = 1e-4;  // sequence-wise balance loss weight (0: off)
  Precision precision = Precision::F32;
  // Activation checkpointing as DeepSeek-V3 does it: the RMSNorm outputs (each block's two, MLA's two) and MLA's
  // up-projections (q, k, v) are not kept after the forward; the backward computes them again. Same gradients.
  bool recompute = false;
};

struct Losses {
  double total = 0, main = 0, balance = 0;
  std::vector<double> mtp;  // per module k = 1..D: its mean cross-entropy
  int64_t main_tokens = 0;  // predictions counted in `main`
};

class TrainableDeepSeek : public TrainableLM {
 public:
  explicit TrainableDeepSeek(const DeepSeekConfig& c);  // parameters created as zeros (norm weights 1)
  ~TrainableDeepSeek() override;

  // Normal(0, std) for matrices and embeddings (seeded, deterministic), ones for norms, zeros for biases.
  void init_random(uint64_t seed, double std);
  // Every parameter from a Hugging Face folder (any stored float dtype; fp8 dequantized). Errors name the tensor.
  void load(const std::string& dir);
  // Precision "fp8" (DeepSeek-V3's FP8 training): every Linear of attention and the FFNs (dense, routed and shared
  // experts, the MTP blocks and their eh_proj) runs its GEMMs in FP8; the embedding, heads and routers, the norms
  // and the attention core stay in the step's precision. Off by default.
  void set_fp8_linears(bool on);

  const DeepSeekConfig& config() const { return cfg_; }
  ParamStore& params() override { return ps_; }
  const ParamStore& params() const { return ps_; }

  // tokens[B, T]. The forward: returns the losses and keeps the activations. When `backward_follows`, the heads'
  // gradients are computed in the same pass (the [rows, vocab] logits are never held whole) and backward() must be
  // called next to finish: it adds grad_scale * dL/dparam to every gradient.
  Losses forward(const int32_t* tokens, int64_t B, int64_t T, const LossOptions& opt, double grad_scale = 1.0,
                 bool backward_follows = false);
  void backward() override;
  // The main model's summed cross-entropy over a TrainBatch (per-row targets, packed samples: attention and rope
  // positions restart per sample): the SFT objective. No MTP, no balance loss (the routing still counts expert
  // load). With backward_follows, backward() next adds grad_scale * d(loss.sum)/d(param) to every gradient.
  TrainLoss forward(const TrainBatch& b, Precision p, double grad_scale = 1.0, bool backward_follows = false) override;
  // An objective that depends on each prediction only through the log-probability of its target (RL: GRPO's
  // clipped ratio and KL): f(first_row, n, logp, entropy, dlogp) returns the loss over rows [first_row,
  // first_row + n) and writes d loss / d logp there; entropy is the policy's at each row. Rows whose target is < 0
  // are not predictions (logp = entropy = 0 there, dlogp ignored).
  using TokenObjective =
      std::function<double(int64_t first_row, int64_t n, const double* logp, const double* entropy, double* dlogp)>;
  // Main model only (no MTP, no balance loss): targets [B*T]. Returns the objective's total. With backward_follows
  // the head's gradient is computed in the same pass and backward() finishes it.
  double forward_objective(const int32_t* tokens, int64_t B, int64_t T, const int32_t* targets, const TokenObjective& f,
                           Precision p, bool backward_follows);
  // The main model's logits [B*T, vocab] for every row, by the trainable forward (no loss, nothing to backward).
  void logits(const int32_t* tokens, int64_t B, int64_t T, float* out, Precision p = Precision::F32);
  // forward() and, unless forward_only, backward().
  Losses step(const int32_t* tokens, int64_t B, int64_t T, const LossOptions& opt, double grad_scale = 1.0,
              bool forward_only = false);

  // The fast form over the live f32 masters: no copy, no refresh (it reads the parameters as they are, so after an
  // optimizer step it already sees the new values). Decode through a KV cache with the same session and sampler as
  // `seek generate`. The model reads this object's memory: it must not outlive it.
  const DeepSeekModel& inference_model() const override { return *fast_; }
  // The fast form over a bf16 copy of the masters (half the bytes per decode step: for rollouts). The copy is made
  // on first use and rewritten by refresh_bf16(), which the caller runs after each optimizer step (one conversion
  // pass over every matrix).
  const DeepSeekModel& bf16_inference_model();
  void refresh_bf16();

  // Expert assignments counted since the last reset, one row per MoE layer (main layers, then MTP blocks).
  const std::vector<std::vector<int64_t>>& expert_load() const { return load_; }
  std::vector<std::string> moe_layer_names() const;
  // Largest over layers of max_i load_i / mean load (1 = perfectly balanced; 0 when nothing counted).
  double load_max_over_mean() const;
  // The auxiliary-loss-free update: per MoE layer with a selection bias, b_i += gamma * sign(mean - load_i).
  void update_selection_bias(double gamma);
  void reset_load();

 private:
  struct BlockActs;
  struct MtpActs;
  struct Workspace;

  // seg: the rows' sample ids when packed (main blocks of a TrainBatch forward), else null.
  void block_fwd(const BlockWeights& b, int64_t load_row, const RowShape& s, const int32_t* seg, const float* x,
                 float* y, BlockActs& a);
  void block_bwd(const BlockWeights& b, const RowShape& s, const int32_t* seg, const float* dy, float* dx,
                 const BlockActs& a, double balance_scale);
  double main_fwd(const TrainBatch& b, const LossOptions& opt);
  void build_main_rope();
  double mtp_fwd(int64_t k, const int32_t* tokens, const float*& prev, int64_t& prevT);
  void mtp_bwd(int64_t k, std::vector<float>& dnext);
  void main_bwd(const std::vector<float>& dnext);

  DeepSeekConfig cfg_;
  ParamStore ps_;
  std::shared_ptr<DeepSeekWeights> w_;   // bound to ps_
  std::unique_ptr<DeepSeekModel> fast_;  // the fast form over w_
  std::unique_ptr<Bf16Mirror> bf16_;     // bf16 working copies of the matrices, on demand
  std::unique_ptr<DeepSeekModel> fast_bf16_;
  std::vector<std::vector<int64_t>> load_;
  std::vector<int64_t> load_row_;  // row of load_ per block (main then MTP), -1 for dense
  RopeFrequencies freqs_;
  RopeTable rope_;
  std::unique_ptr<Workspace> ws_;  // activations of the last forward, reused across steps
};

}  // namespace seek
