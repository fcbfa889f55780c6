// The dense R1-Distill architectures (Qwen2, Llama) against the fixtures of the float64 reference
// (tools/reference/dense_ref.py) in tests/fixtures: f32 every logit within 1e-4, bf16 the argmax wherever
// the reference's top-1/top-2 gap is not a tie at bf16 accuracy; prefill, one token at a time, and mixed chunks.
// Also config errors naming their field, checkpoint errors naming their tensor, and loading through load_model().
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/error.h"
#include "model/schema.h"
#include "model/deepseek.h"
#include "model/dense.h"
#include "model/language_model.h"

using namespace seek;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path fixture_dir(const std::string& name) { return fs::path(SEEK_SOURCE_DIR) / "tests/fixtures" / name; }

struct Fixture {
  std::vector<int32_t> tokens;
  std::vector<float> expected;  // [T, V]
  std::vector<float> gap;       // reference top-1 minus top-2 logit, per row
  float logits_std = 0;         // over all rows
};

Fixture read_fixture(const fs::path& dir) {
  Fixture f;
  std::ifstream js(dir / "expected.json");
  auto j = json::parse(js);
  for (auto& t : j["tokens"]) f.tokens.push_back(t.get<int32_t>());
  for (auto& g : j["top1_top2_gap"]) f.gap.push_back(g.get<float>());
  f.logits_std = j["diagnostics"]["logits_std"].get<float>();
  std::ifstream bin(dir / "expected_logits.f32", std::ios::binary);
  bin.seekg(0, std::ios::end);
  f.expected.resize(size_t(bin.tellg()) / 4);
  bin.seekg(0);
  bin.read(reinterpret_cast<char*>(f.expected.data()), std::streamsize(f.expected.size() * 4));
  return f;
}

// Runs `tokens` through a fresh cache in chunks of the given sizes (cycled), collecting every row's logits.
std::vector<float> run(const LanguageModel& m, const std::vector<int32_t>& tokens, std::vector<int64_t> chunks,
                       Precision p) {
  const int64_t T = int64_t(tokens.size()), V = m.vocab_size();
  std::vector<float> logits(size_t(T * V));
  auto cache = m.new_sequence();
  ForwardOptions opt;
  opt.precision = p;
  for (int64_t t = 0, i = 0; t < T; i++) {
    const int64_t n = std::min(chunks[size_t(i) % chunks.size()], T - t);
    m.forward(&tokens[size_t(t)], n, *cache, opt, &logits[size_t(t * V)]);
    t += n;
    EXPECT_EQ(cache->len(), t);
  }
  return logits;
}

int64_t argmax_row(const float* r, int64_t n) { return std::max_element(r, r + n) - r; }

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = 0;
  for (size_t i = 0; i < a.size(); i++) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

// bf16 accuracy. These random models have logits of std σ ≈ 1 or 2 (expected.json: diagnostics.logits_std), and
// bf16 moves a logit in proportion to σ. Measured: the largest |bf16 - f64| in a row is ~0.02σ at the median row and
// ≤ 0.06σ in every row, for seek's bf16 path and equally for a bf16 run of the reference model code (whose logits
// seek's bf16 path reproduces to 1e-6 when both evaluate silu in f32). The argmax can change only where the top-1/top-2
// gap is below twice the per-logit deviation, so rows with a gap under kTieGap·σ (2 × 0.06σ) are ties at bf16
// accuracy and are not compared. The median row deviation must lie in [kMinMedianDev·σ, kMaxMedianDev·σ]: above,
// the bf16 path is broken (it cannot hide behind the tie rule); below, it is not rounding at all.
constexpr float kTieGap = 0.12f;
constexpr float kMaxMedianDev = 0.05f;
constexpr float kMinMedianDev = 0.005f;

