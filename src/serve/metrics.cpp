#include "serve/metrics.h"

#include <sstream>

namespace seek::serve {

namespace {
const double kTtftBounds[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

void Metrics::count_request(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_[status]++;
}

void Metrics::record(const ResponseBuilder& r, double seconds) {
  const nlohmann::json u = r.usage();
  std::lock_guard<std::mutex> lock(mu_);
  finished_++;
  seconds_sum_ += seconds;
  prompt_tokens_ += u["prompt_tokens"].get<int64_t>();
  completion_tokens_ += u["completion_tokens"].get<int64_t>();
  cache_hit_tokens_ += u["prompt_cache_hit_tokens"].get<int64_t>();
  if (r.first_token_s < 0) return;
  ttft_sum_ += r.first_token_s;
  ttft_count_++;
  for (size_t i = 0; i < ttft_buckets_.size(); i++)
    if (r.first_token_s <= kTtftBounds[i]) ttft_buckets_[i]++;
}

std::string Metrics::render(const SchedulerStats& s) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream o;
  o << "# HELP seek_requests_total HTTP API requests answered, by status.\n# TYPE seek_requests_total counter\n";
  for (auto [status, n] : requests_) o << "seek_requests_total{status=\"" << status << "\"} " << n << "\n";
  auto counter = [&](const char* name, const char* help, double v) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n" << name << " " << v << "\n";
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n" << name << " " << v << "\n";
  };
  counter("seek_requests_finished_total", "Generation requests that ran to their end.", double(finished_));
  counter("seek_prompt_tokens_total", "Prompt tokens of finished requests.", double(prompt_tokens_));
  counter("seek_completion_tokens_total", "Generated tokens of finished requests.", double(completion_tokens_));
  counter("seek_prompt_cache_hit_tokens_total", "Prompt tokens taken from the prefix cache.",
          double(cache_hit_tokens_));
  counter("seek_prefill_tokens_total", "Prompt tokens run through the model.", double(s.prefill_tokens));
  counter("seek_decode_tokens_total", "Tokens decoded (one per running sequence per step).", double(s.decode_tokens));
  counter("seek_forward_calls_total", "Batched forwards run.", double(s.forward_calls));
  counter("seek_prefix_cache_lookups_total", "Prefix-cache lookups.", double(s.cache.lookups));
  counter("seek_prefix_cache_hits_total", "Prefix-cache lookups that found a prefix.", double(s.cache.hits));
  gauge("seek_prefix_cache_entries", "Sequences held by the prefix cache (RAM and disk).", double(s.cache.entries));
  gauge("seek_queue_depth", "Sequences waiting for a slot.", double(s.queued));
  gauge("seek_running_sequences", "Sequences decoding now.", double(s.running));
  gauge("seek_decode_tokens_per_second", "Decode throughput over the server's life (tokens per second of decode).",
        s.decode_seconds > 0 ? double(s.decode_tokens) / s.decode_seconds : 0.0);
  o << "# HELP seek_time_to_first_token_seconds From a request's arrival to its first generated text.\n"
       "# TYPE seek_time_to_first_token_seconds histogram\n";
  for (size_t i = 0; i < ttft_buckets_.size(); i++)
    o << "seek_time_to_first_token_seconds_bucket{le=\"" << kTtftBounds[i] << "\"} " << ttft_buckets_[i] << "\n";
  o << "seek_time_to_first_token_seconds_bucket{le=\"+Inf\"} " << ttft_count_ << "\n"
    << "seek_time_to_first_token_seconds_sum " << ttft_sum_ << "\n"
    << "seek_time_to_first_token_seconds_count " << ttft_count_ << "\n";
  return o.str();
}

}  // namespace seek::serve
