// Models with an adapter: applied at load (unmerged), or merged into a new model folder.
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "formats/checkpoint.h"
#include "formats/safetensors_write.h"
#include "kernels/cpu/train_gemm.h"
#include "model/config_json.h"
#include "model/deepseek.h"
#include "model/dense.h"
#include "model/gguf_model.h"
#include "model/lora.h"

namespace seek {

namespace fs = std::filesystem;

namespace {

bool is_dense_dir(const std::string& dir) {
  std::string path;
  const nlohmann::json j = read_config_json(dir, &path);
  const std::string type =
      j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
  if (is_dense_model_type(type)) return true;
  if (type == "deepseek_v3" || type == "deepseek_v2") return false;
  throw Error(path + ": field 'model_type' is '" + type + "'; supported: deepseek_v3, deepseek_v2, qwen2, llama");
}

// A weights tree and the adapter its Linears point into, owned together.
template <class W>
struct Adapted {
  std::unique_ptr<LoraAdapter> adapter;
  W w;
};

}  // namespace

std::vector<const TensorSpec*> model_tensor_specs(const std::string& model_dir, std::shared_ptr<void>& keep) {
  const std::string dir = resolve_model_dir(model_dir);
  if (is_dense_dir(dir)) {
    auto s = std::make_shared<DenseSchema>(dense_schema(load_dense_config(dir)));
    keep = s;
    return s->all();
  }
  auto s = std::make_shared<DeepSeekSchema>(deepseek_schema(load_deepseek_config(dir)));
  keep = s;
  return s->all();
}

std::unique_ptr<LanguageModel> load_model_with_adapter(const std::string& model_dir, const std::string& adapter_dir) {
  if (adapter_dir.empty()) return load_model(model_dir);
  if (is_gguf_file(model_dir))
    throw Error(model_dir + ": LoRA adapters apply to Hugging Face folders, not GGUF files yet (seek convert writes "
                            "the folder)");
  const std::string dir = resolve_model_dir(model_dir);
  std::shared_ptr<void> keep;
  const std::vector<const TensorSpec*> specs = model_tensor_specs(dir, keep);
  if (is_dense_dir(dir)) {
    const DenseConfig c = load_dense_config(dir);
    auto h = std::make_shared<Adapted<DenseWeights>>();
    h->adapter = LoraAdapter::read(adapter_dir, specs, model_dir);
    CheckpointWeights ck(Checkpoint::open(dir));
    LoraSource src(ck, *h->adapter);
    h->w = bind_dense(c, src);
    return std::make_unique<DenseModel>(std::shared_ptr<const DenseWeights>(h, &h->w));
  }
  const DeepSeekConfig c = load_deepseek_config(dir);
  auto h = std::make_shared<Adapted<DeepSeekWeights>>();
  h->adapter = LoraAdapter::read(adapter_dir, specs, model_dir);
  for (const std::string& w : h->adapter->adapted_weights())
    if (w.ends_with("kv_b_proj.weight"))
      throw Error(resolve_adapter_dir(adapter_dir) + ": adapts '" + w +
                  "': LoRA on kv_b_proj is not supported (the absorbed attention reads that weight directly)");
  CheckpointWeights ck(Checkpoint::open(dir), c.fp8_block);
  LoraSource src(ck, *h->adapter);
  h->w = bind_deepseek(c, src, dir);
  return std::make_unique<DeepSeekModel>(std::shared_ptr<const DeepSeekWeights>(h, &h->w));
}

namespace {

// W + scaling * B A for the stored weight `t` (with its fp8 scales, when e4m3), in the stored float dtype (BF16 for
// fp8).
Tensor merged_weight(const Checkpoint& ck, const std::string& name, const LoraLayer& l, int64_t fp8_block) {
  const Tensor t = ck.get(name);
  WeightRef w{t.dtype, t.data, t.dim(0), t.dim(1), nullptr, fp8_block};
  Tensor scale;
  if (t.dtype == DType::E4M3) {
    scale = ck.get(name + "_scale_inv").to_f32();
    w.scale_inv = scale.f32();
  }
  Tensor m = Tensor::empty(DType::F32, t.shape);
  for (int64_t r = 0; r < w.rows; r++) w.row_f32(r, m.f32() + r * w.cols, false);
  std::vector<float> sb(l.b, l.b + l.out * l.rank);
  for (float& v : sb) v *= l.scaling;
  cpu::gemm_nn(m.f32(), sb.data(), l.a, l.out, l.in, l.rank, true, Precision::F32);  // += (s B) A
  const DType out = t.dtype == DType::E4M3 ? DType::BF16 : t.dtype;
  if (out == DType::F32) return m;
  Tensor o = Tensor::empty(out, t.shape);
  from_f32(out, m.f32(), o.data, size_t(m.numel()));
  return o;
}

}  // namespace

void write_merged_model(const std::string& base_dir_in, const LoraAdapter& adapter, const std::string& out_dir) {
  const std::string base_dir = resolve_model_dir(base_dir_in);
  const int64_t block = is_dense_dir(base_dir) ? 128 : load_deepseek_config(base_dir).fp8_block;
  const Checkpoint ck = Checkpoint::open(base_dir);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const std::string& name : ck.names()) {
    if (name.ends_with("_scale_inv") && adapter.find(name.substr(0, name.size() - 10))) continue;  // merged: BF16
    const LoraLayer* l = adapter.find(name);
    tensors.emplace_back(name, l ? merged_weight(ck, name, *l, block) : ck.get(name));
  }
  for (const std::string& w : adapter.adapted_weights())
    check(ck.has(w), base_dir + ": the adapter adapts '" + w + "', which this checkpoint does not have");
  fs::create_directories(out_dir);
  save_safetensors(out_dir + "/model.safetensors", tensors);
  for (const char* f : {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                        "special_tokens_map.json", "chat_template.jinja"}) {
    const fs::path src = fs::path(base_dir) / f;
    if (!fs::exists(src)) continue;
    std::ifstream in(src, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write_file_durable(out_dir + "/" + f, bytes.data(), bytes.size());
  }
}

}  // namespace seek
