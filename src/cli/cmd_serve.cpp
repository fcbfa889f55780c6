// seek serve: the DeepSeek/OpenAI-compatible API and the web chat page over one model folder (serve/server.h).
// Ctrl-C or SIGTERM stops it cleanly (running requests end, the prefix cache on disk stays).
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <pthread.h>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/parallel.h"
#include "infer/assistant.h"
#include "serve/server.h"

namespace seek::cli {

namespace {
namespace fs = std::filesystem;

struct ServeArgs {
  std::string model, adapter, template_name, host = "127.0.0.1", api_key, model_name, cache_dir, dtype = "f32";
  int port = 8080, threads = 0;
  int64_t ctx = 0, parallel = 4, max_queue = 64, prefill_chunk = 256, cache_ram_mb = 1024, max_body_kb = 8192;
  double timeout_s = 600, keepalive_s = 2;
  bool no_prefix_cache = false;
};

// What the prefix cache's entries belong to: the weights (names, sizes, times), the config and the adapter.
std::string model_key(const ServeArgs& a) {
  const bool file = fs::is_regular_file(a.model);  // a GGUF file: its own name, size and time
  std::string key = file ? std::string() : read_text_file(a.model + "/config.json");
  std::vector<std::string> files;
  if (file) {
    key = fs::absolute(a.model).string() + ";";
    const fs::path p(a.model);
    key += std::to_string(fs::file_size(p)) + ":" + std::to_string(fs::last_write_time(p).time_since_epoch().count());
  } else {
    for (const auto& f : fs::directory_iterator(a.model))
      if (f.path().extension() == ".safetensors") files.push_back(f.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    const fs::path p = fs::path(a.model) / f;
    key += f + ":" + std::to_string(fs::file_size(p)) + ":" +
           std::to_string(fs::last_write_time(p).time_since_epoch().count()) + ";";
  }
  key += "adapter=" + a.adapter + ";dtype=" + a.dtype;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  char s[20];
  std::snprintf(s, sizeof s, "%016llx", (unsigned long long)h);
  return s;
}

void check_args(const ServeArgs& a) {
  if (a.port < 0 || a.port > 65535) throw Error("--port must be 0..65535, got " + std::to_string(a.port));
  if (a.parallel < 1 || a.parallel > 1024) throw Error("--parallel must be 1..1024, got " + std::to_string(a.parallel));
  if (a.ctx < 0) throw Error("--ctx must be >= 0, got " + std::to_string(a.ctx));
  if (a.max_queue < 0) throw Error("--max-queue must be >= 0");
  if (a.prefill_chunk < 1) throw Error("--prefill-chunk must be >= 1");
  if (!(a.timeout_s > 0)) throw Error("--timeout must be > 0 seconds");
  if (!(a.keepalive_s > 0)) throw Error("--keepalive must be > 0 seconds");
  if (a.max_body_kb < 1) throw Error("--max-body-kb must be >= 1");
  if (a.cache_ram_mb < 0) throw Error("--cache-ram-mb must be >= 0");
}

serve::ServerOptions server_options(const ServeArgs& a, const Assistant& as) {
  serve::ServerOptions o;
  o.host = a.host;
  o.port = a.port;
  o.api_key = a.api_key;
  if (o.api_key.empty())
    if (const char* k = std::getenv("SEEK_API_KEY")) o.api_key = k;
  o.limits.model_name = a.model_name.empty() ? fs::path(a.model).lexically_normal().filename().string() : a.model_name;
  if (o.limits.model_name.empty()) o.limits.model_name = fs::absolute(a.model).parent_path().filename().string();
  const int64_t model_ctx = as.model->context_length();
  o.limits.context = a.ctx > 0 ? std::min(a.ctx, model_ctx) : model_ctx;
  o.max_body_bytes = size_t(a.max_body_kb) * 1024;
  o.keepalive_s = a.keepalive_s;
  auto& s = o.scheduler;
  s.decoder.max_active = a.parallel;
  s.decoder.prefill_chunk = a.prefill_chunk;
  s.decoder.context = o.limits.context;
  s.decoder.forward.precision = parse_precision(a.dtype);
  s.max_queue = a.max_queue;
  s.timeout_s = a.timeout_s;
  s.prefix_cache = !a.no_prefix_cache;
  s.cache.ram_bytes = size_t(a.cache_ram_mb) << 20;
  s.cache.dir = a.cache_dir;
  s.cache.model_key = model_key(a);
  return o;
}

void run_serve(const ServeArgs& a) {
  check_args(a);
  set_num_threads(a.threads);
  // Signals go to one thread that stops the server; a client that hangs up must not kill it (SIGPIPE).
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::optional<BuiltinChat> override_template;
  if (!a.template_name.empty()) override_template = parse_builtin_chat(a.template_name);
  Assistant as = Assistant::load(a.model, override_template, a.adapter);
  serve::ServerOptions opt = server_options(a, as);
  serve::Server server(as, opt);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  });
  try {
    server.run([&](int port) {
      std::fprintf(stderr, "seek serve: %s (%s, context %lld, %lld parallel) on http://%s:%d%s\n",
                   opt.limits.model_name.c_str(), as.model->architecture().c_str(), (long long)opt.limits.context,
                   (long long)a.parallel, a.host.c_str(), port, opt.api_key.empty() ? "" : " (API key required)");
    });
  } catch (...) {
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    throw;
  }
  pthread_kill(waiter.native_handle(), SIGTERM);  // wake the waiter if the server stopped for another reason
  waiter.join();
  std::fprintf(stderr, "seek serve: stopped\n");
}
}  // namespace

