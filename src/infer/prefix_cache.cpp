#include "infer/prefix_cache.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/mapped_file.h"

namespace seek {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'S', 'E', 'E', 'K', 'K', 'V', '1', '\n'};

uint64_t fnv1a(const void* data, size_t n, uint64_t h = 1469598103934665603ull) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) i++;
  return i;
}

// File layout: magic, u64 key length, key, u64 token count, i32 tokens[], then the cache's serialized bytes.
std::string file_header(const std::string& key, const std::vector<int32_t>& tokens) {
  std::string h(kMagic, sizeof kMagic);
  const uint64_t kn = key.size(), tn = tokens.size();
  h.append(reinterpret_cast<const char*>(&kn), 8).append(key);
  h.append(reinterpret_cast<const char*>(&tn), 8);
  h.append(reinterpret_cast<const char*>(tokens.data()), tokens.size() * 4);
  return h;
}

// Reads a file's key and tokens; false for a file that is not one of ours or is cut short.
bool read_header(std::istream& in, std::string& key, std::vector<int32_t>& tokens) {
  char magic[8];
  uint64_t kn = 0, tn = 0;
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return false;
  if (!in.read(reinterpret_cast<char*>(&kn), 8) || kn > 4096) return false;
  key.resize(kn);
  if (!in.read(key.data(), std::streamsize(kn))) return false;
  if (!in.read(reinterpret_cast<char*>(&tn), 8) || tn > (uint64_t(1) << 26)) return false;
  tokens.resize(tn);
  return bool(in.read(reinterpret_cast<char*>(tokens.data()), std::streamsize(tn * 4)));
}

}  // namespace

struct PrefixCache::Entry {
  std::vector<int32_t> tokens;
  std::unique_ptr<SequenceCache> cache;  // null while only on disk
  std::string path;                      // its file, or empty
  size_t file_bytes = 0;
  uint64_t used = 0;  // clock_ when last stored or hit
};

PrefixCache::PrefixCache(const LanguageModel& model, AttnForm form, PrefixCacheOptions opt)
    : model_(model), form_(form), opt_(std::move(opt)) {
  opt_.model_key += form == AttnForm::Absorb ? "/absorb" : "/naive";
  if (!opt_.dir.empty()) load_dir();
}

PrefixCache::~PrefixCache() = default;

void PrefixCache::load_dir() {
  std::error_code ec;
  fs::create_directories(opt_.dir, ec);
  if (ec || !fs::is_directory(opt_.dir)) throw Error("--cache-dir " + opt_.dir + ": cannot create the folder");
  for (const auto& f : fs::directory_iterator(opt_.dir, ec)) {
    if (f.path().extension() != ".kv") continue;
    std::ifstream in(f.path(), std::ios::binary);
    auto e = std::make_unique<Entry>();
    std::string key;
    if (!read_header(in, key, e->tokens) || key != opt_.model_key) continue;  // another model's, or damaged
    e->path = f.path().string();
    e->file_bytes = size_t(f.file_size(ec));
    entries_.push_back(std::move(e));
  }
  stats_.entries = entries_.size();
}

bool PrefixCache::load_entry(Entry& e) {
  std::ifstream in(e.path, std::ios::binary);
  std::string key;
  std::vector<int32_t> tokens;
  if (!read_header(in, key, tokens) || key != opt_.model_key || tokens != e.tokens) return false;
  std::stringstream rest;
  rest << in.rdbuf();
  auto cache = model_.new_sequence(form_);
  try {
    cache->deserialize(rest.str());
  } catch (const Error&) {
    return false;  // damaged or from another build of the model
  }
  if (cache->len() != int64_t(e.tokens.size())) return false;
  e.cache = std::move(cache);
  stats_.disk_loads++;
  return true;
}

PrefixCache::Hit PrefixCache::lookup(const std::vector<int32_t>& prompt, int64_t max_len) {
  stats_.lookups++;
  Hit hit;
  Entry* best = nullptr;
  size_t best_n = 0;
  for (auto& e : entries_) {
    const size_t n = std::min(common_prefix(e->tokens, prompt), size_t(std::max<int64_t>(max_len, 0)));
    if (n > best_n) best = e.get(), best_n = n;
  }
  if (!best || int64_t(best_n) < opt_.min_tokens) return hit;
  if (!best->cache && !load_entry(*best)) {
    std::error_code ec;
    fs::remove(best->path, ec);
    entries_.erase(std::find_if(entries_.begin(), entries_.end(), [&](auto& e) { return e.get() == best; }));
    return lookup(prompt, max_len);
  }
  best->used = ++clock_;
  hit.cache = best->cache->clone(int64_t(best_n));
  hit.tokens = int64_t(best_n);
  stats_.hits++;
  stats_.hit_tokens += hit.tokens;
  evict();  // a disk entry just came into RAM
  return hit;
}

void PrefixCache::store(const std::vector<int32_t>& tokens, const SequenceCache& cache) {
  if (int64_t(tokens.size()) < opt_.min_tokens) return;
  check(cache.len() >= int64_t(tokens.size()), "PrefixCache::store: the cache is shorter than its tokens");
  for (auto it = entries_.begin(); it != entries_.end();) {
    const size_t n = common_prefix((*it)->tokens, tokens);
    if (n == tokens.size()) {  // already held (this sequence is a prefix of an entry)
      (*it)->used = ++clock_;
      return;
    }
    if (n == (*it)->tokens.size()) {  // an entry this sequence extends: replace it
      std::error_code ec;
      if (!(*it)->path.empty()) fs::remove((*it)->path, ec);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  auto e = std::make_unique<Entry>();
  e->tokens = tokens;
  e->cache = cache.clone(int64_t(tokens.size()));
  e->used = ++clock_;
  if (!opt_.dir.empty()) {
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.kv",
                  (unsigned long long)fnv1a(tokens.data(), tokens.size() * 4, fnv1a(opt_.model_key.data(),
                                                                                      opt_.model_key.size())));
    e->path = (fs::path(opt_.dir) / name).string();
    const std::string bytes = file_header(opt_.model_key, tokens) + e->cache->serialize(e->cache->len());
    try {
      write_file_atomic(e->path, bytes.data(), bytes.size());
      e->file_bytes = bytes.size();
    } catch (const Error&) {
      e->path.clear();  // a full disk costs the persistence, not the request
    }
  }
  entries_.push_back(std::move(e));
  stats_.stored++;
  evict();
}

void PrefixCache::evict() {
  // Oldest first: drop RAM copies past the RAM budget, then files past the disk budget.
  std::vector<Entry*> order;
  for (auto& e : entries_) order.push_back(e.get());
  std::sort(order.begin(), order.end(), [](Entry* a, Entry* b) { return a->used > b->used; });
  size_t ram = 0, disk = 0;
  for (Entry* e : order) {
    if (e->cache) {
      const size_t b = e->cache->bytes_per_token() * e->tokens.size();
      if (ram + b > opt_.ram_bytes) e->cache.reset(); else ram += b;
    }
    if (!e->path.empty()) {
      if (disk + e->file_bytes > opt_.disk_bytes) {
        std::error_code ec;
        fs::remove(e->path, ec);
        e->path.clear();
      } else {
        disk += e->file_bytes;
      }
    }
  }
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [](auto& e) { return !e->cache && e->path.empty(); }),
                 entries_.end());
  stats_.entries = entries_.size();
  stats_.ram_bytes = ram;
}

}  // namespace seek
