#include "core/error.h"
#include "formats/checkpoint.h"
#include "model/config_json.h"
#include "model/deepseek.h"
#include "model/dense.h"
#include "model/language_model.h"

namespace seek {

void check_forward_input(const int32_t* tokens, int64_t T, int64_t pos0, int64_t vocab, int64_t context) {
  if (T <= 0) throw Error("forward: no tokens given");
  for (int64_t t = 0; t < T; t++)
    if (tokens[t] < 0 || tokens[t] >= vocab)
      throw Error("token id " + std::to_string(tokens[t]) + " at position " + std::to_string(pos0 + t) +
                  " is out of range: the vocabulary has ids 0.." + std::to_string(vocab - 1));
  if (pos0 + T > context)
    throw Error("sequence of " + std::to_string(pos0 + T) +
                " tokens exceeds the model's context (max_position_embeddings = " + std::to_string(context) + ")");
}

void LanguageModel::forward_batch(const std::vector<BatchItem>& items, const ForwardOptions& opt) const {
  ForwardOptions o = opt;
  for (const BatchItem& it : items) {
    o.all_logits = it.all_logits;
    forward(it.tokens, it.n, *it.cache, o, it.logits);
  }
}

std::unique_ptr<LanguageModel> load_model(const std::string& model_dir) {
  const std::string dir = resolve_model_dir(model_dir);  // a training output folder loads its latest checkpoint
  std::string path;
  nlohmann::json j = read_config_json(dir, &path);
  std::string type = j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
  if (type == "deepseek_v3" || type == "deepseek_v2") return DeepSeekModel::load(dir);
  if (is_dense_model_type(type)) return DenseModel::load(dir);
  throw Error(path + ": field 'model_type' is '" + type + "'; supported: deepseek_v3, deepseek_v2, qwen2, llama");
}

}  // namespace seek