void register_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "serve a model: DeepSeek/OpenAI-compatible HTTP API and a web chat page");
  cmd->add_option("--model", a->model, "model folder")->required();
  cmd->add_option("--adapter", a->adapter, "LoRA adapter folder (PEFT layout) to apply");
  cmd->add_option("--template", a->template_name, "a built-in chat template instead of the folder's: deepseek-v3 or "
                                                  "deepseek-r1");
  cmd->add_option("--host", a->host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", a->port, "port (0: any free one)")->capture_default_str();
  cmd->add_option("--api-key", a->api_key, "require `Authorization: Bearer KEY` (default: $SEEK_API_KEY, or none)");
  cmd->add_option("--model-name", a->model_name, "the model's name in the API (default: the folder's name)");
  cmd->add_option("--ctx", a->ctx, "each sequence's context in tokens (default: the model's)");
  cmd->add_option("--parallel", a->parallel, "sequences decoded together (continuous batching)")->capture_default_str();
  cmd->add_option("--max-queue", a->max_queue, "sequences that may wait for a slot; more get 503")->capture_default_str();
  cmd->add_option("--prefill-chunk", a->prefill_chunk, "prompt tokens prefilled per step, so long prompts do not "
                                                       "stall running streams")->capture_default_str();
  cmd->add_option("--timeout", a->timeout_s, "seconds a request may run; then it ends (finish_reason length)")
      ->capture_default_str();
  cmd->add_option("--keepalive", a->keepalive_s, "seconds between keep-alives while a request waits")
      ->capture_default_str();
  cmd->add_option("--max-body-kb", a->max_body_kb, "largest request body (KiB); more gets 413")->capture_default_str();
  cmd->add_option("--cache-dir", a->cache_dir, "keep the prefix cache on disk here too (survives restarts)");
  cmd->add_option("--cache-ram-mb", a->cache_ram_mb, "RAM for the prefix cache (MiB)")->capture_default_str();
  cmd->add_flag("--no-prefix-cache", a->no_prefix_cache, "do not reuse earlier requests' prefixes");
  cmd->add_option("--dtype", a->dtype, "f32 or bf16 activations")->capture_default_str();
  add_threads_option(cmd, a->threads);
  cmd->callback([a] { run_serve(*a); });
}

}  // namespace seek::cli
