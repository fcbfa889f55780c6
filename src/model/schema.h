// The parameter schema: from a config, every tensor a model has — its Hugging Face name, its shape and its role —
// in one place. The checkpoint loader, the trainer's parameter store, the synthetic-checkpoint writer, the
// parameter counts and the FLOP counter all read it; no other file spells a tensor name or shape.
//
// Adding a tensor: a field in the spec struct below and its line in schema.cpp (the name, shape, role), then its use
// in the math (mla.cpp / moe.cpp / ...). The order of all() is the order parameters are created and initialized
// (it fixes the random init of a training run), and the order checkpoints list them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/config.h"
#include "model/dense_config.h"

namespace seek {

enum class Role {
  Embedding,      // [vocab, dim] token table (also the head when tied)
  Head,           // [vocab, dim] output projection
  Matrix,         // [out, in] a Linear layer's weight (may be fp8 block-quantized in a checkpoint)
  Router,         // [experts, dim] the MoE gate's weight (never quantized)
  Norm,           // [n] RMSNorm weight (initialized to 1)
  Bias,           // [out] a Linear layer's bias (initialized to 0)
  SelectionBias,  // [experts] noaux_tc expert-selection bias: moved by the balancing rule, not by gradients
};

struct TensorSpec {
  std::string name;  // Hugging Face name, e.g. "model.layers.3.self_attn.kv_b_proj.weight"
  Shape shape;
  Role role = Role::Matrix;
  double active = 1.0;   // share of tokens that pass through it: K / E for a routed expert, else 1
  bool required = true;  // false: checkpoints may omit it (an MTP module's copy of the head)
  bool mtp = false;      // part of a multi-token-prediction module, not of the main model

  int64_t numel() const { return shape_numel(shape); }
  bool is_matmul() const { return role == Role::Matrix || role == Role::Router || role == Role::Head; }
  bool trainable() const { return role != Role::SelectionBias; }
};

// ---- DeepSeek-V2/V3 ----
struct MlaSpec {
  std::optional<TensorSpec> q_proj;                        // no q_lora_rank: [H*qk_head_dim, dim]
  std::optional<TensorSpec> q_a_proj, q_a_norm, q_b_proj;  // [q_lora, dim], [q_lora], [H*qk_head_dim, q_lora]
  TensorSpec kv_a_proj;                                    // [kv_lora + rope_dim, dim]: [c_kv | k_pe]
  TensorSpec kv_a_norm;                                    // [kv_lora]
  TensorSpec kv_b_proj;                                    // [H*(nope + v), kv_lora]: per head [W_UK | W_UV]
  TensorSpec o_proj;                                       // [dim, H*v]
};
struct MlpSpec {
  TensorSpec gate, up, down;  // [inter, dim], [inter, dim], [dim, inter]
};
struct MoeSpec {
  TensorSpec router;               // mlp.gate.weight [E, dim]
  std::optional<TensorSpec> bias;  // mlp.gate.e_score_correction_bias [E] (noaux_tc)
  std::vector<MlpSpec> experts;    // routed, inter = moe_intermediate_size
  std::optional<MlpSpec> shared;   // inter = n_shared_experts * moe_intermediate_size
};
struct BlockSpec {
  int64_t layer = 0;
  TensorSpec attn_norm;  // input_layernorm [dim]
  MlaSpec attn;
  TensorSpec ffn_norm;  // post_attention_layernorm [dim]
  bool is_moe = false;
  std::optional<MlpSpec> mlp;  // dense layers
  std::optional<MoeSpec> moe;  // MoE layers
};
// MTP module k is stored as layer num_hidden_layers + k.
struct MtpSpec {
  TensorSpec enorm, hnorm;  // [dim]
  TensorSpec eh_proj;       // [dim, 2*dim], input [enorm(emb) ; hnorm(h)]
  BlockSpec block;
  TensorSpec head_norm;  // shared_head.norm [dim]
  TensorSpec head;       // shared_head.head [vocab, dim] (optional in checkpoints)
};
struct DeepSeekSchema {
  TensorSpec embed;
  std::vector<BlockSpec> blocks;
  TensorSpec norm;
  std::optional<TensorSpec> head;  // absent when the embedding is tied
  std::vector<MtpSpec> mtp;

  std::vector<const TensorSpec*> all() const;  // every tensor, in creation order
};
DeepSeekSchema deepseek_schema(const DeepSeekConfig& c);

// ---- dense Qwen2 / Llama ----
struct DenseAttnSpec {
  TensorSpec q, k, v, o;  // [H*hd, dim], [KV*hd, dim] x2, [dim, H*hd]
  std::optional<TensorSpec> q_bias, k_bias, v_bias, o_bias;
};
struct DenseBlockSpec {
  TensorSpec attn_norm;
  DenseAttnSpec attn;
  TensorSpec ffn_norm;
  MlpSpec mlp;
};
struct DenseSchema {
  TensorSpec embed;
  std::vector<DenseBlockSpec> blocks;
  TensorSpec norm;
  std::optional<TensorSpec> head;

  std::vector<const TensorSpec*> all() const;
};
DenseSchema dense_schema(const DenseConfig& c);

// Parameter counts from the schema alone (no weights needed).
struct ParamCounts {
  int64_t total = 0;   // main model (embedding, layers, norm, head)
  int64_t active = 0;  // used per token: everything but the routed experts not chosen
  int64_t mtp = 0;     // MTP modules, excluding their copies of the head
  int64_t embedding = 0, head = 0;
};
ParamCounts count_params(const DeepSeekConfig& c);
ParamCounts count_params(const DenseConfig& c);

// Matmul weights one token passes through in a block (attention projections, then the dense FFN or the router,
// shared experts and the top-k routed experts): what the FLOP counter multiplies by 2.
int64_t active_matmul_params(const BlockSpec& b);

}  // namespace seek
