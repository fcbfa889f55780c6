// Writing GGUF files (version 3, 32-byte alignment), the counterpart of gguf.h: metadata keys of the scalar,
// string and array types, then tensors whose bytes are produced one tensor at a time while the file is written
// (a converted model never has to fit in memory twice). The file appears atomically (written beside, renamed).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf.h"

namespace seek {

class GgufWriter {
 public:
  // Metadata, in the order added; a key added twice is an Error.
  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, const std::string& v);
  void set_strings(const std::string& key, const std::vector<std::string>& v);
  void set_i32s(const std::string& key, const std::vector<int32_t>& v);
  void set_f32s(const std::string& key, const std::vector<float>& v);

  // A tensor of `type` with row-major `shape` (written to the file fastest dimension first, as GGUF orders them).
  // fill(dst) writes exactly its bytes (rows of blocks for block types) into dst when the tensor is written.
  using Fill = std::function<void(uint8_t* dst)>;
  void add_tensor(const std::string& name, GgmlType type, const Shape& shape, Fill fill);

  // Writes everything to `path`. Throws Error naming the path on I/O failure.
  void write(const std::string& path) const;

 private:
  struct Entry {
    std::string name;
    GgmlType type;
    Shape shape;
    uint64_t nbytes;
    Fill fill;
  };
  void add_kv(const std::string& key, GgufType type, std::string payload);
  template <class T>
  void set_numbers(const std::string& key, GgufType elem, const std::vector<T>& v);
  std::vector<std::string> keys_;
  std::string kv_;  // the serialized key/value pairs
  std::vector<Entry> tensors_;
};

}  // namespace seek
