#include "serve/server.h"

#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <sstream>

#include "serve/api_error.h"
#include "serve/metrics.h"
#include "serve/response.h"

namespace seek::serve {

extern const char kChatPage[];

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(dump_json(e.body()), "application/json");
}

// Compares in time that depends only on the lengths, so a wrong key's first matching bytes cannot be timed.
bool same_key(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); i++) diff |= uint8_t(a[i]) ^ uint8_t(i < b.size() ? b[i] : 0);
  return diff == 0;
}

ojson parse_body(const httplib::Request& req) {
  try {
    return ojson::parse(req.body);
  } catch (const ojson::exception& e) {
    throw ApiError(400, "invalid_request_error", std::string("the request body is not valid JSON: ") + e.what(), "",
                   "invalid_json");
  }
}

}  // namespace

struct Server::Impl {
  Impl(Assistant& as, ServerOptions o)
      : as(as), opt(std::move(o)), vocab(TokenVocabulary::build(as.tokenizer, as.stop_ids)),
        scheduler(*as.model, &as.tokenizer, opt.scheduler) {}

  Assistant& as;
  ServerOptions opt;
  std::shared_ptr<const TokenVocabulary> vocab;
  Scheduler scheduler;
  Metrics metrics;
  httplib::Server http;

  void routes();
  bool authorized(const httplib::Request& req, httplib::Response& res);
  void generate(const httplib::Request& req, httplib::Response& res, bool chat);
  void stream(httplib::Response& res, std::shared_ptr<Job> job);
  void respond_whole(httplib::Response& res, std::shared_ptr<Job> job);
  void models(httplib::Response& res);
};

bool Server::Impl::authorized(const httplib::Request& req, httplib::Response& res) {
  if (opt.api_key.empty()) return true;
  const std::string h = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (h.compare(0, prefix.size(), prefix) == 0 && same_key(h.substr(prefix.size()), opt.api_key)) return true;
  send_error(res, ApiError(401, "authentication_error",
                           h.empty() ? "no API key: send it as `Authorization: Bearer KEY`" : "the API key is not valid",
                           "", "invalid_api_key"));
  metrics.count_request(401);
  return false;
}

void Server::Impl::generate(const httplib::Request& req, httplib::Response& res, bool chat) {
  if (!authorized(req, res)) return;
  try {
    const ojson body = parse_body(req);
    std::unique_ptr<ApiRequest> r = chat ? parse_chat_request(body, as, vocab, opt.limits)
                                         : parse_completion_request(body, as, opt.limits);
    auto job = std::make_shared<Job>(std::move(r));
    try {
      scheduler.submit(job);
    } catch (const QueueFull& e) {
      throw ApiError(503, "server_overloaded", e.what(), "", "queue_full");
    }
    metrics.count_request(200);
    if (job->request().stream)
      stream(res, job);
    else
      respond_whole(res, job);
  } catch (const ApiError& e) {
    metrics.count_request(e.status);
    send_error(res, e);
  }
}

// Server-Sent Events; a write that fails (the client left) cancels the job.
void Server::Impl::stream(httplib::Response& res, std::shared_ptr<Job> job) {
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, job](size_t, httplib::DataSink& sink) {
        ResponseBuilder b(job->request(), as.tokenizer, opt.limits.model_name);
        const auto interval = std::chrono::milliseconds(int64_t(opt.keepalive_s * 1000));
        auto write = [&](const std::string& s) {
          if (!sink.write(s.data(), s.size())) {
            job->cancel();
            return false;
          }
          return true;
        };
        while (!b.done()) {
          std::vector<JobEvent> ev = job->wait(interval);
          if (ev.empty()) {
            if (!write(": keep-alive\n\n")) return false;
            continue;
          }
          for (const std::string& c : b.add(ev))
            if (!write("data: " + c + "\n\n")) return false;
        }
        metrics.record(b, job->seconds());
        if (!b.error().empty() && !write("data: " + dump_json(ApiError(500, "server_error", b.error()).body()) + "\n\n"))
          return false;
        const std::string usage = b.usage_chunk();
        if (!usage.empty() && !write("data: " + usage + "\n\n")) return false;
        if (!write("data: [DONE]\n\n")) return false;
        sink.done();
        return true;
      },
      [job](bool) { job->cancel(); });
}

