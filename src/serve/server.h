// `seek serve`: the DeepSeek/OpenAI-compatible HTTP API and the web chat page over one model.
//   POST /v1/chat/completions (also /chat/completions)   POST /v1/completions (also /completions; `suffix`: FIM)
//   GET /v1/models   GET /health   GET /metrics (Prometheus text)   GET / (the chat page)
// Requests are parsed and checked on the HTTP threads (serve/request.h) and run by the scheduler thread
// (serve/scheduler.h: continuous batching, chunked prefill, prefix cache in RAM and optionally on disk). Streams are
// Server-Sent Events ending in `data: [DONE]`; while a request waits its turn a stream gets `: keep-alive` comments
// and a non-streaming response blank lines. A client that disconnects has its sequences cancelled at the next
// write. Errors have the OpenAI shape {"error": {"message", "type", "param", "code"}}.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "infer/assistant.h"
#include "serve/request.h"
#include "serve/scheduler.h"

namespace seek::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (port() tells which)
  std::string api_key;  // empty: no authentication
  ServeLimits limits;
  SchedulerOptions scheduler;
  size_t max_body_bytes = size_t(8) << 20;
  double keepalive_s = 2;   // a waiting request gets a keep-alive this often
  int http_threads = 0;     // 0: enough for every slot and queued request
};

class Server {
 public:
  Server(Assistant& assistant, ServerOptions opt);
  ~Server();
  // Binds (throws Error naming host:port if it cannot), then serves until stop().
  void run(const std::function<void(int port)>& on_listening = {});
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace seek::serve
