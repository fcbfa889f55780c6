// Terminal plumbing for the interactive chat: Ctrl-C as a request to stop the current reply (not the program),
// line input that survives that signal, and styling that is used only when the output is a terminal.
#pragma once
#include <atomic>
#include <optional>
#include <string>

namespace seek::cli {

// While alive, SIGINT sets interrupted() instead of killing the process.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  static const std::atomic<bool>& flag();
  static void clear();
};

// While alive, the first SIGINT (Ctrl-C) or SIGTERM sets requested() and prints `notice` on stderr; a second one
// ends the process as usual. For long jobs that stop cleanly at their next safe point.
class StopRequest {
 public:
  explicit StopRequest(const char* notice);
  ~StopRequest();
  StopRequest(const StopRequest&) = delete;
  StopRequest& operator=(const StopRequest&) = delete;
  static bool requested();
  static int signal_number();  // the signal that asked (0: none)
};

enum class ReadResult { line, eof, interrupted };
// Reads one line from standard input (without the newline). Ctrl-C while waiting gives `interrupted`.
ReadResult read_line(std::string& line);

bool is_terminal(int fd);
// ANSI styling, or "" when `enabled` is false.
const char* dim(bool enabled);
const char* bold(bool enabled);
const char* reset(bool enabled);

}  // namespace seek::cli
