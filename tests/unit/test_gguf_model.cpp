// GGUF models: the writer's files read back by the reader key by key and tensor by tensor; a model file's metadata
// becomes the config.json the dense or DeepSeek parser validates; the DeepSeek fixture through GGUF and back
// computes the official reference's logits; bad model files (unknown architecture, missing or misshapen
// tensors, unsupported types) give one clear Error naming the file and tensor. What the loaded models compute is
// checked against the PyTorch reference and llama.cpp in tests/oracle/gguf_models.mjs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/quant_blocks.h"
#include "formats/gguf.h"
#include "formats/gguf_write.h"
#include "model/gguf_convert.h"
#include "model/gguf_model.h"
#include "model/gguf_names.h"
#include "model/gguf_tensor_types.h"

using namespace seek;

namespace {

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("seek_gguf_model_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

GgufWriter::Fill floats(std::vector<float> v) {
  return [v](uint8_t* dst) { std::memcpy(dst, v.data(), v.size() * 4); };
}

// A 1-layer qwen2 with hidden 32 (2 heads of 16, 1 K/V head), vocab 8, every tensor f32 except `skip`.
void write_tiny_qwen2(const std::string& path, const std::string& arch = "qwen2", const std::string& skip = "",
                      int64_t q_rows = 32) {
  GgufWriter w;
  w.set_string("general.architecture", arch);
  w.set_u32(arch + ".block_count", 1);
  w.set_u32(arch + ".embedding_length", 32);
  w.set_u32(arch + ".feed_forward_length", 64);
  w.set_u32(arch + ".attention.head_count", 2);
  w.set_u32(arch + ".attention.head_count_kv", 1);
  w.set_u32(arch + ".context_length", 128);
  w.set_f32(arch + ".attention.layer_norm_rms_epsilon", 1e-6f);
  w.set_f32(arch + ".rope.freq_base", 10000.f);
  auto t = [&](const std::string& name, Shape shape) {
    if (name == skip) return;
    w.add_tensor(name, GgmlType::F32, shape, floats(std::vector<float>(size_t(shape_numel(shape)), 0.01f)));
  };
  t("token_embd.weight", {8, 32});
  t("blk.0.attn_norm.weight", {32});
  t("blk.0.attn_q.weight", {q_rows, 32});
  t("blk.0.attn_q.bias", {32});
  t("blk.0.attn_k.weight", {16, 32});
  t("blk.0.attn_k.bias", {16});
  t("blk.0.attn_v.weight", {16, 32});
  t("blk.0.attn_v.bias", {16});
  t("blk.0.attn_output.weight", {32, 32});
  t("blk.0.ffn_norm.weight", {32});
  t("blk.0.ffn_gate.weight", {64, 32});
  t("blk.0.ffn_up.weight", {64, 32});
  t("blk.0.ffn_down.weight", {32, 64});
  t("output_norm.weight", {32});
  w.write(path);
}

std::string load_error(const std::string& path) {
  try {
    load_model(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(GgufWrite, ReadsBackKeysAndTensors) {
  const std::string path = temp_path("rw.gguf");
  GgufWriter w;
  w.set_u32("a.u32", 7);
  w.set_i32("a.i32", -3);
  w.set_f32("a.f32", 0.5f);
  w.set_bool("a.bool", true);
  w.set_string("a.str", "héllo");
  w.set_strings("a.strs", {"x", "", "yz"});
  w.set_i32s("a.ints", {1, -2, 3});
  w.set_f32s("a.floats", {1.5f});
  EXPECT_THROW(w.set_u32("a.u32", 1), Error);
  w.add_tensor("m", GgmlType::F32, {2, 3}, floats({1, 2, 3, 4, 5, 6}));
  std::vector<float> row(64);
  for (int i = 0; i < 64; i++) row[size_t(i)] = float(i) / 7 - 4;
  std::vector<uint8_t> q(row_bytes(DType::Q8_0, 64));
  quantize_row(DType::Q8_0, row.data(), q.data(), 64);
  w.add_tensor("q", GgmlType::Q8_0, {1, 64}, [q](uint8_t* dst) { std::memcpy(dst, q.data(), q.size()); });
  EXPECT_THROW(w.add_tensor("bad", GgmlType::Q8_0, {1, 40}, floats({})), Error);  // 40 is not whole 32-blocks
  w.write(path);

  const GgufFile f = GgufFile::open(path);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.get_int("a.u32"), 7);
  EXPECT_EQ(f.get_int("a.i32"), -3);
  EXPECT_EQ(f.get_float("a.f32", 0), 0.5);
  EXPECT_TRUE(f.get_bool("a.bool", false));
  EXPECT_EQ(f.get_string("a.str"), "héllo");
  EXPECT_EQ(f.get_strings("a.strs"), (std::vector<std::string_view>{"x", "", "yz"}));
  EXPECT_EQ(f.get_ints("a.ints"), (std::vector<int64_t>{1, -2, 3}));
  Tensor m = f.tensor("m");
  EXPECT_EQ(m.shape, (Shape{2, 3}));
  EXPECT_EQ(m.f32()[5], 6.f);
  const GgufTensorInfo& qi = f.tensor_info("q");
  EXPECT_EQ(f.dtype(qi), DType::Q8_0);
  EXPECT_EQ(qi.dims, (std::vector<uint64_t>{64, 1}));
  EXPECT_EQ(0, std::memcmp(f.tensor_data(qi), q.data(), q.size()));
  EXPECT_EQ(f.data_offset() % 32, 0u);
}

// Every ggml block type seek reads maps to its DType, so files holding it load (llama.cpp's Q5_K_M files hold q5_1
// where rows are not whole 256-blocks), and the bytes read back dequantize to what was written; a type seek does
// not read is named, with the list of those it does.
TEST(GgufWrite, BlockTypesReadBackAsTheirDType) {
  const std::string path = temp_path("blocks.gguf");
  const struct {
    GgmlType ggml;
    DType dtype;
  } types[] = {{GgmlType::Q8_0, DType::Q8_0}, {GgmlType::Q4_0, DType::Q4_0}, {GgmlType::Q4_1, DType::Q4_1},
               {GgmlType::Q5_0, DType::Q5_0}, {GgmlType::Q5_1, DType::Q5_1}, {GgmlType::Q4_K, DType::Q4_K},
               {GgmlType::Q5_K, DType::Q5_K}, {GgmlType::Q6_K, DType::Q6_K}};
  std::vector<float> row(256);
  for (int i = 0; i < 256; i++) row[size_t(i)] = std::sin(float(i)) * 2 + 0.5f;
  GgufWriter w;
  std::vector<std::vector<uint8_t>> bytes;
  for (const auto& t : types) {
    bytes.emplace_back(row_bytes(t.dtype, 256));
    quantize_row(t.dtype, row.data(), bytes.back().data(), 256);
    w.add_tensor(dtype_name(t.dtype), t.ggml, {1, 256},
                 [q = bytes.back()](uint8_t* dst) { std::memcpy(dst, q.data(), q.size()); });
  }
  w.add_tensor("q8_1", GgmlType::Q8_1, {1, 32}, [](uint8_t* dst) { std::memset(dst, 0, 36); });
  w.write(path);

  const GgufFile f = GgufFile::open(path);
  for (size_t i = 0; i < std::size(types); i++) {
    const DType dt = types[i].dtype;
    const GgufTensorInfo& ti = f.tensor_info(dtype_name(dt));
    ASSERT_EQ(f.dtype(ti), dt) << dtype_name(dt);
    ASSERT_EQ(ti.nbytes, bytes[i].size()) << dtype_name(dt);
    std::vector<float> got(256), want(256);
    dequantize_row(dt, f.tensor_data(ti), got.data(), 256);
    dequantize_row(dt, bytes[i].data(), want.data(), 256);
    EXPECT_EQ(got, want) << dtype_name(dt);
  }
  try {
    f.dtype(f.tensor_info("q8_1"));
    ADD_FAILURE() << "q8_1 read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has type q8_1; seek reads f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1,"),
              std::string::npos)
        << e.what();
  }
}

TEST(GgufNames, HuggingFaceToGguf) {
  EXPECT_EQ(gguf_name_of("model.embed_tokens.weight"), "token_embd.weight");
  EXPECT_EQ(gguf_name_of("lm_head.weight"), "output.weight");
  EXPECT_EQ(gguf_name_of("model.layers.12.self_attn.k_proj.bias"), "blk.12.attn_k.bias");
  EXPECT_EQ(gguf_name_of("model.layers.0.post_attention_layernorm.weight"), "blk.0.ffn_norm.weight");
  EXPECT_EQ(gguf_name_of("model.layers.3.mlp.down_proj.weight"), "blk.3.ffn_down.weight");
  EXPECT_EQ(gguf_name_of("model.layers.3.mlp.experts.0.down_proj.weight"), "");
  EXPECT_EQ(gguf_name_of("model.layers.x"), "");
}

TEST(GgufNames, DeepSeek) {
  EXPECT_EQ(gguf_name_of("model.layers.2.self_attn.kv_a_proj_with_mqa.weight"), "blk.2.attn_kv_a_mqa.weight");
  EXPECT_EQ(gguf_name_of("model.layers.2.self_attn.q_a_layernorm.weight"), "blk.2.attn_q_a_norm.weight");
  EXPECT_EQ(gguf_name_of("model.layers.2.mlp.gate.weight"), "blk.2.ffn_gate_inp.weight");
  EXPECT_EQ(gguf_name_of("model.layers.2.mlp.gate.e_score_correction_bias"), "blk.2.exp_probs_b.bias");
  EXPECT_EQ(gguf_name_of("model.layers.2.mlp.shared_experts.down_proj.weight"), "blk.2.ffn_down_shexp.weight");
  EXPECT_EQ(gguf_name_of("model.layers.61.eh_proj.weight"), "blk.61.nextn.eh_proj.weight");
  EXPECT_EQ(gguf_name_of("model.layers.61.shared_head.head.weight"), "blk.61.nextn.shared_head_head.weight");
  const auto e = gguf_expert_of("model.layers.7.mlp.experts.255.up_proj.weight");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->stacked, "blk.7.ffn_up_exps.weight");
  EXPECT_EQ(e->expert, 255);
  EXPECT_FALSE(gguf_expert_of("model.layers.7.mlp.experts.x.up_proj.weight"));
  EXPECT_FALSE(gguf_expert_of("model.layers.7.mlp.shared_experts.up_proj.weight"));
  const auto kv = gguf_kv_b_split("model.layers.4.self_attn.kv_b_proj.weight");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->k_b, "blk.4.attn_k_b.weight");
  EXPECT_EQ(kv->v_b, "blk.4.attn_v_b.weight");
  EXPECT_FALSE(gguf_kv_b_split("model.layers.4.self_attn.o_proj.weight"));
}