void check_fixture(const std::string& name) {
  const fs::path dir = fixture_dir(name);
  ASSERT_TRUE(fs::exists(dir / "expected.json")) << dir;
  Fixture f = read_fixture(dir);
  auto model = DenseModel::load(dir.string());
  const int64_t V = model->vocab_size(), T = int64_t(f.tokens.size());
  ASSERT_EQ(int64_t(f.expected.size()), T * V);
  ASSERT_EQ(int64_t(f.gap.size()), T);
  ASSERT_GT(f.logits_std, 0.0f);
  const std::vector<std::pair<const char*, std::vector<int64_t>>> modes = {
      {"prefill", {T}}, {"incremental", {1}}, {"chunks 5,1,3", {5, 1, 3}}};
  for (const auto& [mode, chunks] : modes) {
    SCOPED_TRACE(mode);
    std::vector<float> got = run(*model, f.tokens, chunks, Precision::F32);
    const float worst = max_abs_diff(got, f.expected);
    EXPECT_LT(worst, 1e-4f) << "f32 logits differ from the reference";
    std::printf("[ %s %s ] f32 max |diff| %.3g\n", name.c_str(), mode, double(worst));

    std::vector<float> bf = run(*model, f.tokens, chunks, Precision::BF16);
    std::vector<float> dev;
    int64_t compared = 0;
    for (int64_t t = 0; t < T; t++) {
      const float* ref = &f.expected[size_t(t * V)];
      float d = 0;
      for (int64_t v = 0; v < V; v++) d = std::max(d, std::fabs(bf[size_t(t * V + v)] - ref[v]));
      dev.push_back(d);
      if (f.gap[size_t(t)] < kTieGap * f.logits_std) continue;
      compared++;
      EXPECT_EQ(argmax_row(&bf[size_t(t * V)], V), argmax_row(ref, V)) << "bf16 argmax at position " << t;
    }
    const float worst_bf = *std::max_element(dev.begin(), dev.end());
    std::nth_element(dev.begin(), dev.begin() + long(dev.size() / 2), dev.end());
    const float median = dev[dev.size() / 2];
    EXPECT_LT(median, kMaxMedianDev * f.logits_std) << "bf16 rows deviate too much from the reference";
    EXPECT_GT(median, kMinMedianDev * f.logits_std) << "bf16 rows equal the reference: is the bf16 path rounding?";
    EXPECT_GE(compared, T / 2) << "too few rows compared in bf16";
    std::printf(
        "[ %s %s ] bf16 median row max |diff| %.3g, worst %.3g (logits std %.3g), argmax compared on "
        "%lld/%lld rows\n",
        name.c_str(), mode, double(median), double(worst_bf), double(f.logits_std), (long long)compared, (long long)T);
  }
}

// Parsing `j` must fail with a message (one line) that contains every one of `needles`.
void expect_config_error(const json& j, std::initializer_list<const char*> needles) {
  try {
    parse_dense_config(j, "cfg.json");
    ADD_FAILURE() << "accepted: " << j.dump();
  } catch (const Error& e) {
    std::string m = e.what();
    for (const char* n : needles) EXPECT_NE(m.find(n), std::string::npos) << "message: " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
  }
}

template <class F>
void expect_error(F&& f, std::initializer_list<std::string> needles) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    std::string m = e.what();
    for (const auto& n : needles) EXPECT_NE(m.find(n), std::string::npos) << "message: " << m;
  }
}

json read_json(const fs::path& p) {
  std::ifstream f(p);
  return json::parse(f);
}

// The published configs of two R1-Distill models (the fields that matter here).
json r1_distill_qwen_1_5b() {
  return json::parse(R"({
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "bos_token_id": 151643, "eos_token_id": 151643,
    "hidden_act": "silu", "hidden_size": 1536, "intermediate_size": 8960, "max_position_embeddings": 131072,
    "max_window_layers": 21, "num_attention_heads": 12, "num_hidden_layers": 28, "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06, "rope_theta": 10000, "sliding_window": 4096, "tie_word_embeddings": false,
    "torch_dtype": "bfloat16", "use_sliding_window": false, "vocab_size": 151936})");
}
json r1_distill_llama_8b() {
  return json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": false, "bos_token_id": 128000,
    "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336,
    "max_position_embeddings": 131072, "mlp_bias": false, "num_attention_heads": 32, "num_hidden_layers": 32,
    "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "vocab_size": 128256})");
}

