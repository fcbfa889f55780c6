// The safetensors writer against the reference writer (tools/reference/safetensors_io.py, fixtures made by
// tools/reference/make_safetensors_fixture.py): the same tensors give the same bytes, with and without the f32 ->
// bf16 conversion (torch's rounding), and the reference's files read back to the closed-form values.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.h"
#include "formats/safetensors.h"
#include "formats/safetensors_write.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

const fs::path kFixture = fs::path(SEEK_SOURCE_DIR) / "tests/fixtures/safetensors-write";

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  EXPECT_TRUE(f.good()) << p;
  return std::string(std::istreambuf_iterator<char>(f), {});
}

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("seek-stw-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

template <class T>
Tensor make(DType dt, Shape shape, const std::vector<T>& v) {
  Tensor t = Tensor::empty(dt, shape);
  EXPECT_EQ(size_t(t.numel()), v.size());
  EXPECT_EQ(dtype_size(dt), sizeof(T));
  if (!v.empty()) std::memcpy(t.data, v.data(), t.nbytes());
  return t;
}

std::vector<float> seq(int n, double a, double b) {  // i * a + b
  std::vector<float> r;
  for (int i = 0; i < n; i++) r.push_back(float(i * a + b));
  return r;
}

const std::vector<uint32_t> kRoundBits = {0x3F808000, 0x3F818000, 0x3F808001, 0x3F807FFF,
                                          0x7F7FFFFF, 0x80000000, 0x00000001, 0xFF800000};

// The tensors of the fixture, from the closed forms in make_safetensors_fixture.py, deliberately not in name order.
std::vector<std::pair<std::string, Tensor>> fixture_tensors() {
  std::vector<uint16_t> bf, hf;
  for (float x : seq(7, 0.5, -1.5)) bf.push_back(f32_to_bf16(x));
  for (float x : seq(6, 0.125, -0.25)) hf.push_back(f32_to_f16(x));
  std::vector<float> round;
  for (uint32_t b : kRoundBits) round.push_back(f32_from_bits(b));
  return {
      {"round.f32", make(DType::F32, {8}, round)},
      {"a.f32", make(DType::F32, {3, 5}, seq(15, 0.25, -1.5))},
      {"b.bf16", make(DType::BF16, {7}, bf)},
      {"c.f16", make(DType::F16, {2, 3}, hf)},
      {"d.i64", make(DType::I64, {4}, std::vector<int64_t>{-3, 0, int64_t(1) << 40, INT64_MAX})},
      {"e.i32", make(DType::I32, {2, 2}, std::vector<int32_t>{-7, 2, 100000, INT32_MIN})},
      {"f.u8", make(DType::U8, {3}, std::vector<uint8_t>{0, 127, 255})},
      {"g.i8", make(DType::I8, {3}, std::vector<int8_t>{-128, 0, 127})},
      {"h.f8", make(DType::E4M3, {4}, std::vector<uint8_t>{0x00, 0x38, 0x7e, 0xfe})},
      {"scalar", make(DType::F32, {}, std::vector<float>{3.5f})},
      {"empty", make(DType::F32, {0, 4}, std::vector<float>{})},
      {"z\xc3\xa9.\xc3\xbc", make(DType::F32, {2}, std::vector<float>{1.f, -1.f})},
      {"x\"q\\\t\xf0\x9f\x98\x80", make(DType::F32, {1}, std::vector<float>{42.f})},
  };
}

const std::map<std::string, std::string> kMetadata = {{"format", "pt"},
                                                      {"note",
                                                       "\xc3\xbc"
                                                       "n\xc3\xaf"
                                                       "code \"q\""}};

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype == b.dtype && a.shape == b.shape && std::memcmp(a.data, b.data, a.nbytes()) == 0;
}

}  // namespace

TEST(SafetensorsWrite, ByteIdenticalToReferenceWriter) {
  fs::path d = temp_dir("ident");
  SafetensorsWriteOptions o;
  o.metadata = kMetadata;
  save_safetensors((d / "x.safetensors").string(), fixture_tensors(), o);
  std::string ours = read_bytes(d / "x.safetensors"), ref = read_bytes(kFixture / "reference.safetensors");
  ASSERT_FALSE(ref.empty());
  EXPECT_EQ(ours.size(), ref.size());
  EXPECT_TRUE(ours == ref) << "header ours: " << ours.substr(8, 200) << "\nheader ref:  " << ref.substr(8, 200);
  EXPECT_FALSE(fs::exists(d / "x.safetensors.tmp"));
  fs::remove_all(d);
}

TEST(SafetensorsWrite, Bf16ConversionByteIdenticalToTorch) {
  fs::path d = temp_dir("bf16");
  SafetensorsWriteOptions o;
  o.metadata = kMetadata;
  o.f32_to_bf16 = true;
  save_safetensors((d / "x.safetensors").string(), fixture_tensors(), o);
  EXPECT_TRUE(read_bytes(d / "x.safetensors") == read_bytes(kFixture / "reference_bf16.safetensors"));
  SafetensorsFile f = SafetensorsFile::open((d / "x.safetensors").string());
  EXPECT_EQ(f.tensor("a.f32").dtype, DType::BF16);
  EXPECT_EQ(f.tensor("d.i64").dtype, DType::I64);  // only F32 is converted
  const uint16_t* r = f.tensor("round.f32").ptr<uint16_t>();
  // Ties to even, up, down, overflow to inf, -0, denormal to 0, -inf.
  std::vector<uint16_t> want = {0x3f80, 0x3f82, 0x3f81, 0x3f80, 0x7f80, 0x8000, 0x0000, 0xff80};
  for (size_t i = 0; i < want.size(); i++) EXPECT_EQ(r[i], want[i]) << i;
  fs::remove_all(d);
}