// The official reference's logits for the V3 fixture, from the GGUF files seek writes (f32: exact; q8_0: close) and
// from the folder converted back. llama.cpp running the same files is tests/oracle/gguf_models.mjs.
TEST(GgufModel, DeepSeekFixtureBothWays) {
  const std::string dir = std::string(SEEK_SHARED_DIR) + "/fixtures/deepseek-v3-tiny";
  std::ifstream js(dir + "/expected.json");
  const auto j = nlohmann::json::parse(js);
  std::vector<int32_t> tokens;
  for (auto& t : j["tokens"]) tokens.push_back(t.get<int32_t>());
  std::ifstream bin(dir + "/expected_logits.f32", std::ios::binary);
  std::vector<float> expected(tokens.size() * 256);
  bin.read(reinterpret_cast<char*>(expected.data()), std::streamsize(expected.size() * 4));
  auto logits = [&](const std::string& model) {
    auto m = load_model(model);
    std::vector<float> out(expected.size());
    auto cache = m->new_sequence(AttnForm::Absorb);
    m->forward(tokens.data(), int64_t(tokens.size()), *cache, ForwardOptions{}, out.data());
    return out;
  };
  auto max_diff = [&](const std::vector<float>& a) {
    float d = 0;
    for (size_t i = 0; i < a.size(); i++) d = std::max(d, std::abs(a[i] - expected[i]));
    return d;
  };
  auto quiet = [](const std::string&) {};
  const std::string f32 = temp_path("v3.f32.gguf"), q8 = temp_path("v3.q8_0.gguf"), back = temp_path("v3.back");
  convert_hf_to_gguf(dir, f32, "f32", quiet);
  convert_hf_to_gguf(dir, q8, "q8_0", quiet);
  const GgufFile f = GgufFile::open(q8);
  EXPECT_EQ(f.dtype(f.tensor_info("blk.1.ffn_up_exps.weight")), DType::Q8_0);
  EXPECT_EQ(f.tensor_info("blk.1.ffn_up_exps.weight").dims, (std::vector<uint64_t>{64, 32, 16}));
  EXPECT_EQ(f.dtype(f.tensor_info("blk.1.ffn_gate_inp.weight")), DType::F32);  // the router stays f32
  EXPECT_EQ(f.dtype(f.tensor_info("blk.1.attn_k_b.weight")), DType::F16);      // rows of 16: not whole blocks
  EXPECT_EQ(f.tensor_info("blk.1.attn_k_b.weight").dims, (std::vector<uint64_t>{16, 32, 4}));
  EXPECT_LT(max_diff(logits(f32)), 1e-5f);
  // q8_0 moves the logits by its rounding, and where a random router's top scores are close, by a different choice
  // of experts too (measured: relative RMS 0.147, identical to llama.cpp's own q8_0 of the file, which the oracle
  // test checks); bounded here so that a misread block would show
  const std::vector<float> q = logits(q8);
  double d2 = 0, r2 = 0;
  for (size_t i = 0; i < q.size(); i++)
    d2 += (q[i] - expected[i]) * (q[i] - expected[i]), r2 += expected[i] * expected[i];
  EXPECT_GT(max_diff(q), 1e-4f);  // really quantized
  EXPECT_LT(std::sqrt(d2 / r2), 0.2);
  convert_gguf_to_hf(f32, back, "f32", quiet);
  EXPECT_LT(max_diff(logits(back)), 1e-5f);
}

