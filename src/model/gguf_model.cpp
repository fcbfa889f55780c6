#include "model/gguf_model.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/quant_blocks.h"
#include "model/deepseek.h"
#include "model/dense.h"
#include "model/gguf_deepseek.h"
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
  if (arch == "deepseek2") return deepseek2_hf_config(f);
  if (arch != "llama" && arch != "qwen2")
    throw Error(f.path() + ": GGUF architecture '" + arch + "' is not supported (deepseek2, llama and qwen2 are)");
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

namespace {

Shape shape_of(const GgufTensorInfo& t) {  // GGUF lists the fastest-varying dimension first
  Shape shape;
  for (size_t i = t.dims.size(); i-- > 0;) shape.push_back(int64_t(t.dims[i]));
  return shape;
}

}  // namespace

const GgufTensorInfo& GgufWeights::find(const std::string& g, const TensorSpec& s, const Shape& shape) const {
  const GgufTensorInfo* t = f_.find_tensor(g);
  if (!t) throw Error(f_.path() + ": missing tensor '" + g + "' (" + s.name + ")");
  if (shape_of(*t) != shape)
    throw Error(f_.path() + ": tensor '" + g + "' (" + s.name + ") has shape " + shape_str(shape_of(*t)) +
                ", expected " + shape_str(shape));
  return *t;
}

const GgufTensorInfo& GgufWeights::find(const TensorSpec& s) const {
  const std::string g = gguf_name_of(s.name);
  if (g.empty()) throw Error(f_.path() + ": tensor '" + s.name + "' has no GGUF name seek knows");
  return find(g, s, s.shape);
}

bool GgufWeights::has(const TensorSpec& s) const {
  if (auto e = gguf_expert_of(s.name)) return f_.find_tensor(e->stacked) != nullptr;
  const std::string g = gguf_name_of(s.name);
  if (!g.empty() && f_.find_tensor(g)) return true;
  auto kv = gguf_kv_b_split(s.name);
  return kv && f_.find_tensor(kv->k_b) && f_.find_tensor(kv->v_b);
}

// Expert e of a stacked [E, rows, cols] tensor, read in place: its rows are contiguous.
Linear GgufWeights::expert(const GgufExpertSlice& e, const TensorSpec& s) {
  const GgufTensorInfo* t = f_.find_tensor(e.stacked);
  if (!t) throw Error(f_.path() + ": missing tensor '" + e.stacked + "' (" + s.name + ")");
  const Shape shape = shape_of(*t);
  if (shape.size() != 3 || e.expert >= shape[0]) {
    throw Error(f_.path() + ": tensor '" + e.stacked + "' has shape " + shape_str(shape) + ", which has no expert " +
                std::to_string(e.expert) + " (" + s.name + ")");
  }
  const GgufTensorInfo& all = find(e.stacked, s, {shape[0], s.shape[0], s.shape[1]});
  Linear l = matrix_of(all, s.shape[0], s.shape[1]);
  l.w.data = static_cast<const uint8_t*>(l.w.data) + size_t(e.expert) * size_t(s.shape[0]) * l.w.row_stride();
  return l;
}

// kv_b_proj [H*(nope+v), kv_lora] put back together from attn_k_b [H, kv_lora, nope] (transposed per head) and
// attn_v_b [H, v, kv_lora], in f32: the k half cannot stay in a block type, whose blocks run along nope.
Linear GgufWeights::kv_b_from_split(const GgufKvBSplit& kv, const TensorSpec& s) {
  const GgufTensorInfo* k = f_.find_tensor(kv.k_b);
  if (!k) throw Error(f_.path() + ": missing tensor '" + kv.k_b + "' (" + s.name + ", split)");
  const Shape ks = shape_of(*k);
  const int64_t H = ks.size() == 3 ? ks[0] : 0, L = s.shape[1], nope = ks.size() == 3 ? ks[2] : 0;
  if (H <= 0 || s.shape[0] % H != 0 || s.shape[0] / H <= nope)
    throw Error(f_.path() + ": tensor '" + kv.k_b + "' has shape " + shape_str(ks) + ", which does not split " +
                s.name + " " + shape_str(s.shape));
  const int64_t v = s.shape[0] / H - nope;
  const GgufTensorInfo& kt = find(kv.k_b, s, {H, L, nope});
  const GgufTensorInfo& vt = find(kv.v_b, s, {H, v, L});
  Tensor out = Tensor::empty(DType::F32, s.shape);
  std::vector<float> row(static_cast<size_t>(nope));
  const DType kd = f_.dtype(kt), vd = f_.dtype(vt);
  for (int64_t h = 0; h < H; h++) {
    float* head = out.f32() + h * (nope + v) * L;
    for (int64_t j = 0; j < L; j++) {  // k_b row (h, j) is column j of W_UK's nope rows
      dequantize_row(kd, f_.tensor_data(kt) + size_t(h * L + j) * row_bytes(kd, nope), row.data(), nope);
      for (int64_t i = 0; i < nope; i++) head[i * L + j] = row[size_t(i)];
    }
    for (int64_t i = 0; i < v; i++)
      dequantize_row(vd, f_.tensor_data(vt) + size_t(h * v + i) * row_bytes(vd, L), head + (nope + i) * L, L);
  }
  return linear_from_tensor(std::move(out));
}

Linear GgufWeights::matrix_of(const GgufTensorInfo& t, int64_t rows, int64_t cols) const {
  Linear l;
  l.storage = f_.bytes(t);
  l.w.dtype = f_.dtype(t);
  l.w.data = l.storage.data;
  l.w.rows = rows;
  l.w.cols = cols;
  return l;
}

Linear GgufWeights::matrix(const TensorSpec& s) {
  check(s.shape.size() == 2, "schema: '" + s.name + "' is not a matrix");
  if (auto e = gguf_expert_of(s.name)) return expert(*e, s);
  const std::string g = gguf_name_of(s.name);
  if (auto kv = gguf_kv_b_split(s.name); kv && !f_.find_tensor(g)) return kv_b_from_split(*kv, s);
  return matrix_of(find(s), s.shape[0], s.shape[1]);
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
  const std::string where = path + " (its metadata as config.json)";
  if (f.get_string("general.architecture") == "deepseek2") {
    const DeepSeekConfig c = parse_deepseek_config(j, where);
    GgufWeights src(std::move(f));
    return std::make_unique<DeepSeekModel>(std::make_shared<const DeepSeekWeights>(bind_deepseek(c, src, path)));
  }
  DenseConfig c = parse_dense_config(j, where);
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
