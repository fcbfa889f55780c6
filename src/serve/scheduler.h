// The server's scheduler: one thread that owns the model's BatchDecoder (continuous batching, chunked prefill,
// the prefix cache) and the HTTP threads that hand it jobs. A Job is one API request's choices; the HTTP thread that
// submitted it waits on the job's events (text as it becomes final, each choice's end) and may cancel it (the
// client went away, or its time ran out) from any thread. New jobs join between decoder steps.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "infer/batch_decoder.h"
#include "infer/prefix_cache.h"
#include "serve/request.h"

namespace seek::serve {

struct JobEvent {
  enum Kind { piece, logprob, done, error } kind = piece;
  size_t choice = 0;
  std::string text;         // kind piece: the next text; kind error: the message
  GenerationResult result;  // kind done
  TokenLogprob token;       // kind logprob
  double at = 0;            // seconds since the job was submitted
};

class Job {
 public:
  explicit Job(std::unique_ptr<ApiRequest> req);
  ApiRequest& request() { return *req_; }

  // Events that arrived, waiting up to `timeout` for the first one (empty on timeout).
  std::vector<JobEvent> wait(std::chrono::milliseconds timeout);
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }
  bool started() const { return started_; }  // some choice has produced its first token
  double seconds() const;                    // since submission

 private:
  friend class Scheduler;
  void push(JobEvent e);

  std::unique_ptr<ApiRequest> req_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<JobEvent> events_;
  std::atomic<bool> cancelled_{false}, started_{false};
  std::chrono::steady_clock::time_point t0_;
  std::vector<uint64_t> ids_;  // the decoder's sequence ids (scheduler thread only)
  size_t open_ = 0;            // choices not yet ended (scheduler thread only)
};

struct SchedulerOptions {
  DecoderOptions decoder;     // max_active (--parallel), prefill_chunk, context, precision, form
  int64_t max_queue = 64;     // jobs waiting for a slot beyond this are refused
  double timeout_s = 600;     // a job running longer is cancelled (its choices end with finish_reason "length")
  bool prefix_cache = true;
  PrefixCacheOptions cache;
};

struct SchedulerStats {
  int64_t queued = 0, running = 0, prefill_tokens = 0, decode_tokens = 0, cached_tokens = 0, forward_calls = 0;
  double decode_seconds = 0, prefill_seconds = 0;
  PrefixCacheStats cache;
};

class QueueFull : public Error {
 public:
  using Error::Error;
};

class Scheduler {
 public:
  Scheduler(const LanguageModel& model, const Tokenizer* tokenizer, SchedulerOptions opt);
  ~Scheduler();  // stops the thread; unfinished jobs get an error event

  // Hands a job to the scheduler thread. Throws QueueFull when max_queue jobs are already waiting.
  void submit(const std::shared_ptr<Job>& job);
  SchedulerStats stats() const;

 private:
  void loop();
  void take_inbox();
  void start_job(const std::shared_ptr<Job>& job);

  const LanguageModel& model_;
  const Tokenizer* tok_;
  SchedulerOptions opt_;
  std::unique_ptr<PrefixCache> cache_;
  std::unique_ptr<BatchDecoder> decoder_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> inbox_;
  std::vector<std::shared_ptr<Job>> live_;  // scheduler thread only
  SchedulerStats stats_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace seek::serve
