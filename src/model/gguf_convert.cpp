#include "model/gguf_convert.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "core/quant_blocks.h"
#include "formats/checkpoint.h"
#include "formats/gguf.h"
#include "formats/gguf_write.h"
#include "formats/safetensors_write.h"
#include "model/config_json.h"
#include "model/dense_attention.h"
#include "model/dense_config.h"
#include "model/gguf_model.h"
#include "model/gguf_convert_rows.h"
#include "model/gguf_deepseek.h"
#include "model/gguf_names.h"
#include "model/rope.h"
#include "model/schema.h"
#include "model/weight_source.h"
#include "text/tokenizer/tokenizer_gguf_write.h"

namespace seek {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// llama.cpp runs llama's RoPE on adjacent pairs, so its converter reorders the rows of each q/k head from the
// Hugging Face half-split order: GGUF row 2i + s of a head (s = 0, 1; i < d/2) is HF row s * d/2 + i.
// Whether the tensor (a q/k weight or bias of a llama model) is stored so.
bool permuted_rows(const DenseConfig& c, const std::string& name) {
  return c.model_type == "llama" &&
         (name.find(".self_attn.q_proj.") != std::string::npos || name.find(".self_attn.k_proj.") != std::string::npos);
}
int64_t hf_row_of_gguf_row(int64_t r, int64_t head_dim) {
  const int64_t h = r / head_dim, p = r % head_dim, half = head_dim / 2;
  return h * head_dim + (p % 2) * half + p / 2;
}

void add_dense_metadata(const DenseConfig& c, const std::string& name, const GgufTensorTypes& types, GgufWriter& w) {
  const std::string a = c.model_type;
  add_gguf_general(a, name, types, w);
  w.set_u32(a + ".vocab_size", uint32_t(c.vocab_size));
  w.set_u32(a + ".context_length", uint32_t(c.max_position_embeddings));
  w.set_u32(a + ".embedding_length", uint32_t(c.hidden_size));
  w.set_u32(a + ".block_count", uint32_t(c.num_hidden_layers));
  w.set_u32(a + ".feed_forward_length", uint32_t(c.intermediate_size));
  w.set_u32(a + ".attention.head_count", uint32_t(c.num_attention_heads));
  w.set_u32(a + ".attention.head_count_kv", uint32_t(c.num_key_value_heads));
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", float(c.rms_norm_eps));
  w.set_f32(a + ".rope.freq_base", float(c.rope_theta));
  w.set_u32(a + ".rope.dimension_count", uint32_t(c.head_dim));
  if (c.head_dim * c.num_attention_heads != c.hidden_size) {
    w.set_u32(a + ".attention.key_length", uint32_t(c.head_dim));
    w.set_u32(a + ".attention.value_length", uint32_t(c.head_dim));
  }
  if (c.rope_scaling.type == DenseRopeType::Linear) {
    w.set_string(a + ".rope.scaling.type", "linear");
    w.set_f32(a + ".rope.scaling.factor", float(c.rope_scaling.factor));
  }
}

}  // namespace

