// A read-only memory map of a whole file. Pages are read from disk only when touched, so opening a checkpoint of
// hundreds of gigabytes costs address space, not RAM.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace seek {

class MappedFile {
 public:
  // Throws Error naming the path if it cannot be opened or mapped.
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// Whole file into a string (small text files: config.json, tokenizer.json). Throws Error naming the path.
std::string read_text_file(const std::string& path);
// Write atomically: to path + ".tmp", then rename. Throws Error naming the path.
void write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace seek
