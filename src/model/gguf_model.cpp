#include "model/gguf_model.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "model/dense.h"
#include "model/gguf_names.h"

namespace seek {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool is_gguf_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

json gguf_hf_config(const GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  if (arch == "deepseek2")
    throw Error(f.path() +
                ": GGUF architecture 'deepseek2' is not supported yet (llama and qwen2 are); load the "
                "Hugging Face folder of the model instead");
  if (arch != "llama" && arch != "qwen2")
    throw Error(f.path() + ": GGUF architecture '" + arch + "' is not supported (llama and qwen2 are)");
  auto key = [&](const std::string& k) { return arch + "." + k; };
  json j;
  j["model_type"] = arch;
  const GgufTensorInfo& embd = f.tensor_info("token_embd.weight");
  j["vocab_size"] =
      f.has(key("vocab_size")) ? f.get_int(key("vocab_size")) : int64_t(embd.dims.size() == 2 ? embd.dims[1] : 0);
  j["hidden_size"] = f.get_int(key("embedding_length"));
  j["intermediate_size"] = f.get_int(key("feed_forward_length"));
  j["num_hidden_layers"] = f.get_int(key("block_count"));
  const int64_t heads = f.get_int(key("attention.head_count"));
  j["num_attention_heads"] = heads;
  j["num_key_value_heads"] = f.get_int(key("attention.head_count_kv"), heads);
  if (f.has(key("attention.key_length"))) j["head_dim"] = f.get_int(key("attention.key_length"));
  j["max_position_embeddings"] = f.get_int(key("context_length"));
  j["rms_norm_eps"] = f.get_float(key("attention.layer_norm_rms_epsilon"), 1e-6);
  j["rope_theta"] = f.get_float(key("rope.freq_base"), 10000);
  j["tie_word_embeddings"] = f.find_tensor("output.weight") == nullptr;
  if (arch == "llama") j["attention_bias"] = f.find_tensor("blk.0.attn_q.bias") != nullptr;
  const std::string scaling = f.has(key("rope.scaling.type")) ? f.get_string(key("rope.scaling.type")) : "none";
  if (scaling == "linear") {
    j["rope_scaling"] = {{"type", "linear"}, {"factor", f.get_float(key("rope.scaling.factor"), 1.0)}};
  } else if (scaling != "none") {
    throw Error(f.path() + ": " + key("rope.scaling.type") + " is '" + scaling + "'; supported: none, linear");
  }
  if (f.has("tokenizer.ggml.bos_token_id")) j["bos_token_id"] = f.get_int("tokenizer.ggml.bos_token_id");
  if (f.has("tokenizer.ggml.eos_token_id")) j["eos_token_id"] = f.get_int("tokenizer.ggml.eos_token_id");
  return j;
}

const GgufTensorInfo& GgufWeights::find(const TensorSpec& s) const {
  const std::string g = gguf_name_of(s.name);
  if (g.empty()) throw Error(f_.path() + ": tensor '" + s.name + "' has no GGUF name seek knows");
  const GgufTensorInfo* t = f_.find_tensor(g);
  if (!t) throw Error(f_.path() + ": missing tensor '" + g + "' (" + s.name + ")");
  Shape shape;  // GGUF lists the fastest-varying dimension first
  for (size_t i = t->dims.size(); i-- > 0;) shape.push_back(int64_t(t->dims[i]));
  if (shape != s.shape)
    throw Error(f_.path() + ": tensor '" + g + "' (" + s.name + ") has shape " + shape_str(shape) + ", expected " +
                shape_str(s.shape));
  return *t;
}

bool GgufWeights::has(const TensorSpec& s) const {
  const std::string g = gguf_name_of(s.name);
  return !g.empty() && f_.find_tensor(g) != nullptr;
}

Linear GgufWeights::matrix(const TensorSpec& s) {
  check(s.shape.size() == 2, "schema: '" + s.name + "' is not a matrix");
  const GgufTensorInfo& t = find(s);
  Linear l;
  l.storage = f_.bytes(t);
  l.w.dtype = f_.dtype(t);
  l.w.data = l.storage.data;
  l.w.rows = s.shape[0];
  l.w.cols = s.shape[1];
  return l;
}

Vec GgufWeights::vector(const TensorSpec& s) {
  const GgufTensorInfo& t = find(s);
  Vec v;
  v.storage = f_.tensor(t.name).to_f32();  // Error naming the tensor unless f32/f16/bf16 (or an integer type)
  v.w = v.storage.f32();
  v.n = s.numel();
  return v;
}

std::unique_ptr<LanguageModel> load_gguf_model(const std::string& path) {
  GgufFile f = GgufFile::open(path);
  const json j = gguf_hf_config(f);
  DenseConfig c = parse_dense_config(j, path + " (its metadata as config.json)");
  c.rope_interleaved = c.model_type == "llama";
  if (const GgufTensorInfo* rf = f.find_tensor("rope_freqs.weight")) {
    Tensor t = f.tensor(rf->name).to_f32();
    c.rope_freq_factors.assign(t.f32(), t.f32() + t.numel());
  }
  const std::string rot = c.model_type + ".rope.dimension_count";
  if (f.has(rot) && f.get_int(rot) != c.head_dim)
    throw Error(path + ": " + rot + " is " + std::to_string(f.get_int(rot)) + " but heads have " +
                std::to_string(c.head_dim) + " dimensions; partial rotary embeddings are not supported");
  GgufWeights src(std::move(f));
  return std::make_unique<DenseModel>(std::make_shared<const DenseWeights>(bind_dense(c, src)));
}

}  // namespace seek
