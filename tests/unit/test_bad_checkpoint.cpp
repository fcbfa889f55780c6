// Bad checkpoints and bad input: each gives one seek::Error, on one line, naming the file, tensor or field at fault.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "formats/safetensors.h"
#include "model/deepseek.h"
#include "model/synthetic.h"

using namespace seek;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

json tiny_config() {
  std::ifstream f(std::string(SEEK_SHARED_DIR) + "/fixtures/deepseek-v3-tiny/config.json");
  return json::parse(f);
}

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
void write_bytes(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// A fresh copy of a small valid model in its own folder.
fs::path fresh_model(const std::string& name, SyntheticOptions opt = {}) {
  fs::path dir = fs::temp_directory_path() / ("seek-bad-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  write_synthetic_checkpoint(dir.string(), tiny_config(), opt);
  return dir;
}

// Splits a safetensors file into its header JSON and data section.
struct Parts {
  json header;
  std::string data;
};
Parts split(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | uint8_t(bytes[size_t(i)]);
  return {json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}
std::string join(const json& header, const std::string& data) {
  std::string h = header.dump();
  std::string out(8, '\0');
  for (int i = 0; i < 8; i++) out[size_t(i)] = char((h.size() >> (8 * i)) & 0xff);
  return out + h + data;
}

template <class F>
void expect_error(F&& f, std::initializer_list<std::string> needles) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    std::string m = e.what();
    for (auto& n : needles) EXPECT_NE(m.find(n), std::string::npos) << "missing '" << n << "' in: " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

}  // namespace

TEST(BadCheckpoint, ValidModelLoads) {
  fs::path d = fresh_model("valid");
  auto m = DeepSeekModel::load(d.string());
  KVCache cache = m->new_cache(AttnForm::Absorb);
  std::vector<float> logits(256);
  int32_t t = 5;
  ForwardOptions opt;
  m->forward(&t, 1, cache, opt, logits.data());
  for (float v : logits) EXPECT_TRUE(std::isfinite(v));
  fs::remove_all(d);
}

TEST(BadCheckpoint, TruncatedFile) {
  fs::path d = fresh_model("trunc");
  fs::path f = d / "model.safetensors";
  std::string bytes = read_bytes(f);
  // Cut inside the length prefix, inside the header, and inside the data.
  for (size_t cut : {size_t(3), size_t(100), bytes.size() / 2, bytes.size() - 1}) {
    write_bytes(f, bytes.substr(0, cut));
    expect_error([&] { DeepSeekModel::load(d.string()); }, {"model.safetensors"});
  }
  fs::remove_all(d);
}

TEST(BadCheckpoint, CorruptHeader) {
  fs::path d = fresh_model("corrupt");
  fs::path f = d / "model.safetensors";
  std::string bytes = read_bytes(f);
  std::string broken = bytes;
  broken[12] = '\x01';  // inside the JSON header
  write_bytes(f, broken);
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"model.safetensors", "header"});
  fs::remove_all(d);
}

TEST(BadCheckpoint, HeaderLiesAboutOffsets) {
  fs::path d = fresh_model("lies");
  fs::path f = d / "model.safetensors";
  Parts p = split(read_bytes(f));
  json h = p.header;
  auto& e = h["model.norm.weight"];
  e["data_offsets"][1] = p.data.size() + 1000;  // past the end
  write_bytes(f, join(h, p.data));
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"model.norm.weight", "past"});
  h = p.header;
  h["model.norm.weight"]["data_offsets"] = h["lm_head.weight"]["data_offsets"];  // aliasing another tensor
  h["model.norm.weight"]["shape"] = h["lm_head.weight"]["shape"];
  write_bytes(f, join(h, p.data));
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"overlap"});
  h = p.header;
  h["model.norm.weight"]["shape"] = {3};  // byte count does not match the shape
  write_bytes(f, join(h, p.data));
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"model.norm.weight", "bytes", "[3]"});
  fs::remove_all(d);
}

