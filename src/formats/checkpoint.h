// A Hugging Face model folder's weights: one model.safetensors, or shards listed by model.safetensors.index.json.
// Tensors are looked up by name across shards; all files are memory-mapped, nothing is read until used.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "formats/safetensors.h"

namespace seek {

// A training run's output folder (no config.json, but a `latest` symlink to its newest step-N checkpoint) stands for
// that checkpoint, so `--model OUT` loads the newest checkpoint of a run; the link is read once, so a trainer
// repointing it meanwhile cannot mix two steps. Any other folder is returned as given; a path that does not exist or
// is a file is an Error saying which.
std::string resolve_model_dir(const std::string& dir);

// Which stage of the recipe wrote a model folder, from the trainer_state.json seek's trainers leave beside the
// weights: stage "" (no seek trainer state: a published model), "pretrain" (`seek train`; also a state that names
// no stage, as older ones do), "sft", "rl"; prompt_style the prompt form the stage trained on ("chat", "r1-zero"),
// "" where none is recorded. Commands choosing a chat template or prompt style follow it.
struct CheckpointOrigin {
  std::string stage, prompt_style;
};
CheckpointOrigin checkpoint_origin(const std::string& dir);

class Checkpoint {
 public:
  static Checkpoint open(const std::string& dir);  // throws Error naming the folder/file at fault

  const std::string& dir() const { return dir_; }
  bool has(const std::string& name) const { return where_.count(name) != 0; }
  Tensor get(const std::string& name) const;  // throws Error naming the tensor (and its shard)
  // get() plus a check of dtype set and shape; errors name the tensor, the expected and the actual shape.
  Tensor get(const std::string& name, const Shape& shape) const;
  std::vector<std::string> names() const;
  size_t total_bytes() const;

 private:
  std::string dir_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, size_t> where_;  // tensor name -> index into files_
};

}  // namespace seek
