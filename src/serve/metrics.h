// The server's counters, as Prometheus text at GET /metrics: requests by status, prompt and completion tokens,
// prefix-cache hits, queue depth and running sequences, time to first token (a histogram) and decode throughput.
// Thread-safe: every HTTP thread records into it.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "serve/response.h"
#include "serve/scheduler.h"

namespace seek::serve {

class Metrics {
 public:
  void count_request(int status);
  // A finished request: its tokens and its time to first token.
  void record(const ResponseBuilder& r, double seconds);
  std::string render(const SchedulerStats& s) const;

 private:
  mutable std::mutex mu_;
  std::map<int, int64_t> requests_;  // by HTTP status
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0, cache_hit_tokens_ = 0, finished_ = 0;
  std::vector<int64_t> ttft_buckets_ = std::vector<int64_t>(12, 0);
  double ttft_sum_ = 0, seconds_sum_ = 0;
  int64_t ttft_count_ = 0;
};

}  // namespace seek::serve
