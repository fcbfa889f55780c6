// PEFT's adapter folder: reading (with the checks that catch an adapter made for another base model) and writing.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/checkpoint.h"
#include "formats/safetensors.h"
#include "formats/safetensors_write.h"
#include "model/lora.h"

namespace seek {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kPrefix = "base_model.model.";

// The last component of a path or hub id, lower-cased ("deepseek-ai/DeepSeek-R1/" -> "deepseek-r1").
std::string base_name(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  s = s.substr(s.find_last_of('/') == std::string::npos ? 0 : s.find_last_of('/') + 1);
  for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

void check_base_name(const std::string& path, const std::string& named, const std::string& base_dir) {
  if (named.empty() || base_dir.empty()) return;
  const std::string want = base_name(named);
  if (want == base_name(base_dir) || want == base_name(resolve_model_dir(base_dir))) return;
  throw Error(path + ": the adapter was made for base model '" + named + "', not '" + base_dir +
              "' (an adapter for another base model? if it does fit, set its base_model_name_or_path)");
}

LoraConfig parse_adapter_config(const std::string& path) {
  json j;
  try {
    j = json::parse(read_text_file(path));
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  check(j.is_object(), path + ": expected a JSON object");
  auto fail = [&](const std::string& field, const std::string& what) -> void {
    throw Error(path + ": field '" + field + "' " + what);
  };
  auto get = [&](const char* k) { return j.contains(k) ? j[k] : json(); };
  if (get("peft_type") != "LORA") fail("peft_type", "must be \"LORA\" (only LoRA adapters are supported)");
  LoraConfig c;
  if (!get("r").is_number_integer() || get("r").get<int64_t>() < 1) fail("r", "must be a positive integer");
  c.rank = get("r").get<int64_t>();
  c.alpha = 8;  // PEFT's default
  if (!get("lora_alpha").is_null()) {
    if (!get("lora_alpha").is_number()) fail("lora_alpha", "must be a number");
    c.alpha = get("lora_alpha").get<double>();
  }
  if (!get("use_rslora").is_null()) {
    if (!get("use_rslora").is_boolean()) fail("use_rslora", "must be true or false");
    c.rslora = get("use_rslora").get<bool>();
  }
  if (get("use_dora") == true) fail("use_dora", "is true: DoRA adapters are not supported");
  if (get("fan_in_fan_out") == true) fail("fan_in_fan_out", "is true: only [out, in] weights are supported");
  if (!get("bias").is_null() && get("bias") != "none")
    fail("bias", "must be \"none\" (trained biases are not supported)");
  for (const char* k : {"modules_to_save", "rank_pattern", "alpha_pattern"})
    if (!get(k).is_null() && !get(k).empty())
      fail(k, "is not empty: per-module ranks and saved modules are not supported");
  c.targets.clear();
  const json t = get("target_modules");
  if (t.is_array()) {
    for (const json& x : t) {
      if (!x.is_string()) fail("target_modules", "must hold module names");
      c.targets.push_back(x.get<std::string>());
    }
  } else if (t.is_string()) {
    c.targets.push_back(t.get<std::string>());
  }
  return c;
}

struct Factor {
  std::string weight;  // the base weight it adapts
  bool is_a = false;
};

// "base_model.model.<module>.lora_A.weight" -> {"<module>.weight", true}; Error for any other name.
Factor parse_factor_name(const std::string& file, const std::string& name) {
  for (const char* f : {".lora_A.weight", ".lora_B.weight"}) {
    const std::string suffix = f;
    if (name.starts_with(kPrefix) && name.ends_with(suffix) && name.size() > kPrefix.size() + suffix.size())
      return {name.substr(kPrefix.size(), name.size() - kPrefix.size() - suffix.size()) + ".weight",
              suffix == ".lora_A.weight"};
  }
  throw Error(file + ": tensor '" + name +
              "' is not a LoRA factor (expected base_model.model.<module>.lora_A.weight or .lora_B.weight)");
}

}  // namespace

std::unique_ptr<LoraAdapter> LoraAdapter::read(const std::string& dir_in, const std::vector<const TensorSpec*>& schema,
                                               const std::string& base_dir) {
  const std::string dir = resolve_adapter_dir(dir_in);
  const LoraConfig c = parse_adapter_config(dir + "/adapter_config.json");
  const std::string file = dir + "/adapter_model.safetensors";
  if (!fs::exists(file)) throw Error(dir + ": no adapter_model.safetensors in the adapter folder");
  const SafetensorsFile f = SafetensorsFile::open(file);
  std::map<std::string, const TensorSpec*> specs;
  for (const TensorSpec* s : schema) specs[s->name] = s;
  std::map<std::string, std::pair<int, int>> seen;  // weight -> (has A, has B)
  for (const std::string& name : f.names()) {
    const Factor fc = parse_factor_name(file, name);
    auto it = specs.find(fc.weight);
    if (it == specs.end() || it->second->role != Role::Matrix)
      throw Error(file + ": tensor '" + name + "' adapts '" + fc.weight +
                  "', which the base model does not have (an adapter for another base model?)");
    (fc.is_a ? seen[fc.weight].first : seen[fc.weight].second) = 1;
  }
  check(!seen.empty(), file + ": holds no LoRA tensors");
  std::unique_ptr<LoraAdapter> a(new LoraAdapter(c));
  for (const auto& [weight, has] : seen) {
    if (!has.first || !has.second)
      throw Error(file + ": '" + (has.first ? lora_b_name(weight) : lora_a_name(weight)) + "' is missing (" +
                  (has.first ? lora_a_name(weight) : lora_b_name(weight)) + " has no partner)");
    const TensorSpec& w = *specs.at(weight);
    a->add_layer(w);
    for (const std::string& n : {lora_a_name(weight), lora_b_name(weight)}) {
      Param& p = a->ps_.at(n);
      const Tensor t = f.tensor(n);
      if (t.shape != p.shape)
        throw Error(file + ": tensor '" + n + "' has shape " + shape_str(t.shape) + ", but rank " +
                    std::to_string(c.rank) + " on the base's '" + weight + "' " + shape_str(w.shape) + " needs " +
                    shape_str(p.shape) + " (an adapter for another base model?)");
      if (t.dtype != DType::F32 && t.dtype != DType::BF16 && t.dtype != DType::F16)
        throw Error(file + ": tensor '" + n + "' has dtype " + dtype_name(t.dtype) + ", expected F32, BF16 or F16");
      to_f32(t.dtype, t.data, p.value.data(), size_t(p.numel()));
    }
  }
  const json cj = json::parse(read_text_file(dir + "/adapter_config.json"));
  const json named = cj.contains("base_model_name_or_path") ? cj["base_model_name_or_path"] : json();
  check_base_name(dir + "/adapter_config.json", named.is_string() ? named.get<std::string>() : "", base_dir);
  a->set_trainable(false);
  return a;
}

void LoraAdapter::write(const std::string& dir, const std::string& base_model) const {
  fs::create_directories(dir);
  std::vector<std::string> targets = cfg_.targets;
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  const double alpha = cfg_.alpha;
  json j = {{"alpha_pattern", json::object()},
            {"auto_mapping", nullptr},
            {"base_model_name_or_path", base_model},
            {"bias", "none"},
            {"fan_in_fan_out", false},
            {"inference_mode", true},
            {"init_lora_weights", true},
            {"layers_pattern", nullptr},
            {"layers_to_transform", nullptr},
            {"lora_alpha", alpha == std::floor(alpha) ? json(int64_t(alpha)) : json(alpha)},
            {"lora_dropout", 0.0},
            {"modules_to_save", nullptr},
            {"peft_type", "LORA"},
            {"r", cfg_.rank},
            {"rank_pattern", json::object()},
            {"revision", nullptr},
            {"target_modules", targets},
            {"task_type", "CAUSAL_LM"},
            {"use_dora", false},
            {"use_rslora", cfg_.rslora}};
  const std::string text = j.dump(2) + "\n";
  write_file_durable(dir + "/adapter_config.json", text.data(), text.size());
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const Param& p : ps_.all())
    tensors.emplace_back(p.name, Tensor::view_of(DType::F32, p.shape, const_cast<float*>(p.value.data()), nullptr));
  SafetensorsWriteOptions o;
  o.metadata = {{"format", "pt"}};  // what PEFT (torch) writes
  save_safetensors(dir + "/adapter_model.safetensors", tensors, o);
}

}  // namespace seek
