#include "formats/safetensors_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "formats/escape.h"
#include "formats/safetensors.h"

namespace seek {

namespace {

std::string sys_error() { return std::strerror(errno); }

DType stored_dtype(const Tensor& t, const SafetensorsWriteOptions& o) {
  return o.f32_to_bf16 && t.dtype == DType::F32 ? DType::BF16 : t.dtype;
}

// The tensors in file order: sorted by name (byte order, which is code-point order for UTF-8, as Python sorts).
std::vector<const std::pair<std::string, Tensor>*> file_order(const std::vector<std::pair<std::string, Tensor>>& ts,
                                                              const std::string& where) {
  std::vector<const std::pair<std::string, Tensor>*> order;
  for (auto& nt : ts) order.push_back(&nt);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (size_t i = 0; i < order.size(); i++) {
    const std::string& name = order[i]->first;
    check(!name.empty(), where + "a tensor has an empty name");
    check(name != "__metadata__", where + "'__metadata__' is reserved and cannot name a tensor");
    check(i == 0 || order[i - 1]->first != name, where + "duplicate tensor name '" + name + "'");
    const Tensor& t = order[i]->second;
    for (int64_t d : t.shape) check(d >= 0, where + "tensor '" + name + "' has shape " + shape_str(t.shape));
    check(t.data != nullptr || t.numel() == 0, where + "tensor '" + name + "' has no data");
    safetensors_dtype_name(t.dtype);
  }
  return order;
}

void write_all(int fd, const void* data, size_t size, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, std::min<size_t>(size, size_t(1) << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(path + ": write failed: " + sys_error());
    p += n;
    size -= size_t(n);
  }
}

std::string build_header(const std::vector<const std::pair<std::string, Tensor>*>& order,
                         const SafetensorsWriteOptions& options, const std::string& where) {
  std::string h = "{";
  size_t off = 0;
  for (auto* nt : order) {
    const Tensor& t = nt->second;
    size_t bytes = size_t(t.numel()) * dtype_size(stored_dtype(t, options));
    if (h.size() > 1) h += ',';
    append_json_string(h, nt->first, {}, where + "tensor name '" + nt->first + "'");
    h += ":{\"dtype\":\"";
    h += safetensors_dtype_name(stored_dtype(t, options));
    h += "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); i++) {
      if (i) h += ',';
      h += std::to_string(t.shape[i]);
    }
    h += "],\"data_offsets\":[";
    h += std::to_string(off);
    h += ',';
    h += std::to_string(off + bytes);
    h += "]}";
    off += bytes;
  }
  if (!options.metadata.empty()) {
    if (h.size() > 1) h += ',';
    h += "\"__metadata__\":{";
    bool first = true;
    for (auto& [k, v] : options.metadata) {
      if (!first) h += ',';
      first = false;
      append_json_string(h, k, {}, where + "metadata key '" + k + "'");
      h += ':';
      append_json_string(h, v, {}, where + "metadata value of '" + k + "'");
    }
    h += '}';
  }
  h += '}';
  h.append((8 - h.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned
  return h;
}

}  // namespace

std::string safetensors_header(const std::vector<std::pair<std::string, Tensor>>& tensors,
                               const SafetensorsWriteOptions& options) {
  return build_header(file_order(tensors, "safetensors header: "), options, "safetensors header: ");
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const SafetensorsWriteOptions& options) {
  const auto order = file_order(tensors, path + ": ");
  const std::string header = build_header(order, options, path + ": ");
  AtomicFileWriter out(path);
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = uint8_t((uint64_t(header.size()) >> (8 * i)) & 0xff);
  out.write(len, 8);
  out.write(header.data(), header.size());
  std::vector<uint16_t> buf;
  for (auto* nt : order) {
    const Tensor& t = nt->second;
    if (stored_dtype(t, options) == t.dtype) {
      out.write(t.data, t.nbytes());
      continue;
    }
    // f32 -> bf16 in 1M-element pieces, so a huge tensor never needs a second full copy in memory.
    const float* src = t.ptr<float>();
    const int64_t n = t.numel(), piece = int64_t(1) << 20;
    buf.resize(size_t(std::min(n, piece)));
    for (int64_t i = 0; i < n; i += piece) {
      int64_t m = std::min(piece, n - i);
      from_f32(DType::BF16, src + i, buf.data(), size_t(m));
      out.write(buf.data(), size_t(m) * 2);
    }
  }
  out.commit();
}

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(tmp_ + ": cannot create: " + sys_error());
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFileWriter::write(const void* data, size_t size) {
  check(fd_ >= 0, path_ + ": write after commit");
  write_all(fd_, data, size, tmp_);
}

void AtomicFileWriter::commit() {
  check(fd_ >= 0, path_ + ": committed twice");
  if (::fsync(fd_) != 0) throw Error(tmp_ + ": fsync failed: " + sys_error());
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0 || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::string err = sys_error();
    ::unlink(tmp_.c_str());
    throw Error(path_ + ": cannot move the finished file into place: " + err);
  }
  std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  fsync_directory(dir.empty() ? "." : dir.string());
}

void write_file_durable(const std::string& path, const void* data, size_t size) {
  AtomicFileWriter w(path);
  w.write(data, size);
  w.commit();
}

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error(dir + ": cannot open folder to sync it: " + sys_error());
  int rc = ::fsync(fd);
  std::string err = rc != 0 ? sys_error() : "";
  ::close(fd);
  if (rc != 0) throw Error(dir + ": fsync of the folder failed: " + err);
}

}  // namespace seek
