// The trainable parameters of a model: f32 master values and their gradients, by Hugging Face tensor name, in a
// fixed order (the order they are created in). Modules hold raw pointers to the value and grad buffers, which stay
// put when the store grows (a Param's vectors move with their heap buffers).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"

namespace seek::train {

struct Param {
  std::string name;  // Hugging Face name, e.g. "model.layers.0.self_attn.kv_a_proj_with_mqa.weight"
  Shape shape;
  std::vector<float> value;
  std::vector<float> grad;
  bool trainable = true;  // false: a buffer updated by other rules (the MoE selection bias)
  int64_t numel() const { return shape_numel(shape); }
};

class ParamStore {
 public:
  // Adds a parameter (zeros); returns its index. Names must be unique.
  Param& add(const std::string& name, Shape shape, bool trainable = true);
  Param& at(const std::string& name);  // throws naming the parameter when missing
  const Param* find(const std::string& name) const;
  std::vector<Param>& all() { return params_; }
  const std::vector<Param>& all() const { return params_; }
  void zero_grad();
  int64_t numel(bool trainable_only = true) const;

 private:
  std::vector<Param> params_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace seek::train
