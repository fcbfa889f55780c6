// Prefix caching: the attention caches of earlier sequences, kept so that a request whose prompt starts like an
// earlier one (the same system prompt, the earlier turns of a conversation) runs only the tokens after the shared
// prefix. Entries live in RAM (least recently used ones evicted past a byte budget) and, given a folder, on disk as
// well: every stored entry is also written there, and a PrefixCache opened later over the same folder (a restarted
// server) finds them — DeepSeek's context caching on disk. Files made for another model (the model key) or damaged
// ones are skipped, never loaded into a sequence.
//
// Not thread-safe: the one thread that runs the decoder owns it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/language_model.h"

namespace seek {

struct PrefixCacheOptions {
  size_t ram_bytes = size_t(1) << 30;   // entries in RAM beyond this are evicted, least recently used first
  std::string dir;                      // empty: RAM only
  size_t disk_bytes = size_t(8) << 30;  // files beyond this are deleted, least recently used first
  int64_t min_tokens = 8;               // shorter sequences are not worth an entry
  std::string model_key;                // identifies the model (and attention form) the caches belong to
};

struct PrefixCacheStats {
  int64_t lookups = 0, hits = 0, hit_tokens = 0, disk_loads = 0, stored = 0;
  size_t entries = 0, ram_bytes = 0;
};

class PrefixCache {
 public:
  // Throws Error if opt.dir cannot be created or read.
  PrefixCache(const LanguageModel& model, AttnForm form, PrefixCacheOptions opt);
  ~PrefixCache();

  struct Hit {
    std::unique_ptr<SequenceCache> cache;  // a fresh cache holding `tokens` tokens of the prompt (0 on a miss)
    int64_t tokens = 0;
  };
  // The longest held prefix of `prompt`, at most max_len tokens long (callers pass prompt.size() - 1: at least one
  // prompt token must run to give the first logits).
  Hit lookup(const std::vector<int32_t>& prompt, int64_t max_len);
  // Remembers the first tokens.size() tokens of `cache` (cache.len() >= tokens.size()) under those ids.
  void store(const std::vector<int32_t>& tokens, const SequenceCache& cache);

  const PrefixCacheStats& stats() const { return stats_; }

 private:
  struct Entry;
  void evict();
  void load_dir();
  bool load_entry(Entry& e);

  const LanguageModel& model_;
  AttnForm form_;
  PrefixCacheOptions opt_;
  std::vector<std::unique_ptr<Entry>> entries_;
  uint64_t clock_ = 0;
  PrefixCacheStats stats_;
};

}  // namespace seek