// A copy of a fixture's weights with an edited config, in its own folder.
fs::path edited_fixture(const std::string& name, const std::string& tag, const json& config) {
  fs::path dir = fs::temp_directory_path() / ("seek-dense-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(fixture_dir(name) / "model.safetensors", dir / "model.safetensors");
  std::ofstream(dir / "config.json") << config.dump(2);
  return dir;
}

}  // namespace

class DenseFixture : public ::testing::TestWithParam<std::string> {};
TEST_P(DenseFixture, MatchesReference) { check_fixture(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Reference, DenseFixture, ::testing::Values("qwen2-tiny", "qwen2-tiny-tied", "llama-tiny"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

// What `seek forward --model tests/fixtures/qwen2-tiny` does: load_model() picks the dense architecture.
TEST(DenseModel, LoadsThroughLoadModel) {
  for (const char* name : {"qwen2-tiny", "llama-tiny"}) {
    SCOPED_TRACE(name);
    auto m = load_model(fixture_dir(name).string());
    ASSERT_NE(dynamic_cast<DenseModel*>(m.get()), nullptr);
    EXPECT_EQ(m->architecture(), std::string(name).substr(0, std::string(name).find('-')));
    EXPECT_EQ(m->vocab_size(), 256);
    EXPECT_EQ(m->bos_token_id(), 0);
    EXPECT_EQ(m->eos_token_id(), 1);
    EXPECT_EQ(m->eos_token_ids(), std::vector<int64_t>{1});
    Fixture f = read_fixture(fixture_dir(name));
    std::vector<float> got = run(*m, f.tokens, {int64_t(f.tokens.size())}, Precision::F32);
    EXPECT_LT(max_abs_diff(got, f.expected), 1e-4f);
    // Only the last row, as generation asks for it.
    auto cache = m->new_sequence();
    ForwardOptions opt;
    opt.all_logits = false;
    std::vector<float> last(256);
    m->forward(f.tokens.data(), int64_t(f.tokens.size()), *cache, opt, last.data());
    const size_t off = (f.tokens.size() - 1) * 256;
    for (size_t v = 0; v < 256; v++) EXPECT_NEAR(last[v], f.expected[off + v], 1e-4f) << v;
    // 2 layers x 2 kv heads x 16 x (K and V) f32 values per token.
    EXPECT_EQ(cache->bytes_per_token(), size_t(2 * 2 * 16 * 2 * 4));
  }
  // A DeepSeek model keeps the interface's default list of end ids.
  auto ds = load_model(fixture_dir("no-yarn").string());
  EXPECT_EQ(ds->eos_token_ids(), std::vector<int64_t>{ds->eos_token_id()});
}

// Bad ids and too-long sequences fail before anything is appended; truncating the cache rewinds exactly.
TEST(DenseModel, ValidatesInputAndRewinds) {
  auto m = DenseModel::load(fixture_dir("qwen2-tiny").string());
  Fixture f = read_fixture(fixture_dir("qwen2-tiny"));
  DenseKVCache cache = m->new_cache();
  ForwardOptions opt;
  std::vector<float> logits(size_t(f.tokens.size() * 256));
  m->forward(f.tokens.data(), 10, cache, opt, logits.data());
  ASSERT_EQ(cache.len(), 10);

  const int32_t bad[] = {5, 256};
  expect_error([&] { m->forward(bad, 2, cache, opt, logits.data()); }, {"token id 256", "position 11", "0..255"});
  const int32_t neg[] = {-1};
  expect_error([&] { m->forward(neg, 1, cache, opt, logits.data()); }, {"token id -1", "position 10"});
  EXPECT_EQ(cache.len(), 10);
  std::vector<int32_t> many(size_t(m->context_length() - 9), 3);
  expect_error([&] { m->forward(many.data(), int64_t(many.size()), cache, opt, logits.data()); },
               {"4097 tokens", "max_position_embeddings = 4096"});
  EXPECT_EQ(cache.len(), 10);
  expect_error([&] { cache.set_len(11); }, {"truncate"});

  // Rewind to 7 and continue: rows 7.. must match the reference again (stale rows 7..9 are overwritten).
  cache.set_len(7);
  const int64_t rest = int64_t(f.tokens.size()) - 7;
  m->forward(&f.tokens[7], rest, cache, opt, logits.data());
  float worst = 0;
  for (size_t i = 0; i < size_t(rest * 256); i++)
    worst = std::max(worst, std::fabs(logits[i] - f.expected[7 * 256 + i]));
  EXPECT_LT(worst, 1e-4f);

  // A cache from another architecture is refused.
  auto ds = DeepSeekModel::load(fixture_dir("no-yarn").string());
  auto other = ds->new_sequence(AttnForm::Absorb);
  expect_error([&] { m->forward(f.tokens.data(), 1, *other, opt, logits.data()); }, {"cache"});
}

TEST(DenseConfig, FixtureConfigs) {
  DenseConfig q = load_dense_config(fixture_dir("qwen2-tiny").string());
  EXPECT_EQ(q.model_type, "qwen2");
  EXPECT_EQ(q.head_dim, 16);
  EXPECT_EQ(q.num_key_value_heads, 2);
  EXPECT_EQ(q.kv_group(), 2);
  EXPECT_TRUE(q.qkv_bias);
  EXPECT_FALSE(q.o_bias);
  EXPECT_FALSE(q.tie_word_embeddings);
  EXPECT_TRUE(load_dense_config(fixture_dir("qwen2-tiny-tied").string()).tie_word_embeddings);
  DenseConfig l = load_dense_config(fixture_dir("llama-tiny").string());
  EXPECT_EQ(l.model_type, "llama");
  EXPECT_FALSE(l.qkv_bias);
  EXPECT_FALSE(l.o_bias);
  EXPECT_EQ(l.rope_scaling.type, DenseRopeType::Llama3);
  EXPECT_EQ(l.rope_scaling.original_max_position, 64);
  EXPECT_DOUBLE_EQ(l.rms_norm_eps, 1e-5);
}

// llama-tiny's 8 frequencies (theta 10000, head_dim 16; factor 8, low 1, high 4, original 64): wavelengths 6.3
// (kept), 19.9 and 62.8 (blended), 199 and up (divided by 8) — checked against the formula in double.
TEST(DenseConfig, Llama3Frequencies) {
  RopeFrequencies r = dense_rope_frequencies(load_dense_config(fixture_dir("llama-tiny").string()));
  ASSERT_EQ(r.half_dim(), 8);
  for (int i = 0; i < 8; i++) {
    const double f = std::pow(10000.0, -2.0 * i / 16), wl = 2 * M_PI / f;
    double want = f;
    if (wl > 64)
      want = f / 8;
    else if (wl >= 16) {
      const double s = (64 / wl - 1) / (4 - 1);
      want = (1 - s) * f / 8 + s * f;
    }
    EXPECT_NEAR(r.freqs()[size_t(i)], want, 1e-6 * want) << i;
  }
  EXPECT_EQ(r.freqs()[0], 1.0f);
  EXPECT_LT(r.freqs()[1], std::pow(10000.0f, -2.0f / 16));  // blended: between f/8 and f
  EXPECT_GT(r.freqs()[1], std::pow(10000.0f, -2.0f / 16) / 8);
  EXPECT_FLOAT_EQ(r.freqs()[3], std::pow(10000.0f, -6.0f / 16) / 8);

  // No rope_scaling: plain theta^(-2i/d); "linear": divided by factor.
  DenseConfig c = load_dense_config(fixture_dir("qwen2-tiny").string());
  EXPECT_EQ(dense_rope_frequencies(c).freqs(), RopeFrequencies(16, 1e6).freqs());
  json j = read_json(fixture_dir("qwen2-tiny") / "config.json");
  j["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}};
  RopeFrequencies lin = dense_rope_frequencies(parse_dense_config(j, "cfg.json"));
  for (int i = 0; i < 8; i++) EXPECT_FLOAT_EQ(lin.freqs()[size_t(i)], RopeFrequencies(16, 1e6).freqs()[size_t(i)] / 4);
}

// The published R1-Distill configs parse, and count the published sizes (1.78B and 8.03B parameters).
TEST(DenseConfig, PublishedR1DistillConfigs) {
  DenseConfig q = parse_dense_config(r1_distill_qwen_1_5b(), "qwen-1.5b");
  EXPECT_EQ(q.head_dim, 128);
  EXPECT_EQ(q.kv_group(), 6);
  EXPECT_EQ(q.eos_token_ids, std::vector<int64_t>{151643});
  EXPECT_NEAR(double(count_params(q).total) / 1e9, 1.777, 0.005);
  DenseConfig l = parse_dense_config(r1_distill_llama_8b(), "llama-8b");
  EXPECT_EQ(l.head_dim, 128);
  EXPECT_EQ(l.rope_scaling.type, DenseRopeType::Llama3);
  EXPECT_NEAR(double(count_params(l).total) / 1e9, 8.03, 0.005);
  // Its 64 frequencies: the short wavelengths kept, the long ones divided by 8.
  RopeFrequencies r = dense_rope_frequencies(l), plain(128, 500000.0);
  EXPECT_EQ(r.freqs()[0], plain.freqs()[0]);
  EXPECT_FLOAT_EQ(r.freqs()[63], plain.freqs()[63] / 8);
}

// The parameter count equals what the fixtures' checkpoints hold (tied: no lm_head.weight in the file).
TEST(DenseConfig, ParamCountMatchesCheckpoints) {
  for (const char* name : {"qwen2-tiny", "qwen2-tiny-tied", "llama-tiny"}) {
    Checkpoint ck = Checkpoint::open(fixture_dir(name).string());
    int64_t stored = 0;
    for (const auto& n : ck.names()) stored += ck.get(n).numel();
    EXPECT_EQ(count_params(load_dense_config(fixture_dir(name).string())).total, stored) << name;
  }
}

TEST(DenseConfig, EosAsList) {
  json j = r1_distill_llama_8b();
  j["eos_token_id"] = {128001, 128008, 128009};
  DenseConfig c = parse_dense_config(j, "cfg.json");
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));
  j.erase("eos_token_id");
  EXPECT_TRUE(parse_dense_config(j, "cfg.json").eos_token_ids.empty());
  j["eos_token_id"] = nullptr;
  EXPECT_TRUE(parse_dense_config(j, "cfg.json").eos_token_ids.empty());
}

TEST(DenseConfig, BadValuesNameTheirField) {
  const json q = r1_distill_qwen_1_5b(), l = r1_distill_llama_8b();
  auto with = [](json c, const char* k, json v) {
    c[k] = v;
    return c;
  };
  auto without = [](json c, const char* k) {
    c.erase(k);
    return c;
  };
  expect_config_error(with(q, "model_type", "mistral"), {"cfg.json", "model_type", "mistral"});
  expect_config_error(with(q, "hidden_size", -3), {"hidden_size", "positive"});
  expect_config_error(with(q, "hidden_size", "big"), {"hidden_size", "integer"});
  expect_config_error(without(q, "vocab_size"), {"vocab_size", "missing"});
  expect_config_error(without(q, "intermediate_size"), {"intermediate_size", "missing"});
  expect_config_error(with(q, "num_attention_heads", 10), {"num_attention_heads", "hidden_size", "divide"});
  expect_config_error(with(q, "num_key_value_heads", 5), {"num_key_value_heads", "num_attention_heads", "divide"});
  expect_config_error(with(q, "num_key_value_heads", 0), {"num_key_value_heads", "positive"});
  expect_config_error(with(q, "head_dim", 63), {"head_dim", "even"});
  expect_config_error(with(q, "hidden_act", "gelu"), {"hidden_act", "gelu"});
  expect_config_error(with(q, "use_sliding_window", true), {"use_sliding_window", "sliding-window"});
  expect_config_error(with(q, "rms_norm_eps", 0), {"rms_norm_eps", "positive"});
  expect_config_error(with(q, "rope_theta", -1), {"rope_theta", "positive"});
  expect_config_error(with(q, "max_position_embeddings", 0), {"max_position_embeddings", "positive"});
  expect_config_error(with(q, "tie_word_embeddings", "yes"), {"tie_word_embeddings", "true or false"});
  expect_config_error(with(q, "eos_token_id", 151936), {"eos_token_id", "151936", "vocabulary"});
  expect_config_error(with(q, "eos_token_id", json::array()), {"eos_token_id", "empty"});
  expect_config_error(with(q, "eos_token_id", json::array({1, "x"})), {"eos_token_id", "integer"});
  expect_config_error(with(q, "bos_token_id", 999999), {"bos_token_id", "vocabulary"});
  expect_config_error(with(q, "quantization_config", {{"quant_method", "awq"}}), {"quantization_config"});
  expect_config_error(with(l, "mlp_bias", true), {"mlp_bias"});
  expect_config_error(with(l, "rope_scaling", 3), {"rope_scaling", "object"});
  json rs = l["rope_scaling"];
  auto scaling = [&](const char* k, json v) {
    json s = rs;
    if (v.is_null())
      s.erase(k);
    else
      s[k] = v;
    return with(l, "rope_scaling", s);
  };
  expect_config_error(scaling("rope_type", "yarn"), {"rope_scaling", "rope_type", "yarn", "llama3"});
  expect_config_error(scaling("rope_type", "dynamic"), {"rope_type", "dynamic"});
  expect_config_error(scaling("low_freq_factor", nullptr), {"rope_scaling", "low_freq_factor", "missing"});
  expect_config_error(scaling("original_max_position_embeddings", nullptr),
                      {"rope_scaling", "original_max_position_embeddings", "missing"});
  expect_config_error(scaling("high_freq_factor", 0.5), {"high_freq_factor", "low_freq_factor"});
  expect_config_error(scaling("factor", -8), {"factor", "positive"});
  // The older spelling "type" is read too.
  json old = rs;
  old.erase("rope_type");
  old["type"] = "su";
  expect_config_error(with(l, "rope_scaling", old), {"rope_scaling", "type", "su"});
  old["type"] = "llama3";
  EXPECT_EQ(parse_dense_config(with(l, "rope_scaling", old), "cfg.json").rope_scaling.type, DenseRopeType::Llama3);
  // Llama biases follow attention_bias: q/k/v and o together.
  DenseConfig b = parse_dense_config(with(l, "attention_bias", true), "cfg.json");
  EXPECT_TRUE(b.qkv_bias && b.o_bias);
}

// A checkpoint that does not match its config: errors name the tensor (and the folder).
TEST(DenseModel, CheckpointErrorsNameTheTensor) {
  json c = read_json(fixture_dir("qwen2-tiny") / "config.json");
  json more_layers = c;
  more_layers["num_hidden_layers"] = 3;
  fs::path d1 = edited_fixture("qwen2-tiny", "layers", more_layers);
  expect_error([&] { load_model(d1.string()); }, {"model.layers.2.input_layernorm.weight"});
  json wider = c;
  wider["intermediate_size"] = 96;
  fs::path d2 = edited_fixture("qwen2-tiny", "inter", wider);
  expect_error([&] { load_model(d2.string()); }, {"model.layers.0.mlp.gate_proj.weight", "96"});
  // qwen2-tiny's weights read as llama: no biases expected, everything loads; as llama with attention_bias,
  // the o_proj bias is missing.
  json llama = c;
  llama["model_type"] = "llama";
  llama["attention_bias"] = true;
  fs::path d3 = edited_fixture("qwen2-tiny", "obias", llama);
  expect_error([&] { load_model(d3.string()); }, {"model.layers.0.self_attn.o_proj.bias"});
  // Tied config over an untied file is fine (lm_head.weight unused); untied over a tied file misses lm_head.
  json untied = read_json(fixture_dir("qwen2-tiny-tied") / "config.json");
  untied["tie_word_embeddings"] = false;
  fs::path d4 = edited_fixture("qwen2-tiny-tied", "untied", untied);
  expect_error([&] { load_model(d4.string()); }, {"lm_head.weight"});
  for (const fs::path& d : {d1, d2, d3, d4}) fs::remove_all(d);
  // An unknown model_type names the supported ones.
  json unknown = c;
  unknown["model_type"] = "mistral";
  fs::path d5 = edited_fixture("qwen2-tiny", "unknown", unknown);
  expect_error([&] { load_model(d5.string()); }, {"model_type", "mistral", "qwen2", "llama"});
  fs::remove_all(d5);
}
