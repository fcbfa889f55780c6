#include "text/tokenizer/bpe.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <queue>

#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

namespace {

constexpr size_t kCacheSlots = 1 << 15;        // per thread: 512 KiB of slots
constexpr size_t kCacheMaxWord = 256;          // longer words are rare and not worth remembering
constexpr size_t kCacheMaxKeyBytes = 4 << 20;  // flush the cache when its words take more than this
constexpr size_t kSmallWord = 48;              // up to this many symbols, the quadratic merge loop wins

uint64_t mix(uint64_t h) {
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return h;
}

uint64_t load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

uint32_t load4(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// Hash of a short byte string with fixed-size loads only (overlapping at the tail), so no call to memcpy.
uint64_t hash_bytes(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0x94D049BB133111EBull);
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) h = mix(h ^ load8(p + i)) * 0x94D049BB133111EBull;
    if (i < n) h = mix(h ^ load8(p + n - 8)) * 0x94D049BB133111EBull;
  } else if (n >= 4) {
    h = mix(h ^ ((uint64_t(load4(p)) << 32) | load4(p + n - 4))) * 0x94D049BB133111EBull;
  } else if (n > 0) {
    uint64_t w = (uint64_t(uint8_t(p[0])) << 16) | (uint64_t(uint8_t(p[n / 2])) << 8) | uint8_t(p[n - 1]);
    h = mix(h ^ w) * 0x94D049BB133111EBull;
  }
  h = mix(h);
  return h ? h : 1;
}

}  // namespace

// ---------------------------------------------------------------- word cache

BpeScratch::BpeScratch() : slots_(kCacheSlots) {}

const BpeScratch::Slot* BpeScratch::find(std::string_view word, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  uint32_t tag = uint32_t(hash >> 32) | 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.tag == 0) return nullptr;
    if (s.tag == tag && s.key_len == word.size() &&
        std::memcmp(keys_.data() + s.key_off, word.data(), word.size()) == 0)
      return &s;
  }
}

void BpeScratch::insert(std::string_view word, uint64_t hash, const int32_t* ids, size_t n) {
  if (word.size() > kCacheMaxWord) return;
  if (used_ * 2 >= slots_.size() || keys_.size() > kCacheMaxKeyBytes) clear();
  size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].tag != 0) i = (i + 1) & mask;
  Slot& s = slots_[i];
  s.tag = uint32_t(hash >> 32) | 1;
  s.key_off = uint32_t(keys_.size());
  s.key_len = uint16_t(word.size());
  s.val_off = uint32_t(values_.size());
  s.val_len = uint16_t(n);
  keys_.append(word);
  values_.insert(values_.end(), ids, ids + n);
  used_++;
}

void BpeScratch::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  used_ = 0;
  keys_.clear();
  values_.clear();
}

// ---------------------------------------------------------------- model

BpeModel::BpeModel(Vocab vocab) : vocab_(std::move(vocab)) {
  byte_token_.fill(-1);
  byte_fallback_token_.fill(-1);
  merges_.resize(1024);
}

const BpeModel::Merge* BpeModel::find_merge(int32_t a, int32_t b) const {
  uint64_t key = pair_key(a, b);
  size_t mask = merges_.size() - 1;
  for (size_t i = mix(key * 0x9E3779B97F4A7C15ull) & mask;; i = (i + 1) & mask) {
    const Merge& m = merges_[i];
    if (m.key == key) return &m;
    if (m.key == ~uint64_t(0)) return nullptr;
  }
}

void BpeModel::grow_merges() {
  std::vector<Merge> old;
  old.swap(merges_);
  merges_.assign(old.size() * 2, Merge{});
  size_t mask = merges_.size() - 1;
  for (const Merge& m : old) {
    if (m.key == ~uint64_t(0)) continue;
    size_t i = mix(m.key * 0x9E3779B97F4A7C15ull) & mask;
    while (merges_[i].key != ~uint64_t(0)) i = (i + 1) & mask;
    merges_[i] = m;
  }
}

void BpeModel::reserve_merges(size_t n) {
  while (merges_.size() < 2 * (merge_used_ + n)) grow_merges();
}

void BpeModel::add_merge(int32_t left, int32_t right, int32_t merged) {
  int32_t rank = int32_t(merge_count_++);
  uint64_t key = pair_key(left, right);
  if ((merge_used_ + 1) * 2 > merges_.size()) grow_merges();
  size_t mask = merges_.size() - 1;
  size_t i = mix(key * 0x9E3779B97F4A7C15ull) & mask;
  while (merges_[i].key != ~uint64_t(0) && merges_[i].key != key) i = (i + 1) & mask;
  if (merges_[i].key != key) merge_used_++;
  merges_[i] = Merge{key, rank, merged};
}

void BpeModel::set_byte_level(bool on) {
  byte_level_ = on;
  for (int b = 0; b < 256; b++) {
    std::string ch;
    utf8::append(ch, utf8::byte_to_char(uint8_t(b)));
    byte_token_[b] = token_id(ch);
  }
}

void BpeModel::set_byte_fallback(bool on) {
  byte_fallback_ = on;
  for (int b = 0; b < 256; b++) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    byte_fallback_token_[b] = token_id(name);
  }
}

