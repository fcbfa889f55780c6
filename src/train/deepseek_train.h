// A DeepSeek-V3/V2-architecture model being trained: f32 master parameters under their Hugging Face names, a
// forward over a batch of token sequences that keeps every activation, and a backward that accumulates the
// gradient of   L = L_main + (lambda / D) sum_k L_mtp^k + alpha * mean_seq sum_layers sum_i f_i P_i
// (definitions in tools/reference/README.md, the PyTorch reference these gradients are tested against).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "train/layers.h"
#include "train/mla_train.h"
#include "train/moe_train.h"
#include "train/param_store.h"

namespace seek::train {

struct LossOptions {
  double mtp_lambda = 0.3;      // weight of the MTP losses (divided by the depth)
  int64_t mtp_depth = -1;       // modules used; -1: all the config has
  double balance_alpha = 1e-4;  // sequence-wise balance loss weight (0: off)
  GemmPrecision precision = GemmPrecision::F32;
};

struct Losses {
  double total = 0, main = 0, balance = 0;
  std::vector<double> mtp;  // per module k = 1..D: its mean cross-entropy
  int64_t main_tokens = 0;  // predictions counted in `main`
};

class TrainModel {
 public:
  explicit TrainModel(const DeepSeekConfig& c);  // parameters created as zeros (norm weights 1)
  ~TrainModel();

  // Normal(0, std) for matrices and embeddings (seeded, deterministic), ones for norms, zeros for biases.
  void init_random(uint64_t seed, double std);
  // Every parameter from a Hugging Face folder (any stored float dtype; fp8 dequantized). Errors name the tensor.
  void load(const std::string& dir);

  const DeepSeekConfig& config() const { return cfg_; }
  ParamStore& params() { return ps_; }
  const ParamStore& params() const { return ps_; }

  // tokens[B, T]. Returns the losses; unless `forward_only`, adds grad_scale * dL/dparam to every gradient.
  Losses step(const int32_t* tokens, int64_t B, int64_t T, const LossOptions& opt, double grad_scale = 1.0,
              bool forward_only = false);

  // Logits [V] after the last of tokens[T] (one sequence, main model only): for sampling during training.
  void next_token_logits(const int32_t* tokens, int64_t T, float* logits, GemmPrecision p);

  // Expert assignments counted since the last reset, one row per MoE layer (main layers, then MTP blocks).
  const std::vector<std::vector<int64_t>>& expert_load() const { return load_; }
  std::vector<std::string> moe_layer_names() const;
  // Largest over layers of max_i load_i / mean load (1 = perfectly balanced; 0 when nothing counted).
  double load_max_over_mean() const;
  // The auxiliary-loss-free update: per MoE layer with a selection bias, b_i += gamma * sign(mean - load_i).
  void update_selection_bias(double gamma);
  void reset_load();

 private:
  struct Block;
  struct Mtp;
  struct BlockActs;
  struct Workspace;

  void block_fwd(const Block& b, const RowShape& s, const float* x, float* y, BlockActs& a, int64_t* load,
                 const LossOptions& opt);
  void block_bwd(const Block& b, const RowShape& s, const float* dy, float* dx, const BlockActs& a,
                 double balance_scale, const LossOptions& opt);

  DeepSeekConfig cfg_;
  ParamStore ps_;
  LinearP embed_;  // [V, D] (a Linear's storage: rows are token embeddings)
  std::vector<std::unique_ptr<Block>> blocks_;
  VectorP norm_;
  LinearP head_;  // lm_head, or the embedding when tied
  std::vector<std::unique_ptr<Mtp>> mtp_;
  std::vector<std::vector<int64_t>> load_;
  std::vector<int64_t> moe_layer_of_block_;  // index into load_ per block (main then MTP), -1 for dense
  RopeTables rope_;
  std::unique_ptr<Workspace> ws_;  // activations of the last step, reused across steps
};

}  // namespace seek::train
