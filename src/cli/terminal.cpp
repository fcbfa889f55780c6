#include "cli/terminal.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace seek::cli {

namespace {
// A signal handler can only reach static storage; this flag is the one piece of process state the chat shares
// with it, and only InterruptGuard touches it.
std::atomic<bool> g_interrupted{false};
struct sigaction g_previous;

void on_sigint(int) { g_interrupted.store(true); }

// StopRequest's state, for its handler in the same way.
std::atomic<int> g_stop_signal{0};
const char* g_stop_notice = "";
struct sigaction g_previous_int, g_previous_term;

void on_stop(int sig) {
  g_stop_signal.store(sig);
  const char* m = g_stop_notice;
  size_t n = 0;
  while (m[n]) n++;
  ssize_t ignored = ::write(2, m, n);  // async-signal-safe, unlike stdio
  (void)ignored;
}
}  // namespace

StopRequest::StopRequest(const char* notice) {
  g_stop_notice = notice;
  g_stop_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_RESETHAND;  // the second signal finds the default action again
  sigaction(SIGINT, &sa, &g_previous_int);
  sigaction(SIGTERM, &sa, &g_previous_term);
}

StopRequest::~StopRequest() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool StopRequest::requested() { return g_stop_signal.load() != 0; }
int StopRequest::signal_number() { return g_stop_signal.load(); }

InterruptGuard::InterruptGuard() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read returns EINTR so the prompt can react
  sigaction(SIGINT, &sa, &g_previous);
}

InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &g_previous, nullptr); }

const std::atomic<bool>& InterruptGuard::flag() { return g_interrupted; }
void InterruptGuard::clear() { g_interrupted.store(false); }

ReadResult read_line(std::string& line) {
  line.clear();
  for (;;) {
    char c;
    ssize_t n = ::read(0, &c, 1);
    if (n == 1) {
      if (c == '\n') return ReadResult::line;
      line.push_back(c);
      continue;
    }
    if (n == 0) return line.empty() ? ReadResult::eof : ReadResult::line;
    if (errno == EINTR) {
      if (g_interrupted.exchange(false)) {
        line.clear();
        return ReadResult::interrupted;
      }
      continue;
    }
    return ReadResult::eof;
  }
}

bool is_terminal(int fd) { return ::isatty(fd) == 1; }
const char* dim(bool on) { return on ? "\x1b[2m" : ""; }
const char* bold(bool on) { return on ? "\x1b[1m" : ""; }
const char* reset(bool on) { return on ? "\x1b[0m" : ""; }

}  // namespace seek::cli
