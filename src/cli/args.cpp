#include "cli/args.h"

#include <charconv>
#include <chrono>

#include "core/error.h"
#include "core/parallel.h"

namespace seek::cli {

std::vector<int32_t> parse_token_list(const std::string& s, const char* option) {
  if (s.find_first_not_of(" \t\n") == std::string::npos)
    throw Error(std::string(option) + ": empty; expected token ids like 0,17,200");
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    std::string piece = s.substr(i, j - i);
    while (!piece.empty() && piece.front() == ' ') piece.erase(piece.begin());
    while (!piece.empty() && piece.back() == ' ') piece.pop_back();
    int64_t v = 0;
    auto [end, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), v);
    if (piece.empty() || ec != std::errc() || end != piece.data() + piece.size() || v < 0 || v > INT32_MAX)
      throw Error(std::string(option) + ": '" + piece +
                  "' is not a token id (expected non-negative integers like 0,17,200)");
    ids.push_back(int32_t(v));
    i = j + 1;
  }
  if (ids.empty()) throw Error(std::string(option) + ": no token ids given");
  return ids;
}

Precision parse_precision(const std::string& s) {
  if (s == "f32") return Precision::F32;
  if (s == "bf16") return Precision::BF16;
  throw Error("--dtype: '" + s + "' is not supported (expected f32 or bf16)");
}

AttnForm parse_attn(const std::string& s) {
  if (s == "naive") return AttnForm::Naive;
  if (s == "absorb") return AttnForm::Absorb;
  throw Error("--attn: '" + s + "' is not an attention form (expected naive or absorb)");
}

void add_threads_option(CLI::App* cmd, int& threads) {
  cmd->add_option("--threads", threads, "worker threads, 1 to 4 per core (default: all cores)")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            int64_t n = 0;
            auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
            if (s.empty() || ec != std::errc() || end != s.data() + s.size())
              return "'" + s + "' is not a whole number of threads";
            try {
              check_thread_count(n, "--threads");
            } catch (const Error& e) {
              return std::string(e.what()).substr(std::string("--threads: ").size());
            }
            return "";
          },
          "1..4 per core"));
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace seek::cli