// Fills s.ids_ with the first symbols of `word`: one per byte (byte-level) or per character. Characters missing
// from the vocabulary become byte-fallback tokens when all of their bytes have one, else the unknown token
// (runs of them fused into one when fuse_unk is set), else nothing, as the reference does.
void BpeModel::initial_symbols(std::string_view word, BpeScratch& s) const {
  s.ids_.clear();
  bool last_unk = false;
  auto unknown = [&](std::string_view ch) {
    if (byte_fallback_) {
      bool all = true;
      for (char c : ch) all = all && byte_fallback_token_[uint8_t(c)] >= 0;
      if (all) {
        for (char c : ch) s.ids_.push_back(byte_fallback_token_[uint8_t(c)]);
        last_unk = false;
        return;
      }
    }
    if (unk_ < 0) return;
    if (!(fuse_unk_ && last_unk)) s.ids_.push_back(unk_);
    last_unk = true;
  };
  if (byte_level_) {
    for (char c : word) {
      int32_t id = byte_token_[uint8_t(c)];
      if (id >= 0) {
        s.ids_.push_back(id);
        last_unk = false;
      } else {
        std::string ch;
        utf8::append(ch, utf8::byte_to_char(uint8_t(c)));
        unknown(ch);
      }
    }
    return;
  }
  for (size_t i = 0; i < word.size();) {
    char32_t cp;
    size_t len = utf8::decode_valid(word, i, cp);
    std::string_view ch = word.substr(i, len);
    i += len;
    int32_t id = token_id(ch);
    if (id >= 0) {
      s.ids_.push_back(id);
      last_unk = false;
    } else {
      unknown(ch);
    }
  }
}

// Quadratic but allocation-free and branch-light: keeps the rank of every adjacent pair and merges the lowest.
void BpeModel::merge_small(BpeScratch& s) const {
  auto& ids = s.ids_;
  auto& ranks = s.ranks_;
  auto& merged = s.merged_;
  size_t n = ids.size();
  ranks.resize(n);
  merged.resize(n);
  auto set_pair = [&](size_t i) {
    const Merge* m = find_merge(ids[i], ids[i + 1]);
    ranks[i] = m ? m->rank : INT_MAX;
    merged[i] = m ? m->merged : -1;
  };
  for (size_t i = 0; i + 1 < n; i++) set_pair(i);
  while (n > 1) {
    size_t best = 0;
    int32_t best_rank = ranks[0];
    for (size_t i = 1; i + 1 < n; i++) {
      if (ranks[i] < best_rank) best_rank = ranks[i], best = i;
    }
    if (best_rank == INT_MAX) break;
    ids[best] = merged[best];
    for (size_t i = best + 1; i + 1 < n; i++) {
      ids[i] = ids[i + 1];
      ranks[i] = ranks[i + 1];
      merged[i] = merged[i + 1];
    }
    n--;
    if (best > 0) set_pair(best - 1);
    if (best + 1 < n) set_pair(best);
  }
  ids.resize(n);
}

// For long words: a heap of candidate pairs ordered by (rank, position), symbols in a linked list. Stale heap
// entries (a symbol already merged away, or a neighbour that changed) are recognised and skipped.
void BpeModel::merge_large(BpeScratch& s) const {
  auto& ids = s.ids_;
  auto& prev = s.prev_;
  auto& next = s.next_;
  size_t n = ids.size();
  prev.resize(n);
  next.resize(n);
  for (size_t i = 0; i < n; i++) {
    prev[i] = int32_t(i) - 1;
    next[i] = i + 1 < n ? int32_t(i + 1) : -1;
  }
  struct Cand {
    int32_t rank, pos, merged, right;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push = [&](int32_t i) {
    if (i < 0 || next[size_t(i)] < 0) return;
    int32_t j = next[size_t(i)];
    if (const Merge* m = find_merge(ids[size_t(i)], ids[size_t(j)])) heap.push({m->rank, i, m->merged, j});
  };
  for (size_t i = 0; i + 1 < n; i++) push(int32_t(i));
  std::vector<char> alive(n, 1);
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    size_t i = size_t(c.pos);
    if (!alive[i] || next[i] != c.right) continue;
    size_t j = size_t(c.right);
    const Merge* m = find_merge(ids[i], ids[j]);
    if (!m || m->merged != c.merged) continue;
    ids[i] = c.merged;
    alive[j] = 0;
    next[i] = next[j];
    if (next[j] >= 0) prev[size_t(next[j])] = int32_t(i);
    push(prev[i]);
    push(int32_t(i));
  }
  size_t k = 0;
  for (int32_t i = n ? 0 : -1; i >= 0; i = next[size_t(i)]) ids[k++] = ids[size_t(i)];
  ids.resize(k);
}

void BpeModel::encode_word(std::string_view word, BpeScratch& s, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (byte_level_ && word.size() == 1 && byte_token_[uint8_t(word[0])] >= 0) {
    out.push_back(byte_token_[uint8_t(word[0])]);
    return;
  }
  uint64_t h = hash_bytes(word);
  if (const BpeScratch::Slot* hit = s.find(word, h)) {
    out.insert(out.end(), s.values_.begin() + hit->val_off, s.values_.begin() + hit->val_off + hit->val_len);
    return;
  }
  if (ignore_merges_) {
    std::string_view text = word;
    if (byte_level_) {
      s.mapped_.clear();
      for (char c : word) utf8::append(s.mapped_, utf8::byte_to_char(uint8_t(c)));
      text = s.mapped_;
    }
    int32_t id = token_id(text);
    if (id >= 0) {
      out.push_back(id);
      s.insert(word, h, &id, 1);
      return;
    }
  }
  initial_symbols(word, s);
  if (s.ids_.size() <= kSmallWord) {
    merge_small(s);
  } else {
    merge_large(s);
  }
  out.insert(out.end(), s.ids_.begin(), s.ids_.end());
  s.insert(word, h, s.ids_.data(), s.ids_.size());
}

}  // namespace seek
