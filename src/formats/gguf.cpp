#include "formats/gguf.h"

#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/mapped_file.h"

namespace seek {

namespace {

constexpr uint32_t kMaxDims = 4;   // the format's limit on tensor dimensions
constexpr int kMaxArrayDepth = 8;  // arrays of arrays of ...: deeper is surely corrupt
constexpr uint64_t kMaxAlignment = 1u << 30;

size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::BOOL: return 1;
    case GgufType::U16:
    case GgufType::I16: return 2;
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::F32: return 4;
    case GgufType::U64:
    case GgufType::I64:
    case GgufType::F64: return 8;
    default: return 0;
  }
}

bool known_type(uint32_t t) { return t <= uint32_t(GgufType::F64); }

bool is_integer(GgufType t) {
  switch (t) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::U16:
    case GgufType::I16:
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::U64:
    case GgufType::I64: return true;
    default: return false;
  }
}

// Widens raw little-endian bits of an integer type to int64 (sign-extending signed types). For U64 values
// above INT64_MAX the caller must check `bits` itself.
int64_t widen(GgufType t, uint64_t bits) {
  switch (t) {
    case GgufType::I8: return int8_t(bits);
    case GgufType::I16: return int16_t(bits);
    case GgufType::I32: return int32_t(bits);
    default: return int64_t(bits);
  }
}

uint64_t load_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);  // the format is little-endian, as is every machine this runs on
  return v;
}

}  // namespace

const char* gguf_type_name(GgufType t) {
  static const char* const names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                      "bool", "string", "array", "u64", "i64", "f64"};
  uint32_t i = uint32_t(t);
  return i < sizeof(names) / sizeof(names[0]) ? names[i] : "unknown";
}