TEST(SafetensorsWrite, ReferenceFileReadsBackToClosedForm) {
  SafetensorsFile f = SafetensorsFile::open((kFixture / "reference.safetensors").string());
  auto want = fixture_tensors();
  EXPECT_EQ(f.names().size(), want.size());
  for (auto& [name, t] : want) {
    ASSERT_TRUE(f.has(name)) << name;
    EXPECT_TRUE(same_bytes(f.tensor(name), t)) << name;
  }
  EXPECT_EQ(f.metadata(), kMetadata);
  EXPECT_FLOAT_EQ(f.tensor("a.f32").f32()[14], 2.0f);
  EXPECT_EQ(f.tensor("d.i64").ptr<int64_t>()[3], INT64_MAX);
}

TEST(SafetensorsWrite, RoundTripRandomTensors) {
  std::mt19937 rng(7);
  std::vector<std::pair<std::string, Tensor>> ts;
  const DType dts[] = {DType::F32, DType::BF16, DType::F16, DType::I64, DType::I32, DType::U8};
  for (int i = 0; i < 30; i++) {
    Shape s;
    int nd = int(rng() % 4);
    for (int k = 0; k < nd; k++) s.push_back(int64_t(rng() % 9));
    Tensor t = Tensor::empty(dts[rng() % 6], s);
    for (size_t b = 0; b < t.nbytes(); b++) static_cast<uint8_t*>(t.data)[b] = uint8_t(rng());
    std::string name = "t";
    name += std::to_string((i * 7919) % 30);
    ts.push_back({name, t});
  }
  fs::path d = temp_dir("rt");
  std::string path = (d / "r.safetensors").string();
  save_safetensors(path, ts);  // no metadata: no __metadata__ entry
  std::string bytes = read_bytes(path);
  uint64_t hlen = 0;
  std::memcpy(&hlen, bytes.data(), 8);
  EXPECT_EQ(hlen % 8, 0u);
  EXPECT_EQ(bytes.find("__metadata__"), std::string::npos);
  SafetensorsFile f = SafetensorsFile::open(path);
  EXPECT_TRUE(f.metadata().empty());
  for (auto& [name, t] : ts) EXPECT_TRUE(same_bytes(f.tensor(name), t)) << name;
  fs::remove_all(d);
}

TEST(SafetensorsWrite, LargeBf16ConversionInPieces) {
  // More than one conversion piece (1M elements), values checked against the scalar conversion.
  const int64_t n = (int64_t(1) << 20) + 123;
  Tensor t = Tensor::empty(DType::F32, {n});
  for (int64_t i = 0; i < n; i++) t.f32()[i] = float(std::sin(double(i))) * 3.0f;
  fs::path d = temp_dir("big");
  SafetensorsWriteOptions o;
  o.f32_to_bf16 = true;
  save_safetensors((d / "b.safetensors").string(), {{"w", t}}, o);
  SafetensorsFile f = SafetensorsFile::open((d / "b.safetensors").string());
  const uint16_t* r = f.tensor("w").ptr<uint16_t>();
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) bad += r[i] != f32_to_bf16(t.f32()[i]);
  EXPECT_EQ(bad, 0);
  fs::remove_all(d);
}

TEST(SafetensorsWrite, BadInputIsAClearError) {
  fs::path d = temp_dir("bad");
  std::string path = (d / "x.safetensors").string();
  Tensor t = Tensor::zeros(DType::F32, {2});
  auto msg = [&](const std::vector<std::pair<std::string, Tensor>>& ts) {
    try {
      save_safetensors(path, ts);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg({{"a", t}, {"a", t}}).find("duplicate tensor name 'a'"), std::string::npos);
  EXPECT_NE(msg({{"__metadata__", t}}).find("reserved"), std::string::npos);
  EXPECT_NE(msg({{"bad\xff", t}}).find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(msg({{"overlong\xc0\xaf", t}}).find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(msg({{"", t}}).find("empty name"), std::string::npos);
  EXPECT_EQ(msg({{"a", t}}).find(path), std::string::npos) << "a good write reports nothing";
  // Nothing is left behind by the failed writes, and the good one is in place.
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  std::string missing = (d / "no/such/dir/x.safetensors").string();
  try {
    save_safetensors(missing, {{"a", t}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir/x.safetensors.tmp: cannot create"), std::string::npos)
        << e.what();
  }
  fs::remove_all(d);
}

TEST(SafetensorsWrite, HeaderMatchesWhatIsWritten) {
  fs::path d = temp_dir("hdr");
  SafetensorsWriteOptions o;
  o.metadata = kMetadata;
  save_safetensors((d / "x.safetensors").string(), fixture_tensors(), o);
  std::string bytes = read_bytes(d / "x.safetensors");
  std::string h = safetensors_header(fixture_tensors(), o);
  EXPECT_EQ(bytes.substr(8, h.size()), h);
  fs::remove_all(d);
}