namespace {

void add_tokenizer(const std::string& dir, int64_t vocab, int64_t bos, int64_t eos,
                   const std::function<void(const std::string&)>& log, GgufWriter& w) {
  if (fs::exists(fs::path(dir) / "tokenizer.json")) {
    add_gguf_tokenizer(dir, vocab, w);
  } else {
    log("no tokenizer.json: writing a byte-level vocabulary (256 byte tokens, no merges; token ids are the model's)");
    add_gguf_byte_vocab(vocab, bos, eos, w);
  }
}

// The dense tensors: each schema tensor under its GGUF name, llama's q/k rows permuted; llama3 scaling as rope_freqs.
void add_dense_tensors(const DenseConfig& c, const Checkpoint& ck, GgufTensorTypes& types, GgufWriter& w) {
  const DenseSchema schema = dense_schema(c);
  for (const TensorSpec* s : schema.all()) {
    const std::string g = gguf_name_of(s->name);
    check(!g.empty(), "no GGUF name for " + s->name);
    const Tensor t = ck.get(s->name, s->shape);
    const int64_t cols = s->shape.back(), hd = c.head_dim;
    const bool permute = permuted_rows(c, s->name);
    const size_t in_row = size_t(cols) * dtype_size(t.dtype);
    add_gguf_rows(w, g, types, s->shape, false, [=](int64_t r, float* dst) {
      if (s->shape.size() == 1 && permute) {  // a q/k bias: one element per row of the matrix
        std::vector<float> v(static_cast<size_t>(cols));
        to_f32(t.dtype, t.data, v.data(), size_t(cols));
        for (int64_t i = 0; i < cols; i++) dst[i] = v[size_t(hf_row_of_gguf_row(i, hd))];
        return;
      }
      const int64_t src = permute ? hf_row_of_gguf_row(r, hd) : r;
      to_f32(t.dtype, static_cast<const uint8_t*>(t.data) + size_t(src) * in_row, dst, size_t(cols));
    });
  }
  if (c.rope_scaling.type == DenseRopeType::Llama3) {  // llama.cpp's form: per-frequency divisors
    const std::vector<float> plain = RopeFrequencies(c.head_dim, c.rope_theta).freqs();
    const std::vector<float> scaled = dense_rope_frequencies(c).freqs();
    std::vector<float> factors(plain.size());
    for (size_t i = 0; i < plain.size(); i++) factors[i] = plain[i] / scaled[i];
    w.add_tensor("rope_freqs.weight", GgmlType::F32, {int64_t(factors.size())},
                 [factors](uint8_t* dst) { std::memcpy(dst, factors.data(), factors.size() * 4); });
  }
}

}  // namespace

void convert_hf_to_gguf(const std::string& model_dir, const std::string& out_path, const std::string& type,
                        const std::function<void(const std::string&)>& log, const GgufConvertOptions& opt) {
  const std::string dir = resolve_model_dir(model_dir);
  std::string cfg_path;
  const json j = read_config_json(dir, &cfg_path);
  const std::string model_type = j.value("model_type", "");
  const std::string name = fs::path(dir).filename().string();
  const Checkpoint ck = Checkpoint::open(dir);
  GgufWriter w;
  std::optional<GgufTensorTypes> chosen;
  if (model_type == "deepseek_v3" || model_type == "deepseek_v2") {
    const DeepSeekConfig c = parse_deepseek_config(j, cfg_path);
    GgufTensorTypes& types = chosen.emplace(type, c.num_hidden_layers + c.num_nextn_predict_layers, c.n_routed_experts,
                                            !c.tie_word_embeddings);
    add_gguf_general("deepseek2", name, types, w);
    add_deepseek2_metadata(c, cfg_path, opt.split_kv_b, w);
    add_tokenizer(dir, c.vocab_size, c.bos_token_id, c.eos_token_id, log, w);
    CheckpointWeights src(ck, c.fp8_block);
    add_deepseek2_tensors(c, src, types, opt.split_kv_b, w, log);
  } else if (is_dense_model_type(model_type)) {
    const DenseConfig c = parse_dense_config(j, cfg_path);
    GgufTensorTypes& types = chosen.emplace(type, c.num_hidden_layers, 0, !c.tie_word_embeddings);
    add_dense_metadata(c, name, types, w);
    add_tokenizer(dir, c.vocab_size, c.bos_token_id, c.eos_token_ids.empty() ? -1 : c.eos_token_ids[0], log, w);
    add_dense_tensors(c, ck, types, w);
  } else {
    throw Error(cfg_path + ": model_type '" + model_type +
                "' cannot be converted to GGUF (deepseek_v3, deepseek_v2, qwen2 and llama can)");
  }
  if (chosen->fallbacks())
    log(std::to_string(chosen->fallbacks()) + " matrices have rows that are not whole blocks of their " + type +
        " type: written in the next type that fits, as llama.cpp does");
  w.write(out_path);
  log("wrote " + out_path + " (" + type + ")");
}

void add_gguf_general(const std::string& arch, const std::string& name, const GgufTensorTypes& types, GgufWriter& w) {
  w.set_string("general.architecture", arch);
  w.set_string("general.name", name);
  w.set_u32("general.file_type", types.file_type());
  if (types.quantized()) w.set_u32("general.quantization_version", 2);
}

void add_gguf_rows(GgufWriter& w, const std::string& name, GgufTensorTypes& types, const Shape& shape, bool keep_f32,
                   RowFill row) {
  const int64_t cols = shape.back(), rows = shape_numel(shape) / cols;
  const DType dt = types.choose(name, shape, keep_f32);
  const size_t out_row = row_bytes(dt, cols);
  w.add_tensor(name, ggml_type_of(dt), shape, [=](uint8_t* dst) {
    std::vector<float> buf(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; r++) {
      row(r, buf.data());
      if (is_block_dtype(dt))
        quantize_row(dt, buf.data(), dst + size_t(r) * out_row, cols);
      else
        from_f32(dt, buf.data(), dst + size_t(r) * out_row, size_t(cols));
    }
  });
}