TEST(BadCheckpoint, UnknownDtype) {
  fs::path d = fresh_model("dtype");
  fs::path f = d / "model.safetensors";
  Parts p = split(read_bytes(f));
  p.header["model.norm.weight"]["dtype"] = "F64";
  write_bytes(f, join(p.header, p.data));
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"model.norm.weight", "F64"});
  fs::remove_all(d);
}

TEST(BadCheckpoint, MissingTensor) {
  fs::path d = fresh_model("missing");
  fs::path f = d / "model.safetensors";
  Parts p = split(read_bytes(f));
  p.header.erase("model.layers.1.mlp.experts.3.up_proj.weight");
  write_bytes(f, join(p.header, p.data));
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"model.layers.1.mlp.experts.3.up_proj.weight", "missing"});
  fs::remove_all(d);
}

TEST(BadCheckpoint, WrongShape) {
  fs::path d = fresh_model("shape");
  json c = tiny_config();
  c["kv_lora_rank"] = 16;  // the weights were written for 32
  std::string s = c.dump();
  write_bytes(d / "config.json", s);
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"kv_a_proj_with_mqa.weight", "shape", "expected"});
  fs::remove_all(d);
}

TEST(BadCheckpoint, Fp8WithoutScales) {
  SyntheticOptions o;
  o.dtype = DType::E4M3;
  fs::path d = fresh_model("fp8", o);
  ASSERT_NO_THROW(DeepSeekModel::load(d.string()));
  fs::path f = d / "model.safetensors";
  Parts p = split(read_bytes(f));
  p.header.erase("model.layers.0.self_attn.o_proj.weight_scale_inv");
  write_bytes(f, join(p.header, p.data));
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"model.layers.0.self_attn.o_proj.weight_scale_inv"});
  fs::remove_all(d);
}

TEST(BadCheckpoint, BadConfigValue) {
  fs::path d = fresh_model("config");
  json c = tiny_config();
  c["n_group"] = 3;
  write_bytes(d / "config.json", c.dump());
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"config.json", "n_group"});
  write_bytes(d / "config.json", "{ not json");
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"config.json", "JSON"});
  fs::remove_all(d);
}

TEST(BadCheckpoint, ShardIndexProblems) {
  SyntheticOptions o;
  o.shard_bytes = 200 << 10;
  fs::path d = fresh_model("shards", o);
  ASSERT_TRUE(fs::exists(d / "model.safetensors.index.json"));
  ASSERT_NO_THROW(DeepSeekModel::load(d.string()));
  json ix = json::parse(read_bytes(d / "model.safetensors.index.json"));
  std::string first = ix["weight_map"].begin().value();
  fs::remove(d / first);
  expect_error([&] { DeepSeekModel::load(d.string()); }, {first});
  fs::remove_all(d);
}

TEST(BadInput, TokenOutOfRange) {
  auto m = DeepSeekModel::load(std::string(SEEK_SHARED_DIR) + "/fixtures/deepseek-v3-tiny");
  KVCache cache = m->new_cache(AttnForm::Absorb);
  std::vector<float> logits(256 * 2);
  int32_t toks[2] = {5, 256};
  expect_error([&] { m->forward(toks, 2, cache, ForwardOptions{}, logits.data()); }, {"256", "out of range", "255"});
  EXPECT_EQ(cache.len(), 0);  // nothing was appended
  int32_t neg = -1;
  expect_error([&] { m->forward(&neg, 1, cache, ForwardOptions{}, logits.data()); }, {"-1"});
}

TEST(BadInput, NotAModelFolder) {
  expect_error([] { DeepSeekModel::load("/nonexistent/model"); }, {"/nonexistent/model"});
  fs::path d = fs::temp_directory_path() / ("seek-empty-" + std::to_string(::getpid()));
  fs::create_directories(d);
  write_bytes(d / "config.json", tiny_config().dump());
  expect_error([&] { DeepSeekModel::load(d.string()); }, {"model.safetensors"});
  fs::remove_all(d);
}
