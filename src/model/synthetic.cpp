#include "model/synthetic.h"

#include <cmath>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/progress.h"
#include "formats/safetensors.h"
#include "model/config.h"
#include "model/dense_config.h"
#include "model/schema.h"

namespace seek {

namespace fs = std::filesystem;
using json = nlohmann::json;

json synthetic_config(int64_t target_params, int64_t vocab_size) {
  check(target_params > 0, "synthetic model size must be positive");
  json best;
  double best_err = 1e300;
  // Grow width and depth together (depth ~ width/64, as small V3-like models do); experts scale with width.
  for (int64_t d = 128; d <= 8192; d += 128) {
    for (int64_t L = 2; L <= 64; L++) {
      json c = {{"architectures", {"DeepseekV3ForCausalLM"}},
                {"model_type", "deepseek_v3"},
                {"vocab_size", vocab_size},
                {"hidden_size", d},
                {"intermediate_size", 4 * d},
                {"moe_intermediate_size", d / 2},
                {"num_hidden_layers", L},
                {"first_k_dense_replace", 1},
                {"num_attention_heads", std::max<int64_t>(2, d / 128)},
                {"num_key_value_heads", std::max<int64_t>(2, d / 128)},
                {"n_routed_experts", 64},
                {"n_shared_experts", 1},
                {"num_experts_per_tok", 6},
                {"n_group", 8},
                {"topk_group", 4},
                {"scoring_func", "sigmoid"},
                {"topk_method", "noaux_tc"},
                {"norm_topk_prob", true},
                {"routed_scaling_factor", 2.5},
                {"q_lora_rank", d / 2},
                {"kv_lora_rank", d / 4},
                {"qk_nope_head_dim", 64},
                {"qk_rope_head_dim", 32},
                {"v_head_dim", 64},
                {"rms_norm_eps", 1e-6},
                {"rope_theta", 10000.0},
                {"max_position_embeddings", 16384},
                {"rope_scaling",
                 {{"type", "yarn"},
                  {"factor", 4},
                  {"original_max_position_embeddings", 4096},
                  {"beta_fast", 32},
                  {"beta_slow", 1},
                  {"mscale", 1.0},
                  {"mscale_all_dim", 1.0}}},
                {"tie_word_embeddings", false},
                {"num_nextn_predict_layers", 0},
                {"bos_token_id", 0},
                {"eos_token_id", 1},
                {"hidden_act", "silu"},
                {"torch_dtype", "bfloat16"}};
      if (L > d / 48 + 2) break;  // keep the shape sane: no very deep narrow models
      int64_t n = count_params(parse_deepseek_config(c, "synthetic")).total;
      double err = std::fabs(std::log(double(n) / double(target_params)));
      if (L >= d / 96 && err < best_err) best_err = err, best = c;
    }
  }
  check(!best.is_null(), "no synthetic config near " + std::to_string(target_params) + " parameters");
  return best;
}

namespace {

// Quantizes a [rows, cols] f32 matrix to e4m3 with one scale per block x block tile (amax / 448).
void quantize_fp8(const std::vector<float>& w, int64_t rows, int64_t cols, int64_t block, Tensor& q, Tensor& s) {
  const int64_t br = (rows + block - 1) / block, bc = (cols + block - 1) / block;
  q = Tensor::empty(DType::E4M3, {rows, cols});
  s = Tensor::empty(DType::F32, {br, bc});
  for (int64_t i = 0; i < br; i++)
    for (int64_t j = 0; j < bc; j++) {
      float amax = 0;
      for (int64_t r = i * block; r < std::min(rows, (i + 1) * block); r++)
        for (int64_t c = j * block; c < std::min(cols, (j + 1) * block); c++)
          amax = std::max(amax, std::fabs(w[size_t(r * cols + c)]));
      float scale = amax > 0 ? amax / 448.0f : 1.0f;
      s.f32()[i * bc + j] = scale;
      for (int64_t r = i * block; r < std::min(rows, (i + 1) * block); r++)
        for (int64_t c = j * block; c < std::min(cols, (j + 1) * block); c++)
          q.ptr<uint8_t>()[r * cols + c] = f32_to_e4m3(w[size_t(r * cols + c)] / scale);
    }
}

class Writer {
 public:
  Writer(std::string dir, const SyntheticOptions& opt, Progress* progress)
      : dir_(std::move(dir)), opt_(opt), rng_(opt.seed), progress_(progress) {}

