// GGUF reading and GGUF tokenizers.
// - The GGUF tokenizer test vectors of the shared data folder for the deepseek-llm and deepseek-coder vocabularies:
//   the expected ids were produced by the reference tokenizer from the original tokenizer.json files.
// - A GGUF file built here byte by byte from the format description, read back value by value.
// - Malformed files (every truncation, corrupted counts, types, offsets, random byte flips) must give seek::Error.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "formats/gguf.h"
#include "text/tokenizer/tokenizer.h"

using namespace seek;

namespace {

const std::string kVocabDir = std::string(SEEK_SHARED_DIR) + "/data/llama.cpp-vocab-tests/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("seek_gguf_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

struct VocabCase {
  std::string text;
  std::vector<int32_t> ids;
};

// The .inp file is every test string followed by "\n__ggml_vocab_test__\n"; the .out file has one line per
// string: its ids, each preceded by a space (an empty line for the empty string).
std::vector<VocabCase> read_cases(const std::string& name) {
  const std::string inp = slurp(kVocabDir + name + ".inp");
  const std::string out = slurp(kVocabDir + name + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<VocabCase> cases;
  size_t pos = 0;
  while (true) {
    size_t next = inp.find(sep, pos);
    if (next == std::string::npos) break;
    cases.push_back({inp.substr(pos, next - pos), {}});
    pos = next + sep.size();
  }
  EXPECT_EQ(pos, inp.size()) << "text after the last separator in " << name << ".inp";
  std::istringstream lines(out);
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line)) {
    if (i >= cases.size()) {
      ADD_FAILURE() << name << ".out has more lines than there are test strings";
      break;
    }
    std::istringstream nums(line);
    int32_t id;
    while (nums >> id) cases[i].ids.push_back(id);
    i++;
  }
  EXPECT_EQ(i, cases.size()) << name << ": line count of .out differs from the number of strings in .inp";
  return cases;
}

std::string ids_str(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    s += ' ';
    s += std::to_string(id);
  }
  return s;
}

void check_vocab(const std::string& name, size_t expected_cases) {
  GgufFile g = GgufFile::open(kVocabDir + name);
  Tokenizer tok = Tokenizer::from_gguf(g);
  std::vector<VocabCase> cases = read_cases(name);
  ASSERT_EQ(cases.size(), expected_cases);
  for (const VocabCase& c : cases) {
    EXPECT_EQ(ids_str(tok.encode(c.text)), ids_str(c.ids)) << "text: \"" << c.text << "\"";
    EXPECT_EQ(ids_str(tok.encode(c.text, true)), ids_str(c.ids)) << "text: \"" << c.text << "\"";
  }
}

}  // namespace

TEST(gguf_vocab, DeepseekLlmMatchesReferenceIds) { check_vocab("ggml-vocab-deepseek-llm.gguf", 46); }

TEST(gguf_vocab, DeepseekCoderMatchesReferenceIds) { check_vocab("ggml-vocab-deepseek-coder.gguf", 46); }

TEST(gguf_vocab, TokenizerMetadata) {
  GgufFile g = GgufFile::open(kVocabDir + "ggml-vocab-deepseek-llm.gguf");
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.get_string("tokenizer.ggml.pre"), "deepseek-llm");
  EXPECT_EQ(g.get_int("llama.vocab_size"), 102400);
  EXPECT_TRUE(g.tensors().empty());
  Tokenizer tok = Tokenizer::from_gguf(g);
  EXPECT_EQ(tok.vocab_size(), 102400);
  EXPECT_EQ(tok.bos_id(), 100000);
  EXPECT_EQ(tok.eos_id(), 100001);
  EXPECT_TRUE(tok.add_bos);
  EXPECT_EQ(tok.token_text(100000), "<｜begin▁of▁sentence｜>");
  EXPECT_EQ(tok.token_id("<｜end▁of▁sentence｜>"), 100001);
  EXPECT_TRUE(tok.is_special(100001));
  // Control tokens are matched only when asked; user-defined ones always.
  EXPECT_EQ(tok.encode("<｜end▁of▁sentence｜>", true), std::vector<int32_t>{100001});
  EXPECT_GT(tok.encode("<｜end▁of▁sentence｜>", false).size(), 1u);
  EXPECT_EQ(tok.decode(tok.encode("Hello world! 3.14 中文")), "Hello world! 3.14 中文");
}

