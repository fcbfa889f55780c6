// Hyper-parameters of the dense decoder architectures of the R1-Distill models, read from a model folder's
// config.json: model_type qwen2 (Qwen2ForCausalLM) and llama (LlamaForCausalLM). Field names follow that file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace seek {

enum class DenseRopeType { Default, Linear, Llama3 };

struct DenseRopeScaling {
  DenseRopeType type = DenseRopeType::Default;  // rope_scaling.rope_type (or .type); Default when absent or null
  double factor = 1.0;
  double low_freq_factor = 1.0;       // llama3 only
  double high_freq_factor = 4.0;      // llama3 only
  int64_t original_max_position = 0;  // llama3: original_max_position_embeddings
};

struct DenseConfig {
  std::string model_type;  // qwen2 | llama
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // defaults to num_attention_heads
  int64_t head_dim = 0;             // config head_dim, or hidden_size / num_attention_heads
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000;
  DenseRopeScaling rope_scaling;
  int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;               // qwen2: always; llama: attention_bias
  bool o_bias = false;                 // llama with attention_bias only
  int64_t bos_token_id = -1;           // -1: none given
  std::vector<int64_t> eos_token_ids;  // eos_token_id as an int or a list; empty when none given
  // Set by the GGUF loader (model/gguf_model.h), never by config.json:
  bool rope_interleaved = false;         // llama GGUF: q/k rows are in llama.cpp's adjacent-pair RoPE order
  std::vector<float> rope_freq_factors;  // GGUF rope_freqs: frequency i is divided by factor i (llama3 scaling)

  int64_t q_dim() const { return num_attention_heads * head_dim; }
  int64_t kv_dim() const { return num_key_value_heads * head_dim; }
  // Query heads per K/V head: query head h attends with K/V head h / kv_group().
  int64_t kv_group() const { return num_attention_heads / num_key_value_heads; }
};

// Parse and validate. `source` names the file in errors ("DIR/config.json: field 'num_key_value_heads' ...").
DenseConfig parse_dense_config(const nlohmann::json& j, const std::string& source);
DenseConfig load_dense_config(const std::string& model_dir);

// Whether load_model() routes this model_type to the dense architecture.
bool is_dense_model_type(const std::string& model_type);

}  // namespace seek
