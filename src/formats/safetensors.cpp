#include "formats/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace seek {

using json = nlohmann::json;

DType safetensors_dtype(const std::string& s) {
  if (s == "F32") return DType::F32;
  if (s == "BF16") return DType::BF16;
  if (s == "F16") return DType::F16;
  if (s == "F8_E4M3") return DType::E4M3;
  if (s == "I32") return DType::I32;
  if (s == "I64") return DType::I64;
  if (s == "U8") return DType::U8;
  if (s == "I8") return DType::I8;
  throw Error("unsupported dtype '" + s + "' (supported: F32, BF16, F16, F8_E4M3, I32, I64, U8, I8)");
}

const char* safetensors_dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::BF16: return "BF16";
    case DType::F16: return "F16";
    case DType::E4M3: return "F8_E4M3";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
    case DType::U8: return "U8";
    case DType::I8: return "I8";
    default: return "?";  // GGUF block types have no safetensors name
  }
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  auto f = MappedFile::open(path);
  return parse(f, f->data(), f->size(), path);
}

SafetensorsFile SafetensorsFile::parse(std::shared_ptr<MappedFile> file, const uint8_t* bytes, size_t size,
                                       const std::string& name) {
  SafetensorsFile st;
  st.path_ = name;
  st.file_ = std::move(file);
  const std::string where = name + ": ";
  if (size < 8)
    throw Error(where + "not a safetensors file: " + std::to_string(size) + " bytes, too short for the header length");
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | bytes[i];
  if (hlen > size - 8)
    throw Error(where + "header length " + std::to_string(hlen) + " runs past the end of the file (" +
                std::to_string(size) + " bytes): truncated or not a safetensors file");
  if (hlen > (100u << 20)) throw Error(where + "header length " + std::to_string(hlen) + " is larger than 100 MB");
  json header;
  try {
    header = json::parse(bytes + 8, bytes + 8 + hlen);
  } catch (const json::exception& e) {
    throw Error(where + "header is not valid JSON: " + e.what());
  }
  if (!header.is_object()) throw Error(where + "header is not a JSON object");
  st.data_ = bytes + 8 + hlen;
  st.data_size_ = size - 8 - size_t(hlen);

  std::vector<std::pair<size_t, size_t>> spans;
  for (auto& [key, val] : header.items()) {
    if (key == "__metadata__") {
      if (!val.is_object()) throw Error(where + "__metadata__ is not an object");
      for (auto& [mk, mv] : val.items()) {
        if (!mv.is_string()) throw Error(where + "__metadata__." + mk + " is not a string");
        st.metadata_[mk] = mv.get<std::string>();
      }
      continue;
    }
    const std::string t = where + "tensor '" + key + "': ";
    if (!val.is_object()) throw Error(t + "entry is not an object");
    if (!val.contains("dtype") || !val["dtype"].is_string()) throw Error(t + "missing string field 'dtype'");
    if (!val.contains("shape") || !val["shape"].is_array()) throw Error(t + "missing array field 'shape'");
    if (!val.contains("data_offsets") || !val["data_offsets"].is_array() || val["data_offsets"].size() != 2)
      throw Error(t + "missing field 'data_offsets' [begin, end]");
    SafetensorsEntry e;
    try {
      e.dtype = safetensors_dtype(val["dtype"].get<std::string>());
    } catch (const Error& err) {
      throw Error(t + err.what());
    }
    uint64_t numel = 1;
    for (auto& d : val["shape"]) {
      if (!d.is_number_unsigned()) throw Error(t + "shape holds " + d.dump() + ", expected non-negative integers");
      uint64_t v = d.get<uint64_t>();
      if (v > (uint64_t(1) << 40) || (v && numel > (uint64_t(1) << 50) / v))
        throw Error(t + "shape " + val["shape"].dump() + " is too large");
      numel *= v;
      e.shape.push_back(int64_t(v));
    }
    for (auto& o : val["data_offsets"])
      if (!o.is_number_unsigned())
        throw Error(t + "data_offsets " + val["data_offsets"].dump() +
                    (o.is_number_integer() ? " holds a negative offset" : " are not integers") +
                    ", expected two non-negative byte offsets [begin, end]");
    uint64_t b = val["data_offsets"][0].get<uint64_t>(), en = val["data_offsets"][1].get<uint64_t>();
    if (b > en) throw Error(t + "data_offsets begin " + std::to_string(b) + " > end " + std::to_string(en));
    if (en > st.data_size_)
      throw Error(t + "data_offsets end " + std::to_string(en) + " lies past the data section (" +
                  std::to_string(st.data_size_) + " bytes): file truncated or header wrong");
    uint64_t expect = numel * dtype_size(e.dtype);
    if (en - b != expect)
      throw Error(t + "holds " + std::to_string(en - b) + " bytes but shape " + shape_str(e.shape) + " of " +
                  safetensors_dtype_name(e.dtype) + " needs " + std::to_string(expect));
    e.begin = size_t(b);
    e.end = size_t(en);
    if (e.end > e.begin) spans.push_back({e.begin, e.end});
    st.entries_[key] = std::move(e);
  }
  // Tensors may not share bytes: a header whose offsets overlap is lying about at least one of them.
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); i++)
    if (spans[i].first < spans[i - 1].second)
      throw Error(where + "tensor data ranges overlap at byte " + std::to_string(spans[i].first));
  return st;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw Error(path_ + ": no tensor named '" + name + "'");
  return it->second;
}

Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  return Tensor::view_of(e.dtype, e.shape, const_cast<uint8_t*>(data_ + e.begin), file_);
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> r;
  for (auto& [k, v] : entries_) r.push_back(k);
  return r;
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t off = 0;
  for (auto& [name, t] : tensors) {
    check(!header.contains(name), path + ": duplicate tensor name '" + name + "'");
    header[name] = {
        {"dtype", safetensors_dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {off, off + t.nbytes()}}};
    off += t.nbytes();
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // pad so the data section starts 8-byte aligned
  // Streamed to a temporary file and renamed, so a multi-gigabyte checkpoint is never copied in memory and a crash
  // never leaves a half-written file under the real name.
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error(tmp + ": cannot create: " + std::strerror(errno));
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = uint8_t((uint64_t(h.size()) >> (8 * i)) & 0xff);
  bool ok = std::fwrite(len, 1, 8, f) == 8 && std::fwrite(h.data(), 1, h.size(), f) == h.size();
  for (auto& [name, t] : tensors) ok = ok && std::fwrite(t.data, 1, t.nbytes(), f) == t.nbytes();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": write failed: " + std::strerror(errno));
  }
}

}  // namespace seek