// The whole response at once; while it is not ready, blank lines keep the connection alive (JSON parsers skip
// leading whitespace). Answered with its real status when it is ready before the first keep-alive.
void Server::Impl::respond_whole(httplib::Response& res, std::shared_ptr<Job> job) {
  auto b = std::make_shared<ResponseBuilder>(job->request(), as.tokenizer, opt.limits.model_name);
  const auto interval = std::chrono::milliseconds(int64_t(opt.keepalive_s * 1000));
  const auto deadline = std::chrono::steady_clock::now() + interval;
  while (!b->done() && std::chrono::steady_clock::now() < deadline) b->add(job->wait(interval));
  auto body = [this, b, job]() {
    metrics.record(*b, job->seconds());
    if (!b->error().empty()) return dump_json(ApiError(500, "server_error", b->error()).body());
    return dump_json(b->full_response());
  };
  if (b->done()) {
    if (!b->error().empty()) res.status = 500;
    res.set_content(body(), "application/json");
    return;
  }
  res.set_chunked_content_provider(
      "application/json",
      [job, b, body, interval](size_t, httplib::DataSink& sink) {
        // A blank line every interval, also while tokens arrive: writing is how a client that left is noticed
        // (then the job is cancelled and its slot freed), and a running job always has events.
        auto last_write = std::chrono::steady_clock::now();
        while (!b->done()) {
          b->add(job->wait(interval));
          if (b->done() || std::chrono::steady_clock::now() - last_write < interval) continue;
          if (!sink.write("\n", 1)) return job->cancel(), false;
          last_write = std::chrono::steady_clock::now();
        }
        const std::string s = body();
        if (!sink.write(s.data(), s.size())) return false;
        sink.done();
        return true;
      },
      [job](bool) { job->cancel(); });
}

void Server::Impl::models(httplib::Response& res) {
  json m = {{"id", opt.limits.model_name}, {"object", "model"}, {"created", 0}, {"owned_by", "seek"},
            {"context_length", opt.limits.context}};
  res.set_content(dump_json({{"object", "list"}, {"data", json::array({m})}}), "application/json");
}

void Server::Impl::routes() {
  auto chat = [this](const httplib::Request& q, httplib::Response& r) { generate(q, r, true); };
  auto completions = [this](const httplib::Request& q, httplib::Response& r) { generate(q, r, false); };
  http.Post("/v1/chat/completions", chat);
  http.Post("/chat/completions", chat);
  http.Post("/v1/completions", completions);
  http.Post("/completions", completions);
  auto list = [this](const httplib::Request& q, httplib::Response& r) {
    if (authorized(q, r)) models(r);
  };
  http.Get("/v1/models", list);
  http.Get("/models", list);
  http.Get("/health", [](const httplib::Request&, httplib::Response& r) {
    r.set_content("{\"status\":\"ok\"}", "application/json");
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& r) {
    r.set_content(metrics.render(scheduler.stats()), "text/plain; version=0.0.4");
  });
  http.Get("/", [](const httplib::Request&, httplib::Response& r) { r.set_content(kChatPage, "text/html; charset=utf-8"); });
  // Every other status the HTTP layer produces (unknown route, body too large, malformed request) in the API's shape.
  http.set_error_handler([this](const httplib::Request& q, httplib::Response& r) {
    if (!r.body.empty()) return;
    if (r.status == 404)
      send_error(r, ApiError(404, "invalid_request_error", "no route " + q.method + " " + q.path, "", "unknown_url"));
    else if (r.status == 413)
      send_error(r, ApiError(413, "invalid_request_error",
                             "the request body is larger than " + std::to_string(opt.max_body_bytes) + " bytes", "",
                             "request_too_large"));
    else
      send_error(r, ApiError(r.status, "invalid_request_error", "the HTTP request is malformed", "", "bad_request"));
    metrics.count_request(r.status);
  });
  http.set_exception_handler([this](const httplib::Request&, httplib::Response& r, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(r, ApiError(500, "server_error", "internal error: " + what));
    metrics.count_request(500);
  });
}

Server::Server(Assistant& assistant, ServerOptions opt) : impl_(std::make_unique<Impl>(assistant, std::move(opt))) {
  Impl& s = *impl_;
  s.http.set_payload_max_length(s.opt.max_body_bytes);
  s.http.set_read_timeout(30);
  s.http.set_write_timeout(30);
  s.http.set_keep_alive_max_count(1000);
  const int threads = s.opt.http_threads > 0
                          ? s.opt.http_threads
                          : int(std::max<int64_t>(16, 2 * (s.opt.scheduler.decoder.max_active + s.opt.scheduler.max_queue)));
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  s.routes();
}

Server::~Server() = default;

void Server::run(const std::function<void(int)>& on_listening) {
  Impl& s = *impl_;
  int port = s.opt.port;
  if (port == 0) {
    port = s.http.bind_to_any_port(s.opt.host);
  } else if (!s.http.bind_to_port(s.opt.host, port)) {
    port = -1;
  }
  if (port < 0) throw Error("cannot listen on " + s.opt.host + ":" + std::to_string(s.opt.port) +
                            " (in use, or not an address of this machine)");
  if (on_listening) on_listening(port);
  s.http.listen_after_bind();
}

void Server::stop() { impl_->http.stop(); }

}  // namespace seek::serve
