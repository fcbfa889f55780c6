#include "serve/scheduler.h"

#include <algorithm>

namespace seek::serve {

Job::Job(std::unique_ptr<ApiRequest> req) : req_(std::move(req)), t0_(std::chrono::steady_clock::now()) {}

double Job::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

void Job::push(JobEvent e) {
  e.at = seconds();
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

std::vector<JobEvent> Job::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !events_.empty(); });
  std::vector<JobEvent> out(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

Scheduler::Scheduler(const LanguageModel& model, const Tokenizer* tokenizer, SchedulerOptions opt)
    : model_(model), tok_(tokenizer), opt_(std::move(opt)) {
  if (opt_.prefix_cache) {
    cache_ = std::make_unique<PrefixCache>(model, opt_.decoder.form, opt_.cache);
    opt_.decoder.prefix_cache = cache_.get();
  }
  decoder_ = std::make_unique<BatchDecoder>(model, tokenizer, opt_.decoder);
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Scheduler::submit(const std::shared_ptr<Job>& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (int64_t(inbox_.size()) + stats_.queued >= opt_.max_queue)
      throw QueueFull("the server is busy: " + std::to_string(opt_.max_queue) + " requests are already waiting");
    inbox_.push_back(job);
  }
  cv_.notify_all();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SchedulerStats s = stats_;
  s.queued += int64_t(inbox_.size());
  return s;
}

void Scheduler::start_job(const std::shared_ptr<Job>& job) {
  ApiRequest& r = job->request();
  job->open_ = r.choices.size();
  for (size_t i = 0; i < r.choices.size(); i++) {
    SequenceHooks h;
    Job* j = job.get();
    h.on_text = [j, i](const std::string& t) {
      j->started_ = true;
      j->push({JobEvent::piece, i, t, {}, {}, 0});
    };
    h.on_done = [j, i](GenerationResult&& res) {
      j->started_ = true;
      j->open_--;
      j->push({JobEvent::done, i, "", std::move(res), {}, 0});
    };
    h.on_logprob = [j, i](const TokenLogprob& t) {
      JobEvent e{JobEvent::logprob, i, "", {}, t, 0};
      j->push(std::move(e));
    };
    h.on_error = [j, i](const std::string& m) {
      j->open_--;
      j->push({JobEvent::error, i, m, {}, {}, 0});
    };
    try {
      job->ids_.push_back(decoder_->add(r.choices[i], std::move(h)));
    } catch (const Error& e) {  // requests are checked before they are submitted; this is a last guard
      job->open_--;
      job->push({JobEvent::error, i, e.what(), {}, {}, 0});
    }
  }
  live_.push_back(job);
}

void Scheduler::take_inbox() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return stop_ || !inbox_.empty() || !decoder_->idle(); });
  while (!inbox_.empty()) {
    std::shared_ptr<Job> job = std::move(inbox_.front());
    inbox_.pop_front();
    lock.unlock();
    start_job(job);
    lock.lock();
  }
}

void Scheduler::loop() {
  while (true) {
    take_inbox();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    for (auto& job : live_)
      if (job->cancelled() || job->seconds() > opt_.timeout_s)
        for (uint64_t id : job->ids_) decoder_->cancel(id);
    try {
      decoder_->step();
    } catch (const std::exception& e) {  // every sequence has on_error, so only a bug gets here: fail them all
      for (auto& job : live_)
        for (uint64_t id : job->ids_) decoder_->cancel(id);
    }
    live_.erase(std::remove_if(live_.begin(), live_.end(), [](auto& j) { return j->open_ == 0; }), live_.end());
    std::lock_guard<std::mutex> lock(mu_);
    const BatchStats& b = decoder_->stats();
    stats_.queued = decoder_->waiting();
    stats_.running = decoder_->running();
    stats_.prefill_tokens = b.prefill_tokens, stats_.decode_tokens = b.decode_tokens;
    stats_.cached_tokens = b.cached_tokens, stats_.forward_calls = b.forward_calls;
    stats_.decode_seconds = b.decode_seconds, stats_.prefill_seconds = b.prefill_seconds;
    if (cache_) stats_.cache = cache_->stats();
  }
  for (auto& job : live_)
    for (size_t i = 0; i < job->request().choices.size(); i++) job->push({JobEvent::error, i, "the server is stopping", {}, {}, 0});
}

}  // namespace seek::serve