namespace {

// Every dense tensor dequantized to f32, llama's q/k rows permuted back. Sets cfg's architectures.
std::vector<std::pair<std::string, Tensor>> dense_hf_tensors(const GgufFile& f, json& cfg) {
  const std::string gguf_path = f.path();
  const DenseConfig c = parse_dense_config(cfg, gguf_path + " (its metadata as config.json)");
  if (f.find_tensor("rope_freqs.weight"))
    throw Error(gguf_path + ": rope_freqs (llama3 rope scaling as divisors) has no config.json form seek writes yet");
  std::vector<std::pair<std::string, Tensor>> tensors;
  const DenseSchema schema = dense_schema(c);  // all() points into it
  for (const TensorSpec* s : schema.all()) {
    const GgufTensorInfo& info = f.tensor_info(gguf_name_of(s->name));
    const int64_t rows = s->shape.size() == 2 ? s->shape[0] : 1, cols = s->shape.back();
    const DType dt = f.dtype(info);
    const size_t stride = row_bytes(dt, cols);
    const bool permute = permuted_rows(c, s->name);
    Tensor out = Tensor::empty(DType::F32, s->shape);
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; r++) {
      dequantize_row(dt, f.tensor_data(info) + size_t(r) * stride, row.data(), cols);
      if (s->shape.size() == 1 && permute) {
        for (int64_t i = 0; i < cols; i++) out.f32()[hf_row_of_gguf_row(i, c.head_dim)] = row[size_t(i)];
      } else {
        const int64_t dst = permute ? hf_row_of_gguf_row(r, c.head_dim) : r;
        std::copy(row.begin(), row.end(), out.f32() + dst * cols);
      }
    }
    tensors.emplace_back(s->name, out);
  }
  cfg["architectures"] = json::array({c.model_type == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"});
  return tensors;
}

void write_hf_folder(const std::string& out_dir, const std::string& type, json cfg,
                     std::vector<std::pair<std::string, Tensor>> tensors,
                     const std::function<void(const std::string&)>& log) {
  if (type == "f16")
    for (auto& [name, t] : tensors) {
      Tensor h = Tensor::empty(DType::F16, t.shape);
      from_f32(DType::F16, t.f32(), h.data, size_t(t.numel()));
      t = h;
    }
  fs::create_directories(out_dir);
  cfg["torch_dtype"] = type == "f32" ? "float32" : type == "bf16" ? "bfloat16" : "float16";
  SafetensorsWriteOptions opt;
  opt.f32_to_bf16 = type == "bf16";
  save_safetensors(out_dir + "/model.safetensors", tensors, opt);
  const std::string cj = cfg.dump(2) + "\n";
  write_file_durable(out_dir + "/config.json", cj.data(), cj.size());
  log("wrote " + out_dir + " (" + type + "; the tokenizer is not written back from GGUF yet)");
}

}  // namespace

void convert_gguf_to_hf(const std::string& gguf_path, const std::string& out_dir, const std::string& type,
                        const std::function<void(const std::string&)>& log) {
  if (type != "f32" && type != "bf16" && type != "f16")
    throw Error("--type '" + type + "': a Hugging Face folder from GGUF is written in f32, bf16 or f16");
  const GgufFile f = GgufFile::open(gguf_path);
  json cfg = gguf_hf_config(f);
  const std::string where = gguf_path + " (its metadata as config.json)";
  std::vector<std::pair<std::string, Tensor>> tensors;
  if (f.get_string("general.architecture") == "deepseek2") {
    const DeepSeekConfig c = parse_deepseek_config(cfg, where);
    tensors = deepseek2_hf_tensors(gguf_path, c);
    cfg["architectures"] =
        json::array({c.model_type == "deepseek_v3" ? "DeepseekV3ForCausalLM" : "DeepseekV2ForCausalLM"});
  } else {
    tensors = dense_hf_tensors(f, cfg);
  }
  write_hf_folder(out_dir, type, cfg, tensors, log);
}

}  // namespace seek
