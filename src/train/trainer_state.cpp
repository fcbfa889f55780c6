#include "train/trainer_state.h"

#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/safetensors.h"
#include "formats/safetensors_write.h"
#include "train/adamw.h"

namespace seek {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kJsonName = "trainer_state.json";
constexpr const char* kMomentsName = "trainer_state.safetensors";
constexpr const char* kFormat = "seek-trainer-state";
constexpr int kVersion = 1;

const json& field(const json& obj, const char* key, const std::string& file, const std::string& path) {
  if (!obj.contains(key)) throw Error(file + ": missing field '" + path + "'");
  return obj.at(key);
}

int64_t count_field(const json& obj, const char* key, const std::string& file, const std::string& path) {
  const json& v = field(obj, key, file, path);
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    throw Error(file + ": field '" + path + "' is " + v.dump() + ", expected a non-negative integer");
  return v.get<int64_t>();
}

const json& object_field(const json& obj, const char* key, const std::string& file, const std::string& path) {
  const json& v = field(obj, key, file, path);
  if (!v.is_object()) throw Error(file + ": field '" + path + "' is " + v.dump() + ", expected an object");
  return v;
}

}  // namespace

void capture_optimizer_state(const AdamW& opt, TrainerState& state) {
  state.optimizer_steps = opt.steps();
  state.exp_avg.clear();
  state.exp_avg_sq.clear();
  for (const OptimizerParam& p : opt.params()) {
    state.exp_avg[p.name] = opt.exp_avg(p.name);
    state.exp_avg_sq[p.name] = opt.exp_avg_sq(p.name);
  }
}

void restore_optimizer_state(const TrainerState& state, AdamW& opt) {
  auto copy_into = [&](const std::map<std::string, Tensor>& from, const char* which, const OptimizerParam& p,
                       Tensor to) {
    auto it = from.find(p.name);
    if (it == from.end()) throw Error("trainer state: no " + std::string(which) + " for parameter '" + p.name + "'");
    const Tensor& t = it->second;
    if (t.dtype != DType::F32 || t.numel() != p.numel)
      throw Error("trainer state: " + std::string(which) + " of parameter '" + p.name + "' is " + dtype_name(t.dtype) +
                  " " + shape_str(t.shape) + ", expected f32 with " + std::to_string(p.numel) + " elements");
    std::memcpy(to.data, t.data, t.nbytes());
  };
  for (auto* m : {&state.exp_avg, &state.exp_avg_sq})
    for (auto& [name, t] : *m)
      if (!opt.has(name)) throw Error("trainer state: holds moments of '" + name + "', which the model does not have");
  for (const OptimizerParam& p : opt.params()) {
    copy_into(state.exp_avg, "first moment (m)", p, opt.exp_avg(p.name));
    copy_into(state.exp_avg_sq, "second moment (v)", p, opt.exp_avg_sq(p.name));
  }
  opt.set_steps(state.optimizer_steps);
}

void write_trainer_state(const std::string& dir, const TrainerState& s) {
  std::vector<std::pair<std::string, Tensor>> moments;
  for (auto& [name, t] : s.exp_avg) moments.push_back({"m." + name, t});
  for (auto& [name, t] : s.exp_avg_sq) moments.push_back({"v." + name, t});
  for (auto& [name, t] : moments)
    check(t.dtype == DType::F32,
          dir + ": trainer state moment '" + name + "' is " + dtype_name(t.dtype) + ", expected f32");
  save_safetensors((fs::path(dir) / kMomentsName).string(), moments);

  std::ostringstream rng;
  rng << s.rng;
  json j = {{"format", kFormat},
            {"version", kVersion},
            {"step", s.step},
            {"tokens_seen", s.tokens_seen},
            {"optimizer", {{"type", "adamw"}, {"steps", s.optimizer_steps}}},
            {"rng", rng.str()},
            {"data", {{"epoch", s.data.epoch}, {"position", s.data.position}}},
            {"extra", s.extra}};
  std::string text = j.dump(2) + "\n";
  write_file_durable((fs::path(dir) / kJsonName).string(), text.data(), text.size());
}

TrainerState read_trainer_state(const std::string& dir) {
  const std::string file = (fs::path(dir) / kJsonName).string();
  if (!fs::exists(file)) throw Error(file + ": missing (not a training checkpoint, or written by an older version)");
  json j;
  try {
    j = json::parse(read_text_file(file));
  } catch (const json::exception& e) {
    throw Error(file + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(file + ": expected a JSON object");
  if (!j.contains("format") || j["format"] != kFormat)
    throw Error(file + ": field 'format' is " + (j.contains("format") ? j["format"].dump() : "missing") +
                ", expected \"" + kFormat + "\"");
  if (count_field(j, "version", file, "version") != kVersion)
    throw Error(file + ": field 'version' is " + j["version"].dump() + ", this build reads version " +
                std::to_string(kVersion));
  TrainerState s;
  s.step = count_field(j, "step", file, "step");
  s.tokens_seen = count_field(j, "tokens_seen", file, "tokens_seen");
  const json& opt = object_field(j, "optimizer", file, "optimizer");
  if (field(opt, "type", file, "optimizer.type") != "adamw")
    throw Error(file + ": field 'optimizer.type' is " + opt["type"].dump() + ", expected \"adamw\"");
  s.optimizer_steps = count_field(opt, "steps", file, "optimizer.steps");
  const json& rng = field(j, "rng", file, "rng");
  if (!rng.is_string()) throw Error(file + ": field 'rng' is not a string");
  std::istringstream in(rng.get<std::string>());
  in >> s.rng;
  bool ok = !in.fail();
  if (ok && !in.eof()) ok = (in >> std::ws).eof();  // nothing but spaces after the state
  if (!ok) throw Error(file + ": field 'rng' is not a saved mt19937_64 state");
  const json& data = object_field(j, "data", file, "data");
  s.data.epoch = count_field(data, "epoch", file, "data.epoch");
  s.data.position = count_field(data, "position", file, "data.position");
  s.extra = object_field(j, "extra", file, "extra");

  const std::string mfile = (fs::path(dir) / kMomentsName).string();
  SafetensorsFile st = SafetensorsFile::open(mfile);
  for (const std::string& name : st.names()) {
    Tensor t = st.tensor(name);
    if (t.dtype != DType::F32)
      throw Error(mfile + ": tensor '" + name + "' is " + dtype_name(t.dtype) + ", expected f32");
    if (name.rfind("m.", 0) == 0) {
      s.exp_avg[name.substr(2)] = t;
    } else if (name.rfind("v.", 0) == 0) {
      s.exp_avg_sq[name.substr(2)] = t;
    } else {
      throw Error(mfile + ": tensor '" + name + "' is neither 'm.<param>' nor 'v.<param>'");
    }
  }
  for (auto& [name, t] : s.exp_avg) {
    auto it = s.exp_avg_sq.find(name);
    if (it == s.exp_avg_sq.end()) throw Error(mfile + ": has 'm." + name + "' but no 'v." + name + "'");
    if (it->second.shape != t.shape)
      throw Error(mfile + ": 'm." + name + "' has shape " + shape_str(t.shape) + " but 'v." + name + "' has " +
                  shape_str(it->second.shape));
  }
  for (auto& [name, t] : s.exp_avg_sq)
    if (!s.exp_avg.count(name)) throw Error(mfile + ": has 'v." + name + "' but no 'm." + name + "'");
  return s;
}

}  // namespace seek