  // One tensor of the schema, drawn by its role: matrices ~ N(0, std) (quantized to fp8 blocks when the checkpoint
  // is fp8, except the embedding, head and router), norm weights 1 + N(0, 0.1) so every channel matters but none
  // explodes, biases and the selection bias ~ N(0, 0.01) in f32.
  void tensor(const TensorSpec& t) {
    const DType vec_dtype = opt_.dtype == DType::E4M3 ? DType::BF16 : opt_.dtype;
    switch (t.role) {
      case Role::Norm: {
        std::vector<float> w = normal(t.numel(), 0.1);
        for (float& v : w) v += 1.0f;
        add(t.name, convert(w, t.shape, vec_dtype));
        return;
      }
      case Role::Bias:
      case Role::SelectionBias: add(t.name, convert(normal(t.numel(), 0.01), t.shape, DType::F32)); return;
      case Role::Matrix: {
        std::vector<float> w = normal(t.numel(), opt_.init_std);
        if (opt_.dtype == DType::E4M3) {
          Tensor q, sc;
          quantize_fp8(w, t.shape[0], t.shape[1], 128, q, sc);
          add(t.name, q);
          add(t.name + "_scale_inv", sc);
        } else {
          add(t.name, convert(w, t.shape, opt_.dtype));
        }
        return;
      }
      case Role::Embedding:
      case Role::Head:
      case Role::Router: add(t.name, convert(normal(t.numel(), opt_.init_std), t.shape, vec_dtype)); return;
    }
  }

  void finish(const json& config) {
    fs::create_directories(dir_);
    std::string cfg = config.dump(1);
    write_file_atomic((fs::path(dir_) / "config.json").string(), cfg.data(), cfg.size());
    if (opt_.shard_bytes <= 0) {
      write_safetensors((fs::path(dir_) / "model.safetensors").string(), tensors_);
      return;
    }
    std::vector<std::vector<std::pair<std::string, Tensor>>> shards(1);
    size_t bytes = 0;
    for (auto& t : tensors_) {
      if (bytes > 0 && bytes + t.second.nbytes() > size_t(opt_.shard_bytes)) shards.emplace_back(), bytes = 0;
      shards.back().push_back(t);
      bytes += t.second.nbytes();
    }
    json index = {{"metadata", json::object()}, {"weight_map", json::object()}};
    for (size_t i = 0; i < shards.size(); i++) {
      char name[64];
      std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
      write_safetensors((fs::path(dir_) / name).string(), shards[i]);
      for (auto& t : shards[i]) index["weight_map"][t.first] = name;
    }
    std::string ix = index.dump(1);
    write_file_atomic((fs::path(dir_) / "model.safetensors.index.json").string(), ix.data(), ix.size());
  }

 private:
  std::vector<float> normal(int64_t n, double std) {
    std::normal_distribution<float> d(0.0f, float(std));
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = d(rng_);
    if (progress_) progress_->add(n);
    return v;
  }
  static Tensor convert(const std::vector<float>& v, Shape shape, DType dt) {
    Tensor t = Tensor::empty(dt, std::move(shape));
    from_f32(dt, v.data(), t.data, v.size());
    return t;
  }
  void add(const std::string& name, Tensor t) { tensors_.push_back({name, std::move(t)}); }

  std::string dir_;
  SyntheticOptions opt_;
  std::mt19937_64 rng_;
  std::vector<std::pair<std::string, Tensor>> tensors_;
  Progress* progress_;
};

}  // namespace

void write_synthetic_checkpoint(const std::string& dir, const json& config_in, const SyntheticOptions& opt) {
  json config = config_in;
  if (is_dense_model_type(config.value("model_type", std::string()))) {
    check(opt.dtype != DType::E4M3, dir + ": fp8 weights are for DeepSeek models; write a dense one in bf16, f16 or f32");
    const DenseSchema schema = dense_schema(parse_dense_config(config, dir + "/config.json"));
    int64_t n = 0;
    for (const TensorSpec* t : schema.all()) n += t->numel();
    Progress progress("synth " + dir, n, "param");
    Writer w(dir, opt, &progress);
    for (const TensorSpec* t : schema.all()) w.tensor(*t);
    w.finish(config);
    progress.done();
    return;
  }
  if (opt.dtype == DType::E4M3)
    config["quantization_config"] = {
        {"quant_method", "fp8"}, {"fmt", "e4m3"}, {"activation_scheme", "dynamic"}, {"weight_block_size", {128, 128}}};
  DeepSeekConfig c = parse_deepseek_config(config, dir + "/config.json");
  const ParamCounts pc = count_params(c);
  Progress progress("synth " + dir, pc.total + pc.mtp, "param");
  Writer w(dir, opt, &progress);
  const DeepSeekSchema schema = deepseek_schema(c);  // all() points into it
  for (const TensorSpec* t : schema.all())
    if (t->required) w.tensor(*t);  // an MTP module's copy of the head is left out, as converted checkpoints do
  w.finish(config);
  progress.done();
}

}  // namespace seek
