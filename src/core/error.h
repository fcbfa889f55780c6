// Errors that reach the user. Every failure on bad input is a seek::Error whose message names the file, tensor or
// field at fault and what was expected; the CLI prints it on one line and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>
#include <utility>

namespace seek {

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message) : std::runtime_error(std::move(message)) {}
};

// check(cond, "what went wrong") — a one-liner for argument and file validation.
inline void check(bool cond, const std::string& message) {
  if (!cond) throw Error(message);
}

}  // namespace seek