// ---------------------------------------------------------------- a GGUF file built by hand

namespace {

// Writes GGUF fields exactly as the format describes them (little-endian; strings are u64 length + bytes).
struct Writer {
  std::string b;
  void u8(uint8_t v) { b.push_back(char(v)); }
  void u32(uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
  void u64(uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
  void f32(float v) { b.append(reinterpret_cast<const char*>(&v), 4); }
  void str(const std::string& s) {
    u64(s.size());
    b += s;
  }
  void key(const std::string& k, uint32_t type) {
    str(k);
    u32(type);
  }
  void pad(size_t align) {
    while (b.size() % align) b.push_back('\0');
  }
};

constexpr uint32_t kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kStr = 8, kArr = 9,
                   kU64 = 10, kI64 = 11, kF64 = 12;

// Offsets of interesting fields, for the corruption tests.
struct Built {
  std::string bytes;
  size_t tensor_count_at, kv_count_at, first_key_len_at, array_count_at, value_type_at, ndims_at, ggml_type_at,
      offset_at, bool_at;
};

Built build_gguf() {
  Built r;
  Writer w;
  w.b.append("GGUF", 4);
  w.u32(3);
  r.tensor_count_at = w.b.size();
  w.u64(2);
  r.kv_count_at = w.b.size();
  w.u64(16);
  r.first_key_len_at = w.b.size();
  w.key("general.architecture", kStr);
  w.str("deepseek2");
  w.key("a.u8", kU8);
  w.u8(200);
  w.key("a.i8", kI8);
  w.u8(uint8_t(-5));
  w.key("a.u16", kU16);
  w.b.append("\x34\x12", 2);
  w.key("a.i16", kI16);
  w.b.append("\xfe\xff", 2);
  w.key("a.u32", kU32);
  w.u32(4000000000u);
  r.value_type_at = w.b.size() - 4 - 4;  // the type field of a.u32 (before its 4-byte value)
  w.key("a.i32", kI32);
  w.u32(uint32_t(-123456));
  w.key("a.f32", kF32);
  w.f32(1.5f);
  w.key("a.bool", kBool);
  r.bool_at = w.b.size();
  w.u8(1);
  w.key("a.u64", kU64);
  w.u64(1ull << 40);
  w.key("a.i64", kI64);
  w.u64(uint64_t(-7));
  w.key("a.f64", kF64);
  double d = -2.25;
  w.b.append(reinterpret_cast<const char*>(&d), 8);
  w.key("a.strings", kArr);
  w.u32(kStr);
  r.array_count_at = w.b.size();
  w.u64(3);
  w.str("x");
  w.str("");
  w.str("héllo");
  w.key("a.ints", kArr);
  w.u32(kI32);
  w.u64(3);
  w.u32(1);
  w.u32(uint32_t(-2));
  w.u32(3);
  w.key("a.nested", kArr);
  w.u32(kArr);
  w.u64(2);
  w.u32(kU8);
  w.u64(2);
  w.u8(7);
  w.u8(8);
  w.u32(kF32);
  w.u64(1);
  w.f32(0.25f);
  w.key("general.alignment", kU32);
  w.u32(64);
  // tensors: a [2, 3] f32 (GGUF dims 3, 2) and a [4] f16
  w.str("w.f32");
  r.ndims_at = w.b.size();
  w.u32(2);
  w.u64(3);
  w.u64(2);
  r.ggml_type_at = w.b.size();
  w.u32(0);
  r.offset_at = w.b.size();
  w.u64(0);
  w.str("w.f16");
  w.u32(1);
  w.u64(4);
  w.u32(1);
  w.u64(64);
  w.pad(64);
  for (int i = 0; i < 6; i++) w.f32(float(i) + 0.5f);
  w.pad(64);
  for (float v : {1.0f, -2.0f, 0.5f, 65504.0f}) {
    uint16_t h = f32_to_f16(v);
    w.b.append(reinterpret_cast<const char*>(&h), 2);
  }
  r.bytes = w.b;
  return r;
}

template <class T>
void put(std::string& b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof(T));
}

// Opening must throw seek::Error whose message names the file and contains `phrase`.
void expect_bad(const std::string& bytes, const std::string& phrase, const std::string& name = "bad.gguf") {
  std::string path = temp_path(name);
  write_bytes(path, bytes);
  try {
    GgufFile::open(path);
    ADD_FAILURE() << "no error for a file that should be rejected (" << phrase << ")";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(phrase), std::string::npos) << "expected '" << phrase << "' in: " << msg;
  }
}

}  // namespace

