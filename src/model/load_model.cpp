#include <cstring>

#include "core/error.h"
#include "formats/checkpoint.h"
#include "model/config_json.h"
#include "model/deepseek.h"
#include "model/dense.h"
#include "model/gguf_model.h"
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

bool all_finite(const float* x, int64_t n) {
  // Exponent bits all ones is a NaN or an infinity; an integer test, so it holds whatever the float flags.
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; i++) {
    uint32_t u;
    std::memcpy(&u, &x[i], 4);
    bad |= uint32_t((u & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

void check_layer_finite(const float* x, int64_t n, int64_t layer, const char* part) {
  if (all_finite(x, n)) return;
  if (layer < 0) throw Error("the embedding (model.embed_tokens) produced non-finite values");
  const std::string l = std::to_string(layer);
  throw Error("layer " + l + " (model.layers." + l + "." + part + ") produced non-finite values");
}

void check_head_finite(const std::vector<BatchItem>& items, int64_t vocab) {
  for (const BatchItem& it : items)
    if (!all_finite(it.logits, (it.all_logits ? it.n : 1) * vocab))
      throw Error("the output head (model.norm, lm_head) produced non-finite values");
}

void explain_nonfinite_logits(const LanguageModel& model, const std::vector<int32_t>& tokens, AttnForm form,
                              ForwardOptions opt, bool incremental) {
  const std::string what = "the model's logits are not finite (NaN or infinity): ";
  opt.check_finite = true;
  opt.all_logits = false;
  opt.expert_load = nullptr;
  try {
    auto cache = model.new_sequence(form);
    std::vector<float> logits(size_t(model.vocab_size()));
    if (incremental)
      for (int32_t id : tokens) model.forward(&id, 1, *cache, opt, logits.data());
    else if (!tokens.empty())
      model.forward(tokens.data(), int64_t(tokens.size()), *cache, opt, logits.data());
  } catch (const Error& e) {
    throw Error(what + e.what());
  }
  throw Error(what + "rerun with a check after every layer, every layer's output was finite");
}

void LanguageModel::forward_batch(const std::vector<BatchItem>& items, const ForwardOptions& opt) const {
  ForwardOptions o = opt;
  for (const BatchItem& it : items) {
    o.all_logits = it.all_logits;
    forward(it.tokens, it.n, *it.cache, o, it.logits);
  }
}

std::unique_ptr<LanguageModel> load_model(const std::string& model_dir) {
  if (is_gguf_file(model_dir)) return load_gguf_model(model_dir);
  const std::string dir = resolve_model_dir(model_dir);  // a training output folder loads its latest checkpoint
  std::string path;
  nlohmann::json j = read_config_json(dir, &path);
  std::string type = j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
  if (type == "deepseek_v3" || type == "deepseek_v2") return DeepSeekModel::load(dir);
  if (is_dense_model_type(type)) return DenseModel::load(dir);
  throw Error(path + ": field 'model_type' is '" + type + "'; supported: deepseek_v3, deepseek_v2, qwen2, llama");
}

}  // namespace seek
