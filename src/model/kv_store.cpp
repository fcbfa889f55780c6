#include "model/kv_store.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace seek {

namespace {
constexpr char kMagic[8] = {'S', 'E', 'E', 'K', 'K', 'V', '1', '\0'};

void put_i64(std::string& s, int64_t v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
int64_t get_i64(const std::string& s, size_t& at) {
  check(at + sizeof(int64_t) <= s.size(), "KV cache bytes are truncated");
  int64_t v;
  std::memcpy(&v, s.data() + at, sizeof v);
  at += sizeof v;
  return v;
}
}  // namespace

KVStore::KVStore(std::string kind, int64_t layers, int64_t row_a, int64_t row_b)
    : kind_(std::move(kind)), row_a_(row_a), row_b_(row_b) {
  a_.resize(size_t(layers));
  b_.resize(size_t(layers));
}

void KVStore::set_len(int64_t n) {
  if (n < 0 || n > len_)
    throw Error("cache set_len(" + std::to_string(n) + "): can only truncate, the cache holds " + std::to_string(len_) +
                " tokens");
  len_ = n;
}

void KVStore::extend_to(int64_t n) {
  check(n >= len_ && n <= cap_, "KV cache extend_to(" + std::to_string(n) + "): length out of range");
  len_ = n;
}

void KVStore::reserve(int64_t n) {
  if (n <= cap_) return;
  const int64_t cap = std::max<int64_t>({n, cap_ * 2, 16});
  for (auto& t : a_) t.resize(size_t(cap * row_a_));
  for (auto& t : b_) t.resize(size_t(cap * row_b_));
  cap_ = cap;
}

void KVStore::copy_prefix_to(KVStore& dst, int64_t n) const {
  check(n >= 0 && n <= len_, "KV cache clone(" + std::to_string(n) + "): the cache holds " + std::to_string(len_));
  check(dst.kind_ == kind_ && dst.layers() == layers() && dst.row_a_ == row_a_ && dst.row_b_ == row_b_,
        "KV cache clone: destination has another layout");
  dst.len_ = 0;
  dst.reserve(n);
  for (size_t l = 0; l < a_.size(); l++) {
    std::copy_n(a_[l].data(), n * row_a_, dst.a_[l].data());
    std::copy_n(b_[l].data(), n * row_b_, dst.b_[l].data());
  }
  dst.len_ = n;
}

std::string KVStore::serialize(int64_t n) const {
  check(n >= 0 && n <= len_, "KV cache serialize(" + std::to_string(n) + "): the cache holds " + std::to_string(len_));
  std::string s(kMagic, sizeof kMagic);
  put_i64(s, int64_t(kind_.size()));
  s += kind_;
  for (int64_t v : {layers(), row_a_, row_b_, n}) put_i64(s, v);
  for (size_t l = 0; l < a_.size(); l++) {
    s.append(reinterpret_cast<const char*>(a_[l].data()), size_t(n * row_a_) * sizeof(float));
    s.append(reinterpret_cast<const char*>(b_[l].data()), size_t(n * row_b_) * sizeof(float));
  }
  return s;
}

void KVStore::deserialize(const std::string& bytes) {
  check(bytes.size() >= sizeof kMagic && std::memcmp(bytes.data(), kMagic, sizeof kMagic) == 0,
        "KV cache bytes: not a seek KV cache");
  size_t at = sizeof kMagic;
  const int64_t kind_len = get_i64(bytes, at);
  check(kind_len >= 0 && at + size_t(kind_len) <= bytes.size(), "KV cache bytes are truncated");
  const std::string kind = bytes.substr(at, size_t(kind_len));
  at += size_t(kind_len);
  const int64_t layers = get_i64(bytes, at), ra = get_i64(bytes, at), rb = get_i64(bytes, at), n = get_i64(bytes, at);
  check(kind == kind_ && layers == this->layers() && ra == row_a_ && rb == row_b_,
        "KV cache bytes were saved by a cache of another layout ('" + kind + "', not '" + kind_ + "')");
  check(n >= 0 && bytes.size() - at == size_t(n) * size_t(layers) * size_t(ra + rb) * sizeof(float),
        "KV cache bytes have the wrong length");
  len_ = 0;
  reserve(n);
  for (size_t l = 0; l < a_.size(); l++) {
    std::memcpy(a_[l].data(), bytes.data() + at, size_t(n * ra) * sizeof(float));
    at += size_t(n * ra) * sizeof(float);
    std::memcpy(b_[l].data(), bytes.data() + at, size_t(n * rb) * sizeof(float));
    at += size_t(n * rb) * sizeof(float);
  }
  len_ = n;
}

}  // namespace seek