TEST(gguf, ReadsEveryValueType) {
  Built b = build_gguf();
  std::string path = temp_path("good.gguf");
  write_bytes(path, b.bytes);
  GgufFile g = GgufFile::open(path);
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 64u);
  EXPECT_EQ(g.metadata().size(), 16u);
  EXPECT_EQ(g.get_string("general.architecture"), "deepseek2");
  EXPECT_EQ(g.get_int("a.u8"), 200);
  EXPECT_EQ(g.get_int("a.i8"), -5);
  EXPECT_EQ(g.get_int("a.u16"), 0x1234);
  EXPECT_EQ(g.get_int("a.i16"), -2);
  EXPECT_EQ(g.get_int("a.u32"), 4000000000ll);
  EXPECT_EQ(g.get_int("a.i32"), -123456);
  EXPECT_EQ(g.get_float("a.f32", 0), 1.5);
  EXPECT_TRUE(g.get_bool("a.bool", false));
  EXPECT_EQ(g.get_int("a.u64"), 1ll << 40);
  EXPECT_EQ(g.get_int("a.i64"), -7);
  EXPECT_EQ(g.get_float("a.f64", 0), -2.25);
  EXPECT_EQ(g.get_strings("a.strings"), (std::vector<std::string_view>{"x", "", "héllo"}));
  EXPECT_EQ(g.get_ints("a.ints"), (std::vector<int64_t>{1, -2, 3}));
  const auto& nested = g.get("a.nested").elements("a.nested");
  ASSERT_EQ(nested.size(), 2u);
  EXPECT_EQ(nested[0].to_ints("n0"), (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(nested[1].to_floats("n1"), (std::vector<double>{0.25}));
  EXPECT_EQ(g.get_int("missing", 42), 42);
  EXPECT_THROW(g.get_string("a.u8"), Error);  // wrong type
  EXPECT_THROW(g.get_int("missing"), Error);

  ASSERT_EQ(g.tensors().size(), 2u);
  const GgufTensorInfo& t0 = g.tensor_info("w.f32");
  EXPECT_EQ(t0.dims, (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(t0.nbytes, 24u);
  Tensor a = g.tensor("w.f32");
  EXPECT_EQ(a.dtype, DType::F32);
  EXPECT_EQ(a.shape, (Shape{2, 3}));
  for (int i = 0; i < 6; i++) EXPECT_EQ(a.f32()[i], float(i) + 0.5f);
  Tensor h = g.tensor("w.f16").to_f32();
  EXPECT_EQ(h.shape, (Shape{4}));
  EXPECT_EQ(h.f32()[1], -2.0f);
  EXPECT_EQ(h.f32()[3], 65504.0f);
  EXPECT_THROW(g.tensor("nope"), Error);

  // Version 2 has the same layout.
  std::string v2 = b.bytes;
  v2[4] = 2;
  write_bytes(path, v2);
  EXPECT_EQ(GgufFile::open(path).version(), 2u);
  EXPECT_EQ(GgufFile::open(path).get_string("general.architecture"), "deepseek2");
}

TEST(gguf, EveryTruncationIsAnError) {
  Built b = build_gguf();
  std::string path = temp_path("trunc.gguf");
  // Every cut inside the header and metadata; through the tensor table and data, every third byte.
  for (size_t n = 0; n < b.bytes.size(); n += n < 400 ? 1 : 3) {
    write_bytes(path, b.bytes.substr(0, n));
    EXPECT_THROW(GgufFile::open(path), Error) << "truncated to " << n << " bytes";
  }
}

TEST(gguf, TruncatedVocabFilesAreErrors) {
  const std::string full = slurp(kVocabDir + "ggml-vocab-deepseek-coder.gguf");
  std::string path = temp_path("trunc_vocab.gguf");
  write_bytes(path, full);
  const uint64_t end_of_metadata = GgufFile::open(path).data_offset() - 32;  // before any trailing padding
  std::mt19937 rng(7);
  std::vector<size_t> cuts = {0, 3, 4, 7, 8, 15, 16, 23, 24, 30, 40};
  for (int i = 0; i < 100; i++) cuts.push_back(size_t(rng() % end_of_metadata));
  for (size_t n : cuts) {
    write_bytes(path, full.substr(0, n));
    EXPECT_THROW(GgufFile::open(path), Error) << "truncated to " << n << " bytes";
  }
}

TEST(gguf, CorruptFieldsNameTheProblem) {
  const Built b = build_gguf();
  auto with = [&](auto edit) {
    std::string s = b.bytes;
    edit(s);
    return s;
  };
  expect_bad(with([](std::string& s) { s[0] = 'X'; }), "bad magic");
  expect_bad(with([](std::string& s) { put<uint32_t>(s, 4, 1); }), "version 1");
  expect_bad(with([](std::string& s) { put<uint32_t>(s, 4, 4); }), "unsupported GGUF version 4");
  expect_bad(with([&](std::string& s) { put<uint64_t>(s, b.tensor_count_at, 1ull << 60); }), "tensor count");
  expect_bad(with([&](std::string& s) { put<uint64_t>(s, b.kv_count_at, ~0ull); }), "metadata count");
  expect_bad(with([&](std::string& s) { put<uint64_t>(s, b.kv_count_at, 17); }), "");  // reads a tensor name as a key
  expect_bad(with([&](std::string& s) { put<uint64_t>(s, b.first_key_len_at, 1ull << 62); }), "truncated");
  expect_bad(with([&](std::string& s) { put<uint64_t>(s, b.array_count_at, 1ull << 61); }), "element count");
  expect_bad(with([&](std::string& s) { put<uint32_t>(s, b.value_type_at, 13); }), "unknown value type 13");
  expect_bad(with([&](std::string& s) { s[b.bool_at] = 2; }), "not 0 or 1");
  expect_bad(with([&](std::string& s) { put<uint32_t>(s, b.ndims_at, 5); }), "5 dimensions");
  expect_bad(with([&](std::string& s) { put<uint32_t>(s, b.ggml_type_at, 4); }), "unknown tensor type 4");
  expect_bad(with([&](std::string& s) { put<uint32_t>(s, b.ggml_type_at, 2); }), "block size");  // q4_0 needs 32 | dim
  expect_bad(with([&](std::string& s) { put<uint64_t>(s, b.offset_at, 3); }), "not a multiple of the alignment");
  expect_bad(with([&](std::string& s) { put<uint64_t>(s, b.offset_at, 1ull << 40); }), "past the end");
  expect_bad(with([&](std::string& s) { put<uint64_t>(s, b.ndims_at + 4, 1ull << 62); }), "");
  // general.alignment of 48 is not a power of two (its value is the last 4 bytes before the tensor infos).
  expect_bad(with([&](std::string& s) { put<uint32_t>(s, b.ndims_at - 8 - 5 - 4, 48); }), "power of two");
  // A duplicated key: rename a.i8 to a.u8.
  expect_bad(with([](std::string& s) { s[s.find("a.i8")] = 'a', s[s.find("a.i8") + 2] = 'u'; }),
             "duplicate metadata key");
  expect_bad("", "bad magic", "empty.gguf");
}

TEST(gguf, RandomCorruptionNeverCrashes) {
  const Built b = build_gguf();
  std::string path = temp_path("fuzz.gguf");
  std::mt19937 rng(1234);
  int rejected = 0;
  for (int it = 0; it < 800; it++) {
    std::string s = b.bytes;
    int flips = 1 + int(rng() % 4);
    for (int k = 0; k < flips; k++) {
      size_t at = rng() % s.size();
      s[at] = char(rng() % 4 == 0 ? 0xff : rng());
    }
    write_bytes(path, s);
    try {
      GgufFile g = GgufFile::open(path);
      for (const auto& t : g.tensors()) {
        if (t.type == 0 || t.type == 1) (void)g.tensor(t.name).to_f32();
      }
    } catch (const Error&) {
      rejected++;
    }
  }
  EXPECT_GT(rejected, 50);
}

TEST(gguf, TokenizerKeysAreChecked) {
  // A GGUF whose tokenizer keys are broken in different ways; each must be an Error naming the key.
  auto make = [](const std::string& model, bool with_merges, const std::string& bad_merge, const std::string& pre) {
    Writer w;
    w.b.append("GGUF", 4);
    w.u32(3);
    w.u64(0);
    w.u64(3 + (with_merges ? 1 : 0) + (pre.empty() ? 0 : 1));
    w.key("tokenizer.ggml.model", kStr);
    w.str(model);
    w.key("tokenizer.ggml.tokens", kArr);
    w.u32(kStr);
    w.u64(3);
    w.str("a");
    w.str("b");
    w.str("ab");
    w.key("tokenizer.ggml.token_type", kArr);
    w.u32(kI32);
    w.u64(3);
    for (int i = 0; i < 3; i++) w.u32(1);
    if (with_merges) {
      w.key("tokenizer.ggml.merges", kArr);
      w.u32(kStr);
      w.u64(1);
      w.str(bad_merge);
    }
    if (!pre.empty()) {
      w.key("tokenizer.ggml.pre", kStr);
      w.str(pre);
    }
    return w.b;
  };
  auto expect_tok_error = [](const std::string& bytes, const std::string& phrase) {
    std::string path = temp_path("tok.gguf");
    write_bytes(path, bytes);
    try {
      Tokenizer::from_gguf(GgufFile::open(path));
      ADD_FAILURE() << "no error; expected " << phrase;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    }
  };
  expect_tok_error(make("llama", true, "a b", "deepseek-v3"), "tokenizer.ggml.model 'llama'");
  expect_tok_error(make("gpt2", false, "", "deepseek-v3"), "tokenizer.ggml.merges");
  expect_tok_error(make("gpt2", true, "a c", "deepseek-v3"), "tokenizer.ggml.merges[0]");
  expect_tok_error(make("gpt2", true, "ab", "deepseek-v3"), "tokenizer.ggml.merges[0]");
  expect_tok_error(make("gpt2", true, "a b", "no-such-pre"), "tokenizer.ggml.pre 'no-such-pre'");
  // And the well-formed one works.
  std::string path = temp_path("tok_ok.gguf");
  write_bytes(path, make("gpt2", true, "a b", "deepseek-v3"));
  Tokenizer t = Tokenizer::from_gguf(GgufFile::open(path));
  EXPECT_EQ(t.encode("ab"), std::vector<int32_t>{2});
  EXPECT_EQ(t.encode("ba"), (std::vector<int32_t>{1, 0}));
}