TEST(GgufModel, DeepSeekRoutingWithoutGgufFormIsRefused) {
  const std::string dir = std::string(SEEK_SOURCE_DIR) + "/tests/fixtures/v2-grouped";
  try {
    convert_hf_to_gguf(dir, temp_path("grouped.gguf"), "f32", [](const std::string&) {});
    FAIL() << "converted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json: topk_method 'group_limited_greedy'"), std::string::npos)
        << e.what();
  }
}

TEST(GgufModel, LoadsAndNamesWhatIsWrong) {
  const std::string ok = temp_path("ok.gguf");
  write_tiny_qwen2(ok);
  EXPECT_TRUE(is_gguf_file(ok));
  auto m = load_model(ok);
  EXPECT_EQ(m->vocab_size(), 8);
  const nlohmann::json cfg = gguf_hf_config(GgufFile::open(ok));
  EXPECT_EQ(cfg["model_type"], "qwen2");
  EXPECT_EQ(cfg["num_key_value_heads"], 1);
  EXPECT_EQ(cfg["tie_word_embeddings"], true);  // no output.weight: the head is the embedding

  const std::string arch = temp_path("arch.gguf");
  write_tiny_qwen2(arch, "gpt2");
  EXPECT_NE(load_error(arch).find("architecture 'gpt2' is not supported"), std::string::npos) << load_error(arch);
  const std::string ds = temp_path("ds.gguf");  // a deepseek2 file without MLA's keys
  write_tiny_qwen2(ds, "deepseek2");
  EXPECT_NE(load_error(ds).find("deepseek2.attention.kv_lora_rank"), std::string::npos) << load_error(ds);
  const std::string missing = temp_path("missing.gguf");
  write_tiny_qwen2(missing, "qwen2", "blk.0.ffn_up.weight");
  EXPECT_NE(load_error(missing).find("missing tensor 'blk.0.ffn_up.weight' (model.layers.0.mlp.up_proj.weight)"),
            std::string::npos)
      << load_error(missing);
  const std::string shape = temp_path("shape.gguf");
  write_tiny_qwen2(shape, "qwen2", "", 31);
  EXPECT_NE(load_error(shape).find("'blk.0.attn_q.weight' (model.layers.0.self_attn.q_proj.weight) has shape [31, 32]"),
            std::string::npos)
      << load_error(shape);
}

