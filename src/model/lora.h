// LoRA adapters, as PEFT defines and stores them. An adapted projection computes
//   y = x W^T (+ b) + scaling * (x A^T) B^T,   A = lora_A [r, in], B = lora_B [out, r],
//   scaling = lora_alpha / r (lora_alpha / sqrt(r) with use_rslora),
// with W the base weight, frozen and read in its stored dtype (never copied to f32), and only A and B trained.
// On disk (PEFT's layout, a folder): adapter_config.json ({"peft_type": "LORA", "r", "lora_alpha",
// "target_modules", ...}) and adapter_model.safetensors, tensors named
//   base_model.model.<module>.lora_A.weight / .lora_B.weight   (<module> e.g. model.layers.0.self_attn.q_proj).
// A Linear carrying a LoraLayer (Linear::lora) adds the term in both model forms; binding a model through a
// LoraSource attaches the adapter to every Linear it adapts.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/language_model.h"
#include "model/param_store.h"
#include "model/schema.h"
#include "model/weight_source.h"

namespace seek {

struct LoraConfig {
  int64_t rank = 8;
  double alpha = 16;
  std::vector<std::string> targets = {"q_proj", "v_proj"};  // module names (PEFT's target_modules list)
  bool rslora = false;
  double scaling() const;
};

// One adapted projection: pointers into the adapter's parameter store.
struct LoraLayer {
  int64_t rank = 0, in = 0, out = 0;
  float scaling = 0;
  const float* a = nullptr;  // [rank, in]
  const float* b = nullptr;  // [out, rank]
  float* ga = nullptr;       // gradients [rank, in], [out, rank]; null when not training
  float* gb = nullptr;
};

// y[M, out] += scaling * (x[M, in] A^T) B^T
void lora_forward(const LoraLayer& l, const float* x, int64_t M, float* y);
// Accumulates the gradients of A and B (when the layer has them) and, when dx is not null, dx += the adapter's
// input gradient, for upstream dy [M, out].
void lora_backward(const LoraLayer& l, const float* x, const float* dy, int64_t M, float* dx);

// Whether a module path matches a target, as PEFT matches a target_modules list: equal, or ending in "." + target.
bool lora_target_matches(const std::string& module, const std::string& target);

class LoraAdapter {
 public:
  // A new adapter on every Role::Matrix tensor of `schema` whose module (its name without ".weight") matches a
  // target. lora_A starts as PEFT's default (kaiming-uniform: U(-1/sqrt(in), 1/sqrt(in)), from `seed`), lora_B at
  // zero, so the adapted model starts equal to the base. Throws Error naming a target that matches nothing.
  LoraAdapter(const LoraConfig& c, const std::vector<const TensorSpec*>& schema, uint64_t seed);
  // Reads a PEFT adapter folder for a base model of `schema`. One-line errors name the file and the tensor or field:
  // a tensor for a projection the base does not have, or of the wrong shape, is "an adapter for another base model";
  // so is, when base_dir is given, a base_model_name_or_path whose last component is neither base_dir's nor that of
  // the folder it resolves to (compared case-insensitively; an empty name is not checked).
  static std::unique_ptr<LoraAdapter> read(const std::string& dir, const std::vector<const TensorSpec*>& schema,
                                           const std::string& base_dir = "");
  // Writes adapter_config.json and adapter_model.safetensors (F32) into `dir` (created), durably.
  void write(const std::string& dir, const std::string& base_model) const;

  const LoraConfig& config() const { return cfg_; }
  ParamStore& params() { return ps_; }
  const ParamStore& params() const { return ps_; }
  // The adapter of the base weight `weight_name` ("model.layers.0.self_attn.q_proj.weight"), or null.
  const LoraLayer* find(const std::string& weight_name) const;
  std::vector<std::string> adapted_weights() const;  // base weight names, sorted

  // Gradients on or off for every layer (off: inference, the adapter is read only).
  void set_trainable(bool on);

 private:
  explicit LoraAdapter(const LoraConfig& c) : cfg_(c) {}
  LoraLayer& add_layer(const TensorSpec& weight);
  void bind_layers();

  LoraConfig cfg_;
  ParamStore ps_;                            // lora_A / lora_B under PEFT's names
  std::map<std::string, LoraLayer> layers_;  // by base weight name (stable addresses)
};

// PEFT's tensor names for the adapter of the base weight `weight_name`.
std::string lora_a_name(const std::string& weight_name);
std::string lora_b_name(const std::string& weight_name);

// A model's weights with an adapter attached: every matrix the adapter adapts comes with Linear::lora set.
class LoraSource : public WeightSource {
 public:
  LoraSource(WeightSource& base, const LoraAdapter& adapter) : base_(base), adapter_(adapter) {}
  bool has(const TensorSpec& s) const override { return base_.has(s); }
  Linear matrix(const TensorSpec& s) override;
  Vec vector(const TensorSpec& s) override { return base_.vector(s); }

 private:
  WeightSource& base_;
  const LoraAdapter& adapter_;
};

// Every tensor spec of the model in `model_dir` (dense or DeepSeek, from its config.json): what an adapter for it
// may adapt. `keep` receives the schema the pointers point into.
std::vector<const TensorSpec*> model_tensor_specs(const std::string& model_dir, std::shared_ptr<void>& keep);

// The model in `model_dir` with the PEFT adapter in `adapter_dir` applied (unmerged: the base stays as stored);
// an empty adapter_dir loads the model alone. What `forward`, `generate`, `chat`, `eval` and `serve` call for
// `--model BASE --adapter DIR`. adapter_dir may also be a `seek sft` output folder (its adapter files, or its
// latest checkpoint's). Errors name the folder, file and tensor.
std::unique_ptr<LanguageModel> load_model_with_adapter(const std::string& model_dir, const std::string& adapter_dir);

// The folder holding adapter_config.json for `dir`: dir itself, or a training output folder's latest checkpoint.
std::string resolve_adapter_dir(const std::string& dir);

// Writes a model folder to `out_dir` whose adapted matrices are W + scaling * B A (in the base's float dtype; fp8
// bases give BF16) and every other tensor, config.json, tokenizer and template files copied from `base_dir`.
void write_merged_model(const std::string& base_dir, const LoraAdapter& adapter, const std::string& out_dir);

}  // namespace seek
