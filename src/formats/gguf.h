// Reading GGUF files (versions 2 and 3): the header, every metadata key/value (all scalar types, strings,
// arrays, arrays of arrays), the tensor table, and views of the tensor data in the memory-mapped file.
// Every malformed input -- truncation, bad magic, absurd counts, unknown types, offsets past the end -- is an
// Error naming the file and what is wrong; nothing is trusted before it is bounds-checked.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace seek {

class MappedFile;

enum class GgufType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};
const char* gguf_type_name(GgufType t);

// The ggml element types a tensor may have (the numbering of the format).
enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
};
// Name ("q4_K"), elements per block and bytes per block; false for numbers that are not a known type.
bool ggml_type_info(uint32_t type, const char** name, uint32_t* block_elems, uint32_t* block_bytes);

// One metadata value. Strings are views into the mapped file (raw bytes: GGUF does not promise UTF-8).
class GgufValue {
 public:
  GgufType type() const { return type_; }
  bool is_array() const { return type_ == GgufType::ARRAY; }

  // Scalars. Each throws Error (naming `what`) when the value has another kind; integer getters accept any
  // integer type whose value fits.
  int64_t to_int(const std::string& what) const;
  uint64_t to_uint(const std::string& what) const;
  double to_float(const std::string& what) const;  // floats and integers
  bool to_bool(const std::string& what) const;
  std::string_view to_string(const std::string& what) const;

  // Arrays.
  GgufType elem_type() const { return elem_type_; }
  size_t size() const { return count_; }
  std::vector<std::string_view> to_strings(const std::string& what) const;
  std::vector<int64_t> to_ints(const std::string& what) const;  // any integer (or bool) element type
  std::vector<double> to_floats(const std::string& what) const;
  const std::vector<GgufValue>& elements(const std::string& what) const;  // an array of arrays

 private:
  friend class GgufParser;
  GgufType type_ = GgufType::U8;
  uint64_t bits_ = 0;     // scalar payload, little-endian bits widened to 64
  std::string_view str_;  // STRING
  GgufType elem_type_ = GgufType::U8;
  size_t count_ = 0;
  const uint8_t* data_ = nullptr;          // numeric array elements (unaligned, little-endian)
  std::vector<std::string_view> strings_;  // array of strings
  std::vector<GgufValue> arrays_;          // array of arrays
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // GGUF order: dims[0] is the fastest-varying (contiguous) dimension
  uint32_t type = 0;           // a GgmlType number
  uint64_t offset = 0;         // from the start of the data section
  uint64_t nbytes = 0;
};

class GgufFile {
 public:
  // Opens and validates the file. Throws Error naming the path and the problem.
  static GgufFile open(const std::string& path);
  // The same over bytes in memory that `owner` keeps alive (fuzzing, tests); `name` stands for the path in errors.
  static GgufFile parse(std::shared_ptr<const void> owner, const uint8_t* data, size_t size, const std::string& name);

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }

  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;  // nullptr if absent
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Typed getters; throw Error naming the file and key when missing or of the wrong type.
  const GgufValue& get(std::string_view key) const;
  std::string get_string(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  int64_t get_int(std::string_view key, int64_t fallback) const;
  double get_float(std::string_view key, double fallback) const;
  bool get_bool(std::string_view key, bool fallback) const;
  std::vector<std::string_view> get_strings(std::string_view key) const;
  std::vector<int64_t> get_ints(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  const GgufTensorInfo& tensor_info(std::string_view name) const;  // throws Error if absent
  // Raw bytes of a tensor's data (any type), inside the mapped file.
  const uint8_t* tensor_data(const GgufTensorInfo& t) const;
  // A read-only view (do not write through it) of an F32, F16, BF16, I8, I32 or I64 tensor, shape in row-major
  // order (the GGUF dims reversed). The view keeps the file mapped. Throws Error for other types.
  Tensor tensor(std::string_view name) const;
  // The tensor's stored bytes as a read-only u8 view [nbytes] that keeps the file mapped, and its element type as
  // a seek DType (F32, F16, BF16 and the block types of core/quant_blocks.h; Error naming the tensor and its type
  // for any other).
  Tensor bytes(const GgufTensorInfo& t) const;
  DType dtype(const GgufTensorInfo& t) const;

 private:
  friend class GgufParser;
  std::string what(std::string_view key) const;
  std::shared_ptr<const void> owner_;  // the mapping (or buffer) data_ points into
  const uint8_t* data_ = nullptr;
  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace seek