// The per-tensor type rules (model/gguf_tensor_types.h); that they are llama.cpp's is checked file against file by
// tests/oracle/gguf_models.mjs and gguf_deepseek.mjs (seek's own quantization computes what llama.cpp's does).
TEST(GgufTensorTypes, ChoosesAsLlamaCppsQuantizer) {
  GgufTensorTypes dense("q4_K_M", 24, 0, true);
  EXPECT_EQ(dense.file_type(), 15u);
  EXPECT_EQ(dense.choose("blk.0.attn_norm.weight", {896}, false), DType::F32);
  EXPECT_EQ(dense.choose("output.weight", {151936, 896}, false), DType::Q8_0);  // 896 is not whole 256-blocks
  EXPECT_EQ(dense.choose("output.weight", {151936, 1024}, false), DType::Q6_K);
  EXPECT_EQ(dense.choose("token_embd.weight", {151936, 1024}, false), DType::Q4_K);
  EXPECT_EQ(dense.choose("blk.0.attn_v.weight", {128, 1024}, false), DType::Q6_K);      // first eighth
  EXPECT_EQ(dense.choose("blk.3.attn_v.weight", {128, 1024}, false), DType::Q4_K);      // (3 - 3) % 3 != 2
  EXPECT_EQ(dense.choose("blk.5.ffn_down.weight", {1024, 4864}, false), DType::Q6_K);   // (5 - 3) % 3 == 2
  EXPECT_EQ(dense.choose("blk.23.ffn_down.weight", {1024, 4864}, false), DType::Q6_K);  // last eighth
  EXPECT_EQ(dense.choose("blk.4.ffn_up.weight", {4864, 896}, false), DType::Q5_0);      // fallback
  EXPECT_EQ(dense.choose("blk.4.ffn_up.weight", {4864, 1000}, false), DType::F16);      // not whole 32-blocks either
  EXPECT_EQ(dense.fallbacks(), 2);            // the head's q8_0 is its own rule, not a fallback
  GgufTensorTypes moe("q4_K_M", 4, 8, true);  // exactly 8 experts: the bumps
  EXPECT_EQ(moe.choose("blk.1.attn_kv_b.weight", {512, 256}, false), DType::Q8_0);
  EXPECT_EQ(moe.choose("blk.1.attn_output.weight", {256, 256}, false), DType::Q5_K);
  EXPECT_EQ(moe.choose("blk.1.ffn_gate_inp.weight", {8, 256}, false), DType::F32);
  EXPECT_EQ(moe.choose("blk.1.ffn_gate_exps.weight", {8, 256, 256}, false), DType::Q4_K);
  GgufTensorTypes q5("q5_K_M", 4, 8, true);
  EXPECT_EQ(q5.choose("blk.1.attn_output.weight", {256, 256}, false), DType::Q5_K);
  EXPECT_EQ(q5.choose("blk.1.attn_k_b.weight", {2, 256, 128}, false), DType::Q5_1);
  GgufTensorTypes q4("q4_0", 4, 0, false);  // tied head: the embedding is the head
  EXPECT_EQ(q4.choose("token_embd.weight", {512, 256}, false), DType::Q6_K);
  EXPECT_EQ(q4.choose("blk.0.attn_q.weight", {256, 256}, true), DType::F32);  // keep_f32
  GgufTensorTypes q8("q8_0", 4, 0, true);
  EXPECT_EQ(q8.choose("output.weight", {512, 256}, false), DType::Q8_0);
  EXPECT_THROW(GgufTensorTypes("q3_K_M", 4, 0, true), Error);
}

