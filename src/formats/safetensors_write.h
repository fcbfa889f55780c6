// Writing safetensors files durably: the layout is the one safetensors.h reads (u64 little-endian header length,
// JSON header, data section), with the header written exactly as the reference writer in
// tools/reference/safetensors_io.py writes it (tensors sorted by name, each {"dtype","shape","data_offsets"},
// then "__metadata__"; compact JSON with non-ASCII escaped as \uXXXX; spaces pad the header to a multiple of 8
// bytes), so the same tensors give the same bytes. The file appears under its name only when complete and on disk:
// PATH.tmp is written, fsync'd, renamed onto PATH, and the folder fsync'd.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace seek {

struct SafetensorsWriteOptions {
  std::map<std::string, std::string> metadata;  // the "__metadata__" map; left out of the file when empty
  bool f32_to_bf16 = false;                     // store F32 tensors as BF16 (round to nearest even)
};

// Tensors of any dtype safetensors.h reads (F32, BF16, F16, F8_E4M3, I64, I32, U8, I8), contiguous. Names must be
// unique, non-empty valid UTF-8 and not "__metadata__". Throws Error naming the file (and tensor) on failure; the
// file under PATH is then untouched.
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const SafetensorsWriteOptions& options = {});

// The header JSON save_safetensors writes (without the length prefix, with the padding).
std::string safetensors_header(const std::vector<std::pair<std::string, Tensor>>& tensors,
                               const SafetensorsWriteOptions& options = {});

// ---- durable atomic files, for the writers of checkpoint folders ----

// Bytes go to PATH.tmp; commit() fsyncs it, renames it onto PATH and fsyncs the folder. Destroyed without
// commit() (an error on the way), it removes PATH.tmp. Errors name PATH.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t size);
  void commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
};

void write_file_durable(const std::string& path, const void* data, size_t size);
// fsync a folder, so the names created or renamed in it survive a power loss. Errors name the folder.
void fsync_directory(const std::string& dir);

}  // namespace seek
