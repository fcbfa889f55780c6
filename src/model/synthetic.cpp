#include "model/synthetic.h"

#include <cmath>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/progress.h"
#include "formats/safetensors.h"
#include "model/config.h"
#include "model/deepseek.h"

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
      int64_t n = DeepSeekModel::count_params(parse_deepseek_config(c, "synthetic")).total;
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

  // A Linear weight [rows, cols] ~ N(0, std); quantized when the checkpoint is fp8.
  void linear(const std::string& name, int64_t rows, int64_t cols, bool quantizable = true) {
    std::vector<float> w = normal(rows * cols, opt_.init_std);
    if (opt_.dtype == DType::E4M3 && quantizable) {
      Tensor q, s;
      quantize_fp8(w, rows, cols, 128, q, s);
      add(name, q);
      add(name + "_scale_inv", s);
    } else {
      add(name, convert(w, {rows, cols}, opt_.dtype == DType::E4M3 ? DType::BF16 : opt_.dtype));
    }
  }
  // A norm weight: ones with a little noise, so every channel matters but none explodes.
  void norm(const std::string& name, int64_t n) {
    std::vector<float> w = normal(n, 0.1);
    for (float& v : w) v += 1.0f;
    add(name, convert(w, {n}, opt_.dtype == DType::E4M3 ? DType::BF16 : opt_.dtype));
  }
  void vector_f32(const std::string& name, int64_t n, double std) {
    add(name, convert(normal(n, std), {n}, DType::F32));
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

void write_block(Writer& w, const DeepSeekConfig& c, int64_t layer) {
  const std::string p = "model.layers." + std::to_string(layer);
  const int64_t D = c.hidden_size, H = c.num_attention_heads;
  w.norm(p + ".input_layernorm.weight", D);
  w.norm(p + ".post_attention_layernorm.weight", D);
  if (c.q_lora_rank > 0) {
    w.linear(p + ".self_attn.q_a_proj.weight", c.q_lora_rank, D);
    w.norm(p + ".self_attn.q_a_layernorm.weight", c.q_lora_rank);
    w.linear(p + ".self_attn.q_b_proj.weight", H * c.qk_head_dim(), c.q_lora_rank);
  } else {
    w.linear(p + ".self_attn.q_proj.weight", H * c.qk_head_dim(), D);
  }
  w.linear(p + ".self_attn.kv_a_proj_with_mqa.weight", c.kv_lora_rank + c.qk_rope_head_dim, D);
  w.norm(p + ".self_attn.kv_a_layernorm.weight", c.kv_lora_rank);
  w.linear(p + ".self_attn.kv_b_proj.weight", H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank);
  w.linear(p + ".self_attn.o_proj.weight", D, H * c.v_head_dim);
  auto mlp = [&](const std::string& q, int64_t inter) {
    w.linear(q + ".gate_proj.weight", inter, D);
    w.linear(q + ".up_proj.weight", inter, D);
    w.linear(q + ".down_proj.weight", D, inter);
  };
  if (!c.is_moe_layer(layer)) {
    mlp(p + ".mlp", c.intermediate_size);
    return;
  }
  w.linear(p + ".mlp.gate.weight", c.n_routed_experts, D, /*quantizable=*/false);
  if (c.uses_selection_bias()) w.vector_f32(p + ".mlp.gate.e_score_correction_bias", c.n_routed_experts, 0.01);
  for (int64_t e = 0; e < c.n_routed_experts; e++)
    mlp(p + ".mlp.experts." + std::to_string(e), c.moe_intermediate_size);
  if (c.n_shared_experts > 0) mlp(p + ".mlp.shared_experts", c.n_shared_experts * c.moe_intermediate_size);
}

}  // namespace

void write_synthetic_checkpoint(const std::string& dir, const json& config_in, const SyntheticOptions& opt) {
  json config = config_in;
  if (opt.dtype == DType::E4M3)
    config["quantization_config"] = {
        {"quant_method", "fp8"}, {"fmt", "e4m3"}, {"activation_scheme", "dynamic"}, {"weight_block_size", {128, 128}}};
  DeepSeekConfig c = parse_deepseek_config(config, dir + "/config.json");
  ParamCounts pc = DeepSeekModel::count_params(c);
  Progress progress("synth " + dir, pc.total + pc.mtp, "param");
  Writer w(dir, opt, &progress);
  w.linear("model.embed_tokens.weight", c.vocab_size, c.hidden_size, false);
  for (int64_t l = 0; l < c.num_hidden_layers; l++) write_block(w, c, l);
  w.norm("model.norm.weight", c.hidden_size);
  if (!c.tie_word_embeddings) w.linear("lm_head.weight", c.vocab_size, c.hidden_size, false);
  for (int64_t k = 0; k < c.num_nextn_predict_layers; k++) {
    const int64_t layer = c.num_hidden_layers + k;
    const std::string p = "model.layers." + std::to_string(layer);
    w.norm(p + ".enorm.weight", c.hidden_size);
    w.norm(p + ".hnorm.weight", c.hidden_size);
    w.linear(p + ".eh_proj.weight", c.hidden_size, 2 * c.hidden_size, false);
    write_block(w, c, layer);
    w.norm(p + ".shared_head.norm.weight", c.hidden_size);
  }
  w.finish(config);
  progress.done();
}

}  // namespace seek