// deepseek2 tensors that are not one-to-one: an expert is a slice of its layer's stacked tensor, read in place; a
// split kv_b_proj is joined back; what does not fit is an Error naming the GGUF tensor and the Hugging Face one.
TEST(GgufModel, DeepSeekStackedAndSplitTensors) {
  const std::string path = temp_path("ds_parts.gguf");
  GgufWriter w;
  std::vector<float> exps(4 * 3 * 32), kb(2 * 8 * 4), vb(2 * 5 * 8);
  for (size_t i = 0; i < exps.size(); i++) exps[i] = float(i);
  for (size_t i = 0; i < kb.size(); i++) kb[i] = float(i) / 8;
  for (size_t i = 0; i < vb.size(); i++) vb[i] = -float(i);
  w.add_tensor("blk.1.ffn_up_exps.weight", GgmlType::F32, {4, 3, 32}, floats(exps));
  w.add_tensor("blk.1.attn_k_b.weight", GgmlType::F32, {2, 8, 4}, floats(kb));  // [H, kv_lora, nope]
  w.add_tensor("blk.1.attn_v_b.weight", GgmlType::F32, {2, 5, 8}, floats(vb));  // [H, v, kv_lora]
  w.add_tensor("blk.2.attn_k_b.weight", GgmlType::F32, {2, 8, 4}, floats(kb));
  w.add_tensor("blk.2.attn_v_b.weight", GgmlType::F32, {2, 6, 8}, floats(std::vector<float>(2 * 6 * 8)));
  w.write(path);
  GgufWeights src(GgufFile::open(path));
  auto spec = [](const std::string& name, Shape shape) {
    TensorSpec s;
    s.name = name;
    s.shape = std::move(shape);
    return s;
  };
  const Linear e2 = src.matrix(spec("model.layers.1.mlp.experts.2.up_proj.weight", {3, 32}));
  std::vector<float> row(32);
  e2.w.row_f32(1, row.data(), false);
  EXPECT_EQ(row[0], float((2 * 3 + 1) * 32));
  auto error_of = [&](const TensorSpec& s) -> std::string {
    try {
      src.matrix(s);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of(spec("model.layers.1.mlp.experts.4.up_proj.weight", {3, 32})).find("no expert 4"),
            std::string::npos);
  EXPECT_NE(error_of(spec("model.layers.1.mlp.experts.0.up_proj.weight", {3, 16})).find("has shape [4, 3, 32]"),
            std::string::npos);
  EXPECT_NE(error_of(spec("model.layers.1.mlp.experts.0.gate_proj.weight", {3, 32}))
                .find("missing tensor 'blk.1.ffn_gate_exps.weight' (model.layers.1.mlp.experts.0.gate_proj.weight)"),
            std::string::npos);
  // kv_b_proj [H*(nope+v), kv_lora] = [2*(4+5), 8]: head h's row i < nope is column i of k_b[h], then v_b[h]'s rows
  const Linear kv = src.matrix(spec("model.layers.1.self_attn.kv_b_proj.weight", {18, 8}));
  std::vector<float> r8(8);
  kv.w.row_f32(9 + 2, r8.data(), false);  // head 1, nope row 2
  for (int j = 0; j < 8; j++) EXPECT_EQ(r8[size_t(j)], kb[size_t((1 * 8 + j) * 4 + 2)]);
  kv.w.row_f32(9 + 4 + 3, r8.data(), false);  // head 1, v row 3
  for (int j = 0; j < 8; j++) EXPECT_EQ(r8[size_t(j)], vb[size_t((1 * 5 + 3) * 8 + j)]);
  EXPECT_NE(error_of(spec("model.layers.2.self_attn.kv_b_proj.weight", {18, 8})).find("'blk.2.attn_v_b.weight'"),
            std::string::npos)
      << error_of(spec("model.layers.2.self_attn.kv_b_proj.weight", {18, 8}));
}
