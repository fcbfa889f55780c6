// Config parsing: the published DeepSeek-V3 config gives the published parameter counts and attention constants,
// and every bad value is an error naming its field.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "model/config.h"
#include "model/deepseek.h"
#include "model/schema.h"
#include "model/rope.h"

using namespace seek;
using json = nlohmann::json;

namespace {
json v3_config() {
  std::ifstream f(std::string(SEEK_SOURCE_DIR) + "/tests/data/deepseek-v3-config.json");
  return json::parse(f);
}

// Parsing `j` must fail with a message that contains every one of `needles`.
void expect_error(const json& j, std::initializer_list<const char*> needles) {
  try {
    parse_deepseek_config(j, "cfg.json");
    ADD_FAILURE() << "accepted: " << j.dump();
  } catch (const Error& e) {
    std::string m = e.what();
    for (const char* n : needles) EXPECT_NE(m.find(n), std::string::npos) << "message: " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
  }
}
}  // namespace

TEST(Config, PublishedV3ParameterCounts) {
  DeepSeekConfig c = parse_deepseek_config(v3_config(), "v3");
  ParamCounts p = count_params(c);
  // DeepSeek-V3 technical report: 671B total, 37B activated per token; MTP module: 11.5B unique parameters;
  // 685B on the hub = 671B + 14B MTP (with its copies of embedding and head). Counting every weight a token
  // touches (embedding row table, head, all attention, 3 dense FFNs, 8 routed + 1 shared expert in 58 MoE layers)
  // gives 37.55B; the weights README's "36.7B including embedding and head" is one embedding table (0.93B) less.
  EXPECT_NEAR(double(p.total) / 1e9, 671.0, 1.0);
  EXPECT_NEAR(double(p.active) / 1e9, 37.0, 0.6);
  EXPECT_NEAR(double(p.embedding) / 1e9, 0.93, 0.01);
  EXPECT_NEAR(double(p.mtp) / 1e9, 11.5, 0.3);
  EXPECT_NEAR(double(p.total + p.mtp + p.embedding + p.head) / 1e9, 685.0, 1.5);
}

TEST(Config, PublishedV3AttentionConstants) {
  DeepSeekConfig c = parse_deepseek_config(v3_config(), "v3");
  // Spec §1.4: 192^-0.5 * (0.1 ln 40 + 1)^2 = 0.1352338
  EXPECT_NEAR(c.softmax_scale(), 0.1352338, 1e-6);
  // Spec §1.5: YaRN keeps frequencies 0..10 and divides 23..31 by 40.
  RopeFrequencies r(c);
  RopeFrequencies plain(64, 10000);
  for (int i = 0; i <= 10; i++) EXPECT_FLOAT_EQ(r.freqs()[size_t(i)], plain.freqs()[size_t(i)]) << i;
  for (int i = 23; i < 32; i++) EXPECT_FLOAT_EQ(r.freqs()[size_t(i)], plain.freqs()[size_t(i)] / 40) << i;
  EXPECT_LT(r.freqs()[16], plain.freqs()[16]);
  EXPECT_GT(r.freqs()[16], plain.freqs()[16] / 40);
}

TEST(Config, BadValuesNameTheirField) {
  json j = v3_config();
  auto with = [&](const char* k, json v) {
    json c = j;
    c[k] = v;
    return c;
  };
  expect_error(with("model_type", "llama"), {"cfg.json", "model_type", "llama"});
  expect_error(with("hidden_size", -3), {"hidden_size", "positive"});
  expect_error(with("hidden_size", "big"), {"hidden_size", "integer"});
  expect_error(with("n_group", 7), {"n_group", "divide"});
  expect_error(with("topk_group", 9), {"topk_group"});
  expect_error(with("num_experts_per_tok", 300), {"num_experts_per_tok", "n_routed_experts"});
  expect_error(with("scoring_func", "relu"), {"scoring_func", "relu"});
  expect_error(with("topk_method", "fancy"), {"topk_method", "fancy"});
  expect_error(with("qk_rope_head_dim", 63), {"qk_rope_head_dim", "even"});
  expect_error(with("first_k_dense_replace", 100), {"first_k_dense_replace"});
  expect_error(with("norm_topk_prob", false), {"norm_topk_prob"});
  expect_error(with("hidden_act", "gelu"), {"hidden_act"});
  expect_error(with("rms_norm_eps", 0), {"rms_norm_eps"});
  json c = j;
  c.erase("kv_lora_rank");
  expect_error(c, {"kv_lora_rank", "missing"});
  c = j;
  c["rope_scaling"]["type"] = "dynamic";
  expect_error(c, {"rope_scaling", "type", "dynamic"});
  c = j;
  c["rope_scaling"].erase("factor");
  expect_error(c, {"factor", "missing"});
  c = j;
  c["quantization_config"]["weight_block_size"] = {128, 64};
  expect_error(c, {"weight_block_size"});
  c = j;
  c["quantization_config"]["quant_method"] = "gptq";
  expect_error(c, {"quant_method", "gptq"});
}

TEST(Config, V2LiteStyleDefaults) {
  json j = v3_config();
  j["model_type"] = "deepseek_v2";
  j["q_lora_rank"] = nullptr;
  j["scoring_func"] = "softmax";
  j["topk_method"] = "greedy";
  j["n_group"] = 1;
  j["topk_group"] = 1;
  j["norm_topk_prob"] = false;
  j.erase("quantization_config");
  DeepSeekConfig c = parse_deepseek_config(j, "v2");
  EXPECT_EQ(c.q_lora_rank, 0);
  EXPECT_FALSE(c.uses_selection_bias());
  EXPECT_FALSE(c.renormalize_topk());
  EXPECT_FALSE(c.fp8_weights);
}
