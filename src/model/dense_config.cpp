#include "model/dense_config.h"

#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/config_json.h"

namespace seek {

using json = nlohmann::json;

namespace {

void parse_rope_scaling(const ConfigReader& r, DenseConfig& c) {
  if (!r.has("rope_scaling")) return;
  const json& rs = r.json()["rope_scaling"];
  if (!rs.is_object()) r.fail("rope_scaling", "must be an object or null, got " + rs.dump());
  ConfigReader s(rs, r.source() + ": rope_scaling");
  // Newer configs name the type rope_type, older ones type.
  const char* type_field = s.has("rope_type") ? "rope_type" : "type";
  std::string type = s.str_field(type_field, "");
  DenseRopeScaling& y = c.rope_scaling;
  if (type.empty() || type == "default") return;
  if (type == "linear") {
    y.type = DenseRopeType::Linear;
    y.factor = s.num_field("factor");
    if (!(y.factor > 0)) s.fail("factor", "must be positive, got " + std::to_string(y.factor));
    return;
  }
  if (type != "llama3")
    s.fail(type_field, "is '" + type + "'; supported: 'llama3', 'linear', 'default' (or no rope_scaling)");
  y.type = DenseRopeType::Llama3;
  y.factor = s.num_field("factor");
  y.low_freq_factor = s.num_field("low_freq_factor");
  y.high_freq_factor = s.num_field("high_freq_factor");
  y.original_max_position = s.int_field("original_max_position_embeddings");
  if (!(y.factor > 0)) s.fail("factor", "must be positive, got " + std::to_string(y.factor));
  if (!(y.low_freq_factor > 0)) s.fail("low_freq_factor", "must be positive, got " + std::to_string(y.low_freq_factor));
  if (!(y.high_freq_factor > y.low_freq_factor))
    s.fail("high_freq_factor", "(" + std::to_string(y.high_freq_factor) + ") must exceed low_freq_factor (" +
                                   std::to_string(y.low_freq_factor) + ")");
  if (y.original_max_position <= 0) s.fail("original_max_position_embeddings", "must be positive");
}

// eos_token_id: an int, a list of ints, or absent/null (no end-of-sequence id).
std::vector<int64_t> parse_eos(const ConfigReader& r, int64_t vocab) {
  std::vector<int64_t> ids;
  if (!r.has("eos_token_id")) return ids;
  const json& e = r.json()["eos_token_id"];
  if (e.is_array()) {
    if (e.empty()) r.fail("eos_token_id", "is an empty list");
    for (const json& v : e) {
      if (!v.is_number_integer()) r.fail("eos_token_id", "must be an integer or a list of integers, got " + e.dump());
      ids.push_back(v.get<int64_t>());
    }
  } else {
    ids.push_back(r.int_field("eos_token_id"));
  }
  for (int64_t id : ids)
    if (id < 0 || id >= vocab)
      r.fail("eos_token_id",
             "holds " + std::to_string(id) + ", outside the vocabulary 0.." + std::to_string(vocab - 1));
  return ids;
}

}  // namespace

bool is_dense_model_type(const std::string& t) { return t == "qwen2" || t == "llama"; }

DenseConfig parse_dense_config(const json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": expected a JSON object");
  ConfigReader r(j, source);
  DenseConfig c;
  c.model_type = r.str_field("model_type", "");
  if (!is_dense_model_type(c.model_type))
    r.fail("model_type", "is '" + c.model_type + "', expected 'qwen2' or 'llama'");
  const bool qwen = c.model_type == "qwen2";

  auto positive = [&](const char* f) {
    int64_t v = r.int_field(f);
    if (v <= 0) r.fail(f, "must be positive, got " + std::to_string(v));
    return v;
  };
  c.vocab_size = positive("vocab_size");
  c.hidden_size = positive("hidden_size");
  c.intermediate_size = positive("intermediate_size");
  c.num_hidden_layers = positive("num_hidden_layers");
  c.num_attention_heads = positive("num_attention_heads");
  c.num_key_value_heads = r.has("num_key_value_heads") ? positive("num_key_value_heads") : c.num_attention_heads;
  if (c.num_attention_heads % c.num_key_value_heads)
    r.fail("num_key_value_heads", "(" + std::to_string(c.num_key_value_heads) +
                                      ") does not divide num_attention_heads (" +
                                      std::to_string(c.num_attention_heads) + ")");
  if (r.has("head_dim")) {
    c.head_dim = positive("head_dim");
  } else {
    if (c.hidden_size % c.num_attention_heads)
      r.fail("num_attention_heads", "(" + std::to_string(c.num_attention_heads) + ") does not divide hidden_size (" +
                                        std::to_string(c.hidden_size) + ") and no head_dim is given");
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  if (c.head_dim % 2) r.fail("head_dim", "must be even (RoPE rotates pairs), got " + std::to_string(c.head_dim));
  c.max_position_embeddings = positive("max_position_embeddings");
  c.rms_norm_eps = r.num_field("rms_norm_eps", 1e-6);
  if (!(c.rms_norm_eps > 0)) r.fail("rms_norm_eps", "must be positive");
  c.rope_theta = r.num_field("rope_theta", 10000);
  if (!(c.rope_theta > 0)) r.fail("rope_theta", "must be positive");
  c.tie_word_embeddings = r.bool_field("tie_word_embeddings", false);

  std::string act = r.str_field("hidden_act", "silu");
  if (act != "silu") r.fail("hidden_act", "is '" + act + "'; only 'silu' is supported");
  if (r.bool_field("mlp_bias", false)) r.fail("mlp_bias", "is true; only bias-free MLPs are supported");
  if (r.bool_field("use_sliding_window", false))
    r.fail("use_sliding_window",
           "is true; sliding-window attention is not supported (the R1-Distill models disable it)");
  if (qwen) {
    c.qkv_bias = true;  // Qwen2: q/k/v_proj have a bias, o_proj has none
    c.o_bias = false;
  } else {
    c.qkv_bias = c.o_bias = r.bool_field("attention_bias", false);
  }
  if (r.has("quantization_config"))
    r.fail("quantization_config", "is set; quantized dense checkpoints are not supported");
  parse_rope_scaling(r, c);

  c.bos_token_id = r.int_field("bos_token_id", -1);
  if (c.bos_token_id < -1 || c.bos_token_id >= c.vocab_size)
    r.fail("bos_token_id",
           "is " + std::to_string(c.bos_token_id) + ", outside the vocabulary 0.." + std::to_string(c.vocab_size - 1));
  c.eos_token_ids = parse_eos(r, c.vocab_size);
  return c;
}

DenseConfig load_dense_config(const std::string& model_dir) {
  std::string path;
  nlohmann::json j = read_config_json(model_dir, &path);
  return parse_dense_config(j, path);
}

}  // namespace seek
