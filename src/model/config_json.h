// Typed, validated reads of config.json fields. Every failure names the file and the field.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace seek {

// DIR/config.json parsed; `path` receives the file's path for messages. Throws Error naming the file.
nlohmann::json read_config_json(const std::string& model_dir, std::string* path = nullptr);

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& j, std::string source) : j_(j), source_(std::move(source)) {}

  bool has(const char* field) const { return j_.contains(field) && !j_[field].is_null(); }
  int64_t int_field(const char* field) const;                    // required
  int64_t int_field(const char* field, int64_t fallback) const;  // optional
  double num_field(const char* field, double fallback) const;
  double num_field(const char* field) const;
  bool bool_field(const char* field, bool fallback) const;
  std::string str_field(const char* field, const std::string& fallback) const;
  [[noreturn]] void fail(const char* field, const std::string& what) const;
  const nlohmann::json& json() const { return j_; }
  const std::string& source() const { return source_; }

 private:
  const nlohmann::json& j_;
  std::string source_;
};

}  // namespace seek
