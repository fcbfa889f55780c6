// safetensors: an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} with an
// optional "__metadata__" string map, then the raw tensor bytes. Files are memory-mapped; tensors are views into the
// map. Every inconsistency (lengths, offsets, dtypes, shapes) is reported with the file and tensor name.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/mapped_file.h"
#include "core/tensor.h"

namespace seek {

struct SafetensorsEntry {
  DType dtype;
  Shape shape;
  size_t begin = 0, end = 0;  // byte offsets into the data section
};

class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::string& path);
  // Parse from a byte buffer (what open() maps; the fuzzer feeds arbitrary bytes here). `name` is used in errors.
  static SafetensorsFile parse(std::shared_ptr<MappedFile> file, const uint8_t* bytes, size_t size,
                               const std::string& name);

  const std::string& path() const { return path_; }
  bool has(const std::string& name) const { return entries_.count(name) != 0; }
  const SafetensorsEntry& entry(const std::string& name) const;  // throws Error naming the file and tensor
  Tensor tensor(const std::string& name) const;                  // a view into the map
  std::vector<std::string> names() const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::string path_;
  std::shared_ptr<MappedFile> file_;
  const uint8_t* data_ = nullptr;  // start of the data section
  size_t data_size_ = 0;
  std::map<std::string, SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Writes tensors (in the order given) to `path` atomically. Names must be unique.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// safetensors dtype strings ("F32", "BF16", "F16", "F8_E4M3", ...) <-> DType. Unknown names throw.
DType safetensors_dtype(const std::string& s);
const char* safetensors_dtype_name(DType t);

}  // namespace seek
