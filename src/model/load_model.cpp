#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/deepseek.h"
#include "model/dense.h"
#include "model/language_model.h"

namespace seek {

std::unique_ptr<LanguageModel> load_model(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "config.json").string();
  if (!std::filesystem::is_directory(dir)) throw Error(dir + ": not a model folder (no such directory)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  std::string type = j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
  if (type == "deepseek_v3" || type == "deepseek_v2") return DeepSeekModel::load(dir);
  if (is_dense_model_type(type)) return DenseModel::load(dir);
  throw Error(path + ": field 'model_type' is '" + type + "'; supported: deepseek_v3, deepseek_v2, qwen2, llama");
}

}  // namespace seek
