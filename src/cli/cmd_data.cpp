// `seek data`: text / JSONL documents -> token shards for training (see src/train/token_shards.h for the format).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "train/token_shards.h"

namespace seek::cli {
namespace {

struct DataArgs {
  std::string tokenizer, out, shard_tokens = "16M";
  std::vector<std::string> inputs;
  double val_fraction = 0.05;
  uint64_t seed = 1;
};

// "16M", "64K", "1G", "1000000", "1e6" -> a token count (K, M, G are powers of 1000).
int64_t parse_tokens(const std::string& s, const char* option) {
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(s, &pos);
  } catch (...) {
    throw Error(std::string(option) + ": '" + s + "' is not a token count (e.g. 16M, 500K, 1000000)");
  }
  std::string unit = s.substr(pos);
  if (unit == "K" || unit == "k")
    v *= 1e3;
  else if (unit == "M" || unit == "m")
    v *= 1e6;
  else if (unit == "G" || unit == "g" || unit == "B" || unit == "b")
    v *= 1e9;
  else if (!unit.empty())
    throw Error(std::string(option) + ": unknown unit '" + unit + "' in '" + s + "' (use K, M or G)");
  if (!(v >= 1 && v <= 1e15)) throw Error(std::string(option) + ": " + s + " is not a positive token count");
  return int64_t(v);
}

constexpr int64_t kProgressBytes = int64_t(16) << 20;

void run_data(const DataArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  TokenShardsOptions o;
  o.inputs = a.inputs;
  o.out_dir = a.out;
  o.val_fraction = a.val_fraction;
  o.shard_tokens = parse_tokens(a.shard_tokens, "--shard-tokens");
  o.seed = a.seed;
  int64_t total = 0;
  std::error_code ec;
  for (const std::string& in : a.inputs) {
    auto size = std::filesystem::file_size(in, ec);
    if (!ec) total += int64_t(size);
  }
  o.progress = total >= kProgressBytes;
  const TokenShardsIndex x = write_token_shards(a.tokenizer, o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto line = [](const char* name, const SplitInfo& s) {
    std::printf("%-5s %12lld tokens  %8lld documents  %4zu shard(s)\n", name, static_cast<long long>(s.tokens),
                static_cast<long long>(s.documents), s.shards.size());
  };
  line("train", x.train);
  line("val", x.val);
  std::printf("%s, vocab %lld, split by %s, %.1f s -> %s\n", token_dtype_name(x.dtype),
              static_cast<long long>(x.vocab_size), x.provenance.value("val_split", std::string("?")).c_str(), secs,
              (std::filesystem::path(a.out) / "index.json").string().c_str());
}

}  // namespace

void register_data(CLI::App& app) {
  auto args = std::make_shared<DataArgs>();
  auto* cmd = app.add_subcommand("data", "tokenize text / JSONL documents into token shards for training");
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer.json or a folder holding one")->required();
  cmd->add_option("--input", args->inputs,
                  "a text file (one document) or a .jsonl file (one document per line, its \"text\"); repeatable")
      ->required();
  cmd->add_option("--out", args->out, "folder for the shards, index.json and a copy of the tokenizer")->required();
  cmd->add_option("--val-fraction", args->val_fraction,
                  "share for validation: whole documents (20 or more documents) or each document's tail")
      ->capture_default_str();
  cmd->add_option("--shard-tokens", args->shard_tokens, "tokens per shard file (K, M, G = 10^3, 10^6, 10^9)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "chooses the validation documents")->capture_default_str();
  cmd->callback([args] { run_data(*args); });
}

}  // namespace seek::cli
