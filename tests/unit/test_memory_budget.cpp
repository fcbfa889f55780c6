// The memory check before a model is allocated: a model that fits passes; one that does not is refused naming the
// field that makes it large, its parameter count and the bytes (parameters x bytes per parameter + working memory,
// computed here independently from the parameter formula written out by hand); a count beyond int64 is refused
// without being computed; the machine's memory is what /proc/meminfo says at most.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "model/config.h"
#include "model/deepseek.h"
#include "model/schema.h"
#include "train/memory_budget.h"

using namespace seek;
using json = nlohmann::json;

namespace {

json tiny_json() {
  return {{"model_type", "deepseek_v3"},  {"vocab_size", 300},           {"hidden_size", 48},
          {"intermediate_size", 96},      {"moe_intermediate_size", 24}, {"num_hidden_layers", 3},
          {"first_k_dense_replace", 1},   {"num_attention_heads", 2},    {"n_routed_experts", 4},
          {"num_experts_per_tok", 2},     {"kv_lora_rank", 16},          {"q_lora_rank", 24},
          {"qk_nope_head_dim", 16},       {"qk_rope_head_dim", 8},       {"v_head_dim", 16},
          {"max_position_embeddings", 64}};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const MemoryJob kTrain{"training", kTrainingBytesPerParam, "f32 weights, gradients and two AdamW moments", 0, ""};

}  // namespace

TEST(MemoryBudget, FitsOrNamesTheField) {
  const DeepSeekConfig c = parse_deepseek_config(tiny_json(), "t");
  // The tiny model's parameters written out: embedding + head + final norm, 3 layers of MLA + norms, one dense FFN,
  // two MoE layers of 4 experts (no shared expert) with the gate and its noaux_tc bias.
  const double attn = 24 * 48 + 24 + 2 * 24 * 24 + (16 + 8) * 48 + 16 + 2 * (16 + 16) * 16 + 48 * 2 * 16;
  const double params = 2 * 300 * 48 + 48 + 3 * (attn + 2 * 48) + 3 * 48 * 96 + 2 * (4 * 48 + 4 + 4 * 3 * 48 * 24);
  const ParamCounts pc = count_params(c);
  ASSERT_EQ(double(pc.total + pc.mtp), params);
  const double need = params * 16;
  EXPECT_NO_THROW(check_model_fits(c, kTrain, "t", need + 1));
  std::string e = error_of([&] { check_model_fits(c, kTrain, "t", need - 1); });
  EXPECT_NE(e.find("t: "), std::string::npos) << e;
  EXPECT_NE(e.find("this machine has"), std::string::npos) << e;
  EXPECT_NE(e.find(human_bytes(need)), std::string::npos) << e;

  // Which field: the one that is absurd.
  for (const auto& [field, value] : std::vector<std::pair<std::string, int64_t>>{
           {"num_hidden_layers", 1000000}, {"n_routed_experts", 1000000}, {"hidden_size", 100000000}}) {
    json j = tiny_json();
    j[field] = value;
    if (field == "num_hidden_layers") j["first_k_dense_replace"] = 1;
    const DeepSeekConfig big = parse_deepseek_config(j, "t");
    e = error_of([&] { check_model_fits(big, kTrain, "cfg.json", 64e9); });
    EXPECT_NE(e.find("cfg.json: " + field + " = " + std::to_string(value) + " makes a model of"), std::string::npos)
        << e;
  }
  // Working memory that is the whole problem is named as such.
  MemoryJob acts = kTrain;
  acts.working_bytes = 1e12;
  acts.working_note = "the activations of batch_size 100000 x seq_len 64";
  e = error_of([&] { check_model_fits(c, acts, "t", 64e9); });
  EXPECT_NE(e.find("the activations of batch_size 100000 x seq_len 64 need"), std::string::npos) << e;
}

TEST(MemoryBudget, BeyondWhatInt64CountsIsRefusedWithoutCounting) {
  json j = tiny_json();
  j["hidden_size"] = int64_t(1) << 30;
  j["moe_intermediate_size"] = int64_t(1) << 30;
  j["n_routed_experts"] = int64_t(1) << 20;
  j["num_experts_per_tok"] = 2;
  const DeepSeekConfig c = parse_deepseek_config(j, "t");  // 3 x 2^30 x 2^30 x 2^20 per layer: overflows int64
  const std::string e = error_of([&] { check_model_fits(c, kTrain, "t"); });
  // the bound (3 layers x 3 x 2^80 expert weights = 1.09e25), not a wrapped-around int64 count
  EXPECT_NE(e.find("a model of 1.09e+25 parameters"), std::string::npos) << e;
}

TEST(MemoryBudget, RawJsonWithAnAbsurdLayerCountIsRefusedBeforeParsing) {
  json j = tiny_json();
  j["num_hidden_layers"] = 1e15;  // parsing would walk 1e15 layers
  const std::string e = error_of([&] { check_model_json_fits(j, kTrain, "cfg.json"); });
  EXPECT_NE(e.find("cfg.json: num_hidden_layers = 1e+15"), std::string::npos) << e;
  EXPECT_NO_THROW(check_model_json_fits(tiny_json(), kTrain, "cfg.json"));
  EXPECT_NO_THROW(check_model_json_fits(json{{"num_hidden_layers", "many"}}, kTrain, "x"));  // left to the parser
}

TEST(MemoryBudget, MachineMemoryIsAtMostMemTotal) {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0;
  while (in >> key >> kb)
    if (key == "MemTotal:") break;
  ASSERT_GT(kb, 0);
  EXPECT_LE(machine_memory_bytes(), kb * 1024 * 1.01);
  EXPECT_GT(machine_memory_bytes(), 1e8);
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(3.5 * 1024 * 1024 * 1024), "3.5 GiB");
}
