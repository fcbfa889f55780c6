#include "model/config_json.h"

#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"

namespace seek {

nlohmann::json read_config_json(const std::string& model_dir, std::string* path_out) {
  if (!std::filesystem::is_directory(model_dir)) throw Error(model_dir + ": not a model folder (no such directory)");
  const std::string path = (std::filesystem::path(model_dir) / "config.json").string();
  if (path_out) *path_out = path;
  try {
    return nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
}

void ConfigReader::fail(const char* field, const std::string& what) const {
  throw Error(source_ + ": field '" + field + "' " + what);
}

int64_t ConfigReader::int_field(const char* field) const {
  if (!has(field)) fail(field, "is missing");
  const auto& v = j_[field];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float() && v.get<double>() == double(int64_t(v.get<double>()))) return int64_t(v.get<double>());
  fail(field, "must be an integer, got " + v.dump());
}

int64_t ConfigReader::int_field(const char* field, int64_t fallback) const {
  return has(field) ? int_field(field) : fallback;
}

double ConfigReader::num_field(const char* field) const {
  if (!has(field)) fail(field, "is missing");
  const auto& v = j_[field];
  if (!v.is_number()) fail(field, "must be a number, got " + v.dump());
  return v.get<double>();
}

double ConfigReader::num_field(const char* field, double fallback) const {
  return has(field) ? num_field(field) : fallback;
}

bool ConfigReader::bool_field(const char* field, bool fallback) const {
  if (!has(field)) return fallback;
  const auto& v = j_[field];
  if (!v.is_boolean()) fail(field, "must be true or false, got " + v.dump());
  return v.get<bool>();
}

std::string ConfigReader::str_field(const char* field, const std::string& fallback) const {
  if (!has(field)) return fallback;
  const auto& v = j_[field];
  if (!v.is_string()) fail(field, "must be a string, got " + v.dump());
  return v.get<std::string>();
}

}  // namespace seek
