#include "formats/gguf_write.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace seek {

namespace {

constexpr uint64_t kAlign = 32;  // GGUF's default general.alignment

template <class T>
void put(std::string& s, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  s.append(b, sizeof(T));
}
void put_str(std::string& s, const std::string& v) {
  put<uint64_t>(s, v.size());
  s += v;
}

}  // namespace

void GgufWriter::add_kv(const std::string& key, GgufType type, std::string payload) {
  if (std::find(keys_.begin(), keys_.end(), key) != keys_.end()) throw Error("GGUF key '" + key + "' set twice");
  keys_.push_back(key);
  put_str(kv_, key);
  put<uint32_t>(kv_, uint32_t(type));
  kv_ += payload;
}

void GgufWriter::set_u32(const std::string& k, uint32_t v) {
  std::string p;
  put(p, v);
  add_kv(k, GgufType::U32, p);
}
void GgufWriter::set_i32(const std::string& k, int32_t v) {
  std::string p;
  put(p, v);
  add_kv(k, GgufType::I32, p);
}
void GgufWriter::set_f32(const std::string& k, float v) {
  std::string p;
  put(p, v);
  add_kv(k, GgufType::F32, p);
}
void GgufWriter::set_bool(const std::string& k, bool v) {
  std::string p;
  put<uint8_t>(p, v ? 1 : 0);
  add_kv(k, GgufType::BOOL, p);
}
void GgufWriter::set_string(const std::string& k, const std::string& v) {
  std::string p;
  put_str(p, v);
  add_kv(k, GgufType::STRING, p);
}
void GgufWriter::set_strings(const std::string& k, const std::vector<std::string>& v) {
  std::string p;
  put<uint32_t>(p, uint32_t(GgufType::STRING));
  put<uint64_t>(p, v.size());
  for (const std::string& s : v) put_str(p, s);
  add_kv(k, GgufType::ARRAY, p);
}
template <class T>
void GgufWriter::set_numbers(const std::string& k, GgufType elem, const std::vector<T>& v) {
  std::string p;
  put<uint32_t>(p, uint32_t(elem));
  put<uint64_t>(p, v.size());
  for (T x : v) put(p, x);
  add_kv(k, GgufType::ARRAY, p);
}
void GgufWriter::set_i32s(const std::string& k, const std::vector<int32_t>& v) { set_numbers(k, GgufType::I32, v); }
void GgufWriter::set_f32s(const std::string& k, const std::vector<float>& v) { set_numbers(k, GgufType::F32, v); }

void GgufWriter::add_tensor(const std::string& name, GgmlType type, const Shape& shape, Fill fill) {
  const char* tn = "?";
  uint32_t be = 0, bb = 0;
  if (!ggml_type_info(uint32_t(type), &tn, &be, &bb)) throw Error("GGUF tensor '" + name + "': unknown type");
  if (shape.empty() || shape.back() % be != 0)
    throw Error("GGUF tensor '" + name + "': rows of " + shape_str(shape) + " are not whole " + tn + " blocks");
  for (const Entry& t : tensors_)
    if (t.name == name) throw Error("GGUF tensor '" + name + "' added twice");
  tensors_.push_back(Entry{name, type, shape, uint64_t(shape_numel(shape) / be) * bb, std::move(fill)});
}

void GgufWriter::write(const std::string& path) const {
  std::string head = "GGUF";
  put<uint32_t>(head, 3);
  put<uint64_t>(head, tensors_.size());
  put<uint64_t>(head, keys_.size());
  head += kv_;
  uint64_t offset = 0;
  for (const Entry& t : tensors_) {
    put_str(head, t.name);
    put<uint32_t>(head, uint32_t(t.shape.size()));
    for (size_t i = t.shape.size(); i-- > 0;) put<uint64_t>(head, uint64_t(t.shape[i]));
    put<uint32_t>(head, uint32_t(t.type));
    put<uint64_t>(head, offset);
    offset += (t.nbytes + kAlign - 1) / kAlign * kAlign;
  }
  head.resize((head.size() + kAlign - 1) / kAlign * kAlign, '\0');

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error(path + ": cannot create (" + std::strerror(errno) + ")");
  bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  std::vector<uint8_t> buf;
  try {
    for (const Entry& t : tensors_) {
      if (!ok) break;
      const uint64_t padded = (t.nbytes + kAlign - 1) / kAlign * kAlign;
      buf.assign(size_t(padded), 0);
      t.fill(buf.data());
      ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
    }
  } catch (...) {  // a tensor that could not be produced: no partial file is left
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    throw Error(path + ": write failed (" + std::strerror(errno) + ")");
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace seek
