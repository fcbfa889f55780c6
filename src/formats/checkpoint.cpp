#include "formats/checkpoint.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace seek {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string resolve_model_dir(const std::string& dir) {
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (!fs::exists(st)) throw Error(dir + ": no such model folder");
  if (!fs::is_directory(st))
    throw Error(dir +
                ": is a file, not a model folder (a folder with config.json and *.safetensors, or a training run)");
  fs::path link = fs::path(dir) / "latest";
  if (fs::exists(fs::path(dir) / "config.json", ec) || !fs::is_symlink(fs::symlink_status(link, ec))) return dir;
  fs::path target = fs::read_symlink(link, ec);
  if (ec) throw Error(link.string() + ": cannot read the symlink: " + ec.message());
  fs::path resolved = target.is_absolute() ? target : fs::path(dir) / target;
  if (!fs::is_directory(resolved, ec))
    throw Error(link.string() + ": points to '" + target.string() + "', which is not a folder");
  return resolved.string();
}

CheckpointOrigin checkpoint_origin(const std::string& dir) {
  CheckpointOrigin o;
  const fs::path p = fs::path(dir) / "trainer_state.json";
  std::error_code ec;
  if (!fs::exists(p, ec)) return o;
  const json j = json::parse(read_text_file(p.string()), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("format", "") != "seek-trainer-state") return o;
  const json extra = j.value("extra", json::object());
  if (!extra.is_object()) return o;
  auto str = [](const json& obj, const char* key) {
    return obj.is_object() && obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : std::string();
  };
  o.stage = str(extra, "stage");
  if (o.stage.empty()) o.stage = "pretrain";
  o.prompt_style = str(extra, "prompt_style");
  if (o.prompt_style.empty()) o.prompt_style = str(extra.value("config", json::object()), "prompt_style");
  if (o.prompt_style.empty() && o.stage == "pretrain") o.prompt_style = "r1-zero";  // plain text: no chat turns
  return o;
}

Checkpoint Checkpoint::open(const std::string& dir) {
  Checkpoint c;
  c.dir_ = dir;
  if (!fs::is_directory(dir)) throw Error(dir + ": not a model folder (no such directory)");
  fs::path index = fs::path(dir) / "model.safetensors.index.json";
  fs::path single = fs::path(dir) / "model.safetensors";
  if (fs::exists(index)) {
    json j;
    try {
      j = json::parse(read_text_file(index.string()));
    } catch (const json::exception& e) {
      throw Error(index.string() + ": not valid JSON: " + e.what());
    }
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      throw Error(index.string() + ": missing object 'weight_map'");
    std::map<std::string, size_t> shard_index;
    for (auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string()) throw Error(index.string() + ": weight_map['" + name + "'] is not a file name");
      std::string shard = file.get<std::string>();
      if (shard.find('/') != std::string::npos || shard == "..")
        throw Error(index.string() + ": weight_map['" + name + "'] names '" + shard + "', outside the folder");
      auto it = shard_index.find(shard);
      if (it == shard_index.end()) {
        c.files_.push_back(SafetensorsFile::open((fs::path(dir) / shard).string()));
        it = shard_index.emplace(shard, c.files_.size() - 1).first;
      }
      if (!c.files_[it->second].has(name))
        throw Error(index.string() + ": lists tensor '" + name + "' in " + shard + ", which does not contain it");
      c.where_[name] = it->second;
    }
  } else if (fs::exists(single)) {
    c.files_.push_back(SafetensorsFile::open(single.string()));
    for (auto& n : c.files_[0].names()) c.where_[n] = 0;
  } else {
    throw Error(dir + ": no model.safetensors or model.safetensors.index.json in the folder");
  }
  return c;
}

Tensor Checkpoint::get(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw Error(dir_ + ": missing tensor '" + name + "'");
  return files_[it->second].tensor(name);
}

Tensor Checkpoint::get(const std::string& name, const Shape& shape) const {
  Tensor t = get(name);
  if (t.shape != shape)
    throw Error(files_[where_.at(name)].path() + ": tensor '" + name + "' has shape " + shape_str(t.shape) +
                ", expected " + shape_str(shape));
  return t;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> r;
  for (auto& [k, v] : where_) r.push_back(k);
  return r;
}

size_t Checkpoint::total_bytes() const {
  size_t n = 0;
  for (auto& [k, v] : where_) n += files_[v].entry(k).end - files_[v].entry(k).begin;
  return n;
}

}  // namespace seek
