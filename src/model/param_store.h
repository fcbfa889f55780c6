// The trainable parameters of a model: f32 master values and their gradients, one per tensor of its schema, by
// Hugging Face name, in schema order. It is a WeightSource: a model bound to it reads the masters in place (the
// trainable form through Linear::master/grad, the fast form through an F32 WeightRef over the same memory), so
// the trainer, its in-training sampler and RL rollouts all run on the live weights with nothing copied.
// Buffers never move once added (a Param's vectors keep their heap storage when the store grows).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"
#include "model/weight_source.h"

namespace seek {

struct Param {
  std::string name;  // Hugging Face name, e.g. "model.layers.0.self_attn.kv_a_proj_with_mqa.weight"
  Shape shape;
  Role role = Role::Matrix;
  std::vector<float> value;
  std::vector<float> grad;
  bool trainable = true;  // false: a buffer updated by other rules (the MoE selection bias)
  int64_t numel() const { return shape_numel(shape); }
};

class ParamStore : public WeightSource {
 public:
  ParamStore() = default;
  ParamStore(const ParamStore&) = delete;  // models hold pointers into the buffers
  ParamStore& operator=(const ParamStore&) = delete;

  // Adds a parameter (zeros) for the tensor; names must be unique.
  Param& add(const TensorSpec& s);
  Param& at(const std::string& name);  // throws naming the parameter when missing
  const Param* find(const std::string& name) const;
  std::vector<Param>& all() { return params_; }
  const std::vector<Param>& all() const { return params_; }
  void zero_grad();
  int64_t numel(bool trainable_only = true) const;

  // WeightSource: views of the masters (F32), with gradient pointers for trainable parameters.
  bool has(const TensorSpec& s) const override { return find(s.name) != nullptr; }
  Linear matrix(const TensorSpec& s) override;
  Vec vector(const TensorSpec& s) override;

 private:
  Param& checked(const TensorSpec& s);
  std::vector<Param> params_;
  std::unordered_map<std::string, size_t> index_;
};

// A bf16 copy of a store's matrices, refreshed on demand, as a WeightSource: the fast form bound to it streams half
// the bytes of the f32 masters per decode step (V3 keeps f32 masters beside low-precision working copies).
// Vectors (norms, biases) are the store's f32 masters. refresh() is one conversion pass over every matrix.
class Bf16Mirror : public WeightSource {
 public:
  explicit Bf16Mirror(ParamStore& store);
  void refresh();  // copy the masters' current values (call after each optimizer step)

  bool has(const TensorSpec& s) const override { return store_.has(s); }
  Linear matrix(const TensorSpec& s) override;
  Vec vector(const TensorSpec& s) override { return store_.vector(s); }

 private:
  ParamStore& store_;
  std::unordered_map<std::string, std::vector<uint16_t>> copy_;  // by name, 2-d parameters only
};

}  // namespace seek