bool ggml_type_info(uint32_t type, const char** name, uint32_t* block_elems, uint32_t* block_bytes) {
  struct Info {
    uint32_t type;
    const char* name;
    uint32_t elems, bytes;
  };
  static const Info table[] = {
      {0, "f32", 1, 4},         {1, "f16", 1, 2},         {2, "q4_0", 32, 18},      {3, "q4_1", 32, 20},
      {6, "q5_0", 32, 22},      {7, "q5_1", 32, 24},      {8, "q8_0", 32, 34},      {9, "q8_1", 32, 36},
      {10, "q2_K", 256, 84},    {11, "q3_K", 256, 110},   {12, "q4_K", 256, 144},   {13, "q5_K", 256, 176},
      {14, "q6_K", 256, 210},   {15, "q8_K", 256, 292},   {16, "iq2_xxs", 256, 66}, {17, "iq2_xs", 256, 74},
      {18, "iq3_xxs", 256, 98}, {19, "iq1_s", 256, 50},   {20, "iq4_nl", 32, 18},   {21, "iq3_s", 256, 110},
      {22, "iq2_s", 256, 82},   {23, "iq4_xs", 256, 136}, {24, "i8", 1, 1},         {25, "i16", 1, 2},
      {26, "i32", 1, 4},        {27, "i64", 1, 8},        {28, "f64", 1, 8},        {29, "iq1_m", 256, 56},
      {30, "bf16", 1, 2},       {34, "tq1_0", 256, 54},   {35, "tq2_0", 256, 66},   {39, "mxfp4", 32, 17},
  };
  for (const Info& i : table) {
    if (i.type != type) continue;
    if (name) *name = i.name;
    if (block_elems) *block_elems = i.elems;
    if (block_bytes) *block_bytes = i.bytes;
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- GgufValue

int64_t GgufValue::to_int(const std::string& what) const {
  if (type_ == GgufType::BOOL) return bits_ ? 1 : 0;
  if (!is_integer(type_)) throw Error(what + ": expected an integer, found " + gguf_type_name(type_));
  if (type_ == GgufType::U64 && bits_ > uint64_t(std::numeric_limits<int64_t>::max()))
    throw Error(what + ": value " + std::to_string(bits_) + " is too large");
  return widen(type_, bits_);
}

uint64_t GgufValue::to_uint(const std::string& what) const {
  if (type_ == GgufType::U64) return bits_;
  int64_t v = to_int(what);
  if (v < 0) throw Error(what + ": expected a non-negative integer, found " + std::to_string(v));
  return uint64_t(v);
}

double GgufValue::to_float(const std::string& what) const {
  if (type_ == GgufType::F32) {
    float f;
    uint32_t b = uint32_t(bits_);
    std::memcpy(&f, &b, 4);
    return f;
  }
  if (type_ == GgufType::F64) {
    double d;
    std::memcpy(&d, &bits_, 8);
    return d;
  }
  if (is_integer(type_)) return type_ == GgufType::U64 ? double(bits_) : double(widen(type_, bits_));
  throw Error(what + ": expected a number, found " + gguf_type_name(type_));
}

bool GgufValue::to_bool(const std::string& what) const {
  if (type_ == GgufType::BOOL) return bits_ != 0;
  throw Error(what + ": expected a bool, found " + gguf_type_name(type_));
}

std::string_view GgufValue::to_string(const std::string& what) const {
  if (type_ == GgufType::STRING) return str_;
  throw Error(what + ": expected a string, found " + gguf_type_name(type_));
}

std::vector<std::string_view> GgufValue::to_strings(const std::string& what) const {
  if (type_ != GgufType::ARRAY || elem_type_ != GgufType::STRING) throw Error(what + ": expected an array of strings");
  return strings_;
}

std::vector<int64_t> GgufValue::to_ints(const std::string& what) const {
  if (type_ != GgufType::ARRAY || !(is_integer(elem_type_) || elem_type_ == GgufType::BOOL))
    throw Error(what + ": expected an array of integers");
  size_t es = scalar_size(elem_type_);
  std::vector<int64_t> out(count_);
  for (size_t i = 0; i < count_; i++) {
    uint64_t bits = load_le(data_ + i * es, es);
    if (elem_type_ == GgufType::U64 && bits > uint64_t(std::numeric_limits<int64_t>::max()))
      throw Error(what + ": element " + std::to_string(i) + " is too large");
    out[i] = widen(elem_type_, bits);
  }
  return out;
}

std::vector<double> GgufValue::to_floats(const std::string& what) const {
  if (type_ != GgufType::ARRAY || scalar_size(elem_type_) == 0 || elem_type_ == GgufType::BOOL)
    throw Error(what + ": expected an array of numbers");
  size_t es = scalar_size(elem_type_);
  std::vector<double> out(count_);
  for (size_t i = 0; i < count_; i++) {
    GgufValue v;
    v.type_ = elem_type_;
    v.bits_ = load_le(data_ + i * es, es);
    out[i] = v.to_float(what);
  }
  return out;
}

const std::vector<GgufValue>& GgufValue::elements(const std::string& what) const {
  if (type_ != GgufType::ARRAY || elem_type_ != GgufType::ARRAY) throw Error(what + ": expected an array of arrays");
  return arrays_;
}

// ---------------------------------------------------------------- parser

// A bounds-checked cursor over the mapped bytes. Every read says what it is reading, so a truncated or corrupt
// file yields "<path>: truncated at byte N while reading <what>".
class GgufParser {
 public:
  GgufParser(GgufFile& f, const uint8_t* data, size_t size) : f_(f), p_(data), n_(size) {}

  void parse();

 private:
  [[noreturn]] void fail(const std::string& msg) const { throw Error(f_.path_ + ": " + msg); }
  void need(uint64_t bytes, const std::string& what) const {
    if (bytes > n_ - pos_)
      fail("truncated at byte " + std::to_string(pos_) + " while reading " + what + " (needs " + std::to_string(bytes) +
           " bytes, " + std::to_string(n_ - pos_) + " left)");
  }
  uint64_t read(size_t bytes, const std::string& what) {
    need(bytes, what);
    uint64_t v = load_le(p_ + pos_, bytes);
    pos_ += bytes;
    return v;
  }
  uint32_t u32(const std::string& what) { return uint32_t(read(4, what)); }
  uint64_t u64(const std::string& what) { return read(8, what); }
  std::string_view str(const std::string& what) {
    uint64_t len = u64(what + " length");
    need(len, what + " (" + std::to_string(len) + " bytes)");
    std::string_view s(reinterpret_cast<const char*>(p_ + pos_), size_t(len));
    pos_ += size_t(len);
    return s;
  }
  // A count of items that each take at least min_bytes must fit in what is left of the file.
  void check_count(uint64_t count, uint64_t min_bytes, const std::string& what) const {
    if (count > (n_ - pos_) / min_bytes)
      fail(what + " is " + std::to_string(count) + ", more than the " + std::to_string(n_ - pos_) +
           " bytes left in the file can hold");
  }
  GgufValue value(uint32_t type, const std::string& what, int depth);

  GgufFile& f_;
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

GgufValue GgufParser::value(uint32_t type, const std::string& what, int depth) {
  if (!known_type(type)) fail(what + ": unknown value type " + std::to_string(type));
  GgufValue v;
  v.type_ = GgufType(type);
  switch (v.type_) {
    case GgufType::STRING: v.str_ = str(what); return v;
    case GgufType::ARRAY: {
      if (depth >= kMaxArrayDepth) fail(what + ": arrays nested more than " + std::to_string(kMaxArrayDepth) + " deep");
      uint32_t et = u32(what + " element type");
      if (!known_type(et)) fail(what + ": unknown array element type " + std::to_string(et));
      uint64_t count = u64(what + " element count");
      v.elem_type_ = GgufType(et);
      v.count_ = 0;
      if (v.elem_type_ == GgufType::STRING) {
        check_count(count, 8, what + " element count");
        v.strings_.reserve(size_t(count));
        for (uint64_t i = 0; i < count; i++) v.strings_.push_back(str(what + "[" + std::to_string(i) + "]"));
      } else if (v.elem_type_ == GgufType::ARRAY) {
        check_count(count, 12, what + " element count");
        v.arrays_.reserve(size_t(count));
        for (uint64_t i = 0; i < count; i++) {
          std::string w = what + "[" + std::to_string(i) + "]";
          v.arrays_.push_back(value(uint32_t(GgufType::ARRAY), w, depth + 1));
        }
      } else {
        size_t es = scalar_size(v.elem_type_);
        check_count(count, es, what + " element count");
        v.data_ = p_ + pos_;
        pos_ += size_t(count) * es;
        if (v.elem_type_ == GgufType::BOOL) {
          for (uint64_t i = 0; i < count; i++)
            if (v.data_[i] > 1)
              fail(what + "[" + std::to_string(i) + "]: bool value " + std::to_string(v.data_[i]) + " is not 0 or 1");
        }
      }
      v.count_ = size_t(count);
      return v;
    }
    default: {
      size_t es = scalar_size(v.type_);
      v.bits_ = read(es, what);
      if (v.type_ == GgufType::BOOL && v.bits_ > 1)
        fail(what + ": bool value " + std::to_string(v.bits_) + " is not 0 or 1");
      return v;
    }
  }
}

void GgufParser::parse() {
  if (n_ < 4 || std::memcmp(p_, "GGUF", 4) != 0) fail("not a GGUF file (bad magic; expected \"GGUF\")");
  pos_ = 4;
  uint32_t version = u32("the version");
  if (version == 1) fail("GGUF version 1 is not supported (only versions 2 and 3)");
  if (version != 2 && version != 3) fail("unsupported GGUF version " + std::to_string(version) + " (expected 2 or 3)");
  f_.version_ = version;
  uint64_t n_tensors = u64("the tensor count");
  uint64_t n_kv = u64("the metadata count");
  // Smallest possible entries: a key/value is an 8-byte key length, a 4-byte type and a 1-byte value; a tensor
  // info is an 8-byte name length, 4-byte dims count, 4-byte type and 8-byte offset.
  check_count(n_kv, 13, "the metadata count");
  check_count(n_tensors, 24, "the tensor count");

  for (uint64_t i = 0; i < n_kv; i++) {
    std::string at = "metadata entry " + std::to_string(i);
    std::string key(str(at + " key"));
    if (f_.kv_index_.count(key)) fail("duplicate metadata key '" + key + "'");
    uint32_t type = u32("the type of '" + key + "'");
    GgufValue v = value(type, "'" + key + "'", 0);
    f_.kv_index_.emplace(key, f_.kv_.size());
    f_.kv_.emplace_back(std::move(key), std::move(v));
  }

  if (const GgufValue* a = f_.find("general.alignment")) {
    if (!is_integer(a->type()))
      fail("general.alignment must be an integer, found " + std::string(gguf_type_name(a->type())));
    uint64_t al = a->to_uint(f_.path_ + ": general.alignment");
    if (al == 0 || (al & (al - 1)) != 0 || al > kMaxAlignment)
      fail("general.alignment is " + std::to_string(al) + ", expected a power of two");
    f_.alignment_ = al;
  }

  for (uint64_t i = 0; i < n_tensors; i++) {
    GgufTensorInfo t;
    std::string at = "tensor " + std::to_string(i);
    t.name = std::string(str(at + " name"));
    at += " ('" + t.name + "')";
    if (f_.tensor_index_.count(t.name)) fail("duplicate tensor name '" + t.name + "'");
    uint32_t nd = u32(at + " dimension count");
    if (nd > kMaxDims)
      fail(at + ": " + std::to_string(nd) + " dimensions, at most " + std::to_string(kMaxDims) + " allowed");
    uint64_t numel = 1;
    for (uint32_t d = 0; d < nd; d++) {
      uint64_t dim = u64(at + " dimension " + std::to_string(d));
      if (dim > uint64_t(std::numeric_limits<int64_t>::max()) ||
          (dim != 0 && numel > uint64_t(std::numeric_limits<int64_t>::max()) / dim))
        fail(at + ": dimension " + std::to_string(d) + " (" + std::to_string(dim) +
             ") makes the tensor impossibly large");
      numel *= dim;
      t.dims.push_back(dim);
    }
    t.type = u32(at + " type");
    const char* tname = nullptr;
    uint32_t be = 0, bb = 0;
    if (!ggml_type_info(t.type, &tname, &be, &bb)) fail(at + ": unknown tensor type " + std::to_string(t.type));
    if (!t.dims.empty() && t.dims[0] % be != 0)
      fail(at + ": first dimension " + std::to_string(t.dims[0]) + " is not a multiple of the " + tname +
           " block size " + std::to_string(be));
    uint64_t blocks = numel / be;
    if (blocks > std::numeric_limits<uint64_t>::max() / bb) fail(at + ": impossibly large");
    t.nbytes = blocks * bb;
    t.offset = u64(at + " data offset");
    if (t.offset % f_.alignment_ != 0)
      fail(at + ": data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
           std::to_string(f_.alignment_));
    f_.tensor_index_.emplace(t.name, f_.tensors_.size());
    f_.tensors_.push_back(std::move(t));
  }

  uint64_t data = (uint64_t(pos_) + f_.alignment_ - 1) / f_.alignment_ * f_.alignment_;
  f_.data_offset_ = data;
  if (!f_.tensors_.empty() && data > n_)
    fail("the tensor data section would start at byte " + std::to_string(data) + ", past the end of the file (" +
         std::to_string(n_) + " bytes)");
  uint64_t room = data <= n_ ? n_ - data : 0;
  for (const GgufTensorInfo& t : f_.tensors_) {
    if (t.offset > room || t.nbytes > room - t.offset)
      fail("tensor '" + t.name + "' data (" + std::to_string(t.nbytes) + " bytes at offset " +
           std::to_string(t.offset) + ") runs past the end of the file (" + std::to_string(room) +
           " bytes of tensor data)");
  }
}

// ---------------------------------------------------------------- GgufFile

GgufFile GgufFile::open(const std::string& path) {
  std::shared_ptr<MappedFile> m = MappedFile::open(path);
  const uint8_t* data = m->data();
  const size_t size = m->size();
  return parse(std::move(m), data, size, path);
}

GgufFile GgufFile::parse(std::shared_ptr<const void> owner, const uint8_t* data, size_t size, const std::string& name) {
  GgufFile f;
  f.path_ = name;
  f.owner_ = std::move(owner);
  f.data_ = data;
  GgufParser parser(f, data, size);
  parser.parse();
  return f;
}

std::string GgufFile::what(std::string_view key) const { return path_ + ": " + std::string(key); }

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const GgufValue& GgufFile::get(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) throw Error(path_ + ": missing metadata key '" + std::string(key) + "'");
  return *v;
}

std::string GgufFile::get_string(std::string_view key) const { return std::string(get(key).to_string(what(key))); }
int64_t GgufFile::get_int(std::string_view key) const { return get(key).to_int(what(key)); }
int64_t GgufFile::get_int(std::string_view key, int64_t fallback) const {
  const GgufValue* v = find(key);
  return v ? v->to_int(what(key)) : fallback;
}
double GgufFile::get_float(std::string_view key, double fallback) const {
  const GgufValue* v = find(key);
  return v ? v->to_float(what(key)) : fallback;
}
bool GgufFile::get_bool(std::string_view key, bool fallback) const {
  const GgufValue* v = find(key);
  return v ? v->to_bool(what(key)) : fallback;
}
std::vector<std::string_view> GgufFile::get_strings(std::string_view key) const {
  return get(key).to_strings(what(key));
}
std::vector<int64_t> GgufFile::get_ints(std::string_view key) const { return get(key).to_ints(what(key)); }

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorInfo& GgufFile::tensor_info(std::string_view name) const {
  const GgufTensorInfo* t = find_tensor(name);
  if (!t) throw Error(path_ + ": no tensor named '" + std::string(name) + "'");
  return *t;
}

const uint8_t* GgufFile::tensor_data(const GgufTensorInfo& t) const { return data_ + data_offset_ + t.offset; }

Tensor GgufFile::tensor(std::string_view name) const {
  const GgufTensorInfo& t = tensor_info(name);
  DType dt;
  switch (GgmlType(t.type)) {
    case GgmlType::F32: dt = DType::F32; break;
    case GgmlType::F16: dt = DType::F16; break;
    case GgmlType::BF16: dt = DType::BF16; break;
    case GgmlType::I8: dt = DType::I8; break;
    case GgmlType::I32: dt = DType::I32; break;
    case GgmlType::I64: dt = DType::I64; break;
    default: {
      const char* tn = "?";
      ggml_type_info(t.type, &tn, nullptr, nullptr);
      throw Error(path_ + ": tensor '" + t.name + "' has type " + tn +
                  "; only f32, f16, bf16, i8, i32 and i64 tensors can be viewed directly");
    }
  }
  const uint8_t* p = tensor_data(t);
  if (reinterpret_cast<uintptr_t>(p) % dtype_size(dt) != 0)
    throw Error(path_ + ": tensor '" + t.name + "' data is not aligned for its type");
  Shape shape;
  for (size_t i = t.dims.size(); i-- > 0;) shape.push_back(int64_t(t.dims[i]));
  // The mapping is read-only; the const_cast only fits Tensor's pointer type.
  return Tensor::view_of(dt, shape, const_cast<uint8_t*>(p), std::const_pointer_cast<void>(owner_));
}

Tensor GgufFile::bytes(const GgufTensorInfo& t) const {
  return Tensor::view_of(DType::U8, {int64_t(t.nbytes)}, const_cast<uint8_t*>(tensor_data(t)),
                         std::const_pointer_cast<void>(owner_));
}

DType GgufFile::dtype(const GgufTensorInfo& t) const {
  switch (GgmlType(t.type)) {
    case GgmlType::F32: return DType::F32;
    case GgmlType::F16: return DType::F16;
    case GgmlType::BF16: return DType::BF16;
    case GgmlType::Q4_0: return DType::Q4_0;
    case GgmlType::Q4_1: return DType::Q4_1;
    case GgmlType::Q5_0: return DType::Q5_0;
    case GgmlType::Q5_1: return DType::Q5_1;
    case GgmlType::Q8_0: return DType::Q8_0;
    case GgmlType::Q4_K: return DType::Q4_K;
    case GgmlType::Q5_K: return DType::Q5_K;
    case GgmlType::Q6_K: return DType::Q6_K;
    default: {
      const char* tn = "?";
      ggml_type_info(t.type, &tn, nullptr, nullptr);
      throw Error(path_ + ": tensor '" + t.name + "' has type " + tn +
                  "; seek reads f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_K, q5_K and q6_K");
    }
  }
}

}  // namespace seek
