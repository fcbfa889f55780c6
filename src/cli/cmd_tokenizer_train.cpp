// `seek tokenizer-train`: learn a byte-level BPE vocabulary (DeepSeek-V3's pre-tokenizer and special tokens) from
// text or JSONL files and write tokenizer.json + tokenizer_config.json.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "core/error.h"
#include "core/progress.h"
#include "train/bpe_trainer.h"
#include "train/token_shards.h"

namespace seek::cli {
namespace {

struct TokenizerTrainArgs {
  std::vector<std::string> inputs, specials;
  std::string out;
  int64_t vocab_size = 0, min_frequency = 2;
};

constexpr int64_t kProgressBytes = int64_t(16) << 20;  // inputs smaller than this train too fast to need bars

void run_tokenizer_train(const TokenizerTrainArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  BpeTrainOptions opt;
  opt.vocab_size = a.vocab_size;
  opt.extra_specials = a.specials;
  opt.min_frequency = a.min_frequency;
  // Open every input first, so a missing file fails before any work.
  std::vector<std::unique_ptr<DocumentReader>> readers;
  int64_t total = 0;
  for (const std::string& in : a.inputs) {
    readers.push_back(std::make_unique<DocumentReader>(in));
    total += readers.back()->size_bytes();
  }
  opt.progress = total >= kProgressBytes;
  BpeTrainer trainer(opt);
  {
    std::unique_ptr<Progress> bar;
    if (opt.progress) bar = std::make_unique<Progress>("counting words", total, "B");
    int64_t before = 0;
    for (auto& r : readers) {
      DocumentPiece p;
      while (r->next(p)) {
        trainer.add_text(p.text());
        if (bar) bar->update(before + r->bytes_read());
      }
      before += r->size_bytes();
    }
  }
  const BpeVocab vocab = trainer.train();
  write_bpe_tokenizer(vocab, a.out);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%d tokens (%d special, 256 bytes, %zu merges) from %lld words (%lld distinct) in %.1f s -> %s\n",
              vocab.size(), vocab.n_specials, vocab.merges.size(), static_cast<long long>(trainer.total_words()),
              static_cast<long long>(trainer.distinct_words()), secs,
              (std::filesystem::path(a.out) / "tokenizer.json").string().c_str());
  if (vocab.size() < a.vocab_size)
    std::printf("stopped before %lld tokens: no pair of tokens occurs %lld or more times any more (--min-frequency)\n",
                static_cast<long long>(a.vocab_size), static_cast<long long>(std::max<int64_t>(1, a.min_frequency)));
}

}  // namespace

void register_tokenizer_train(CLI::App& app) {
  auto args = std::make_shared<TokenizerTrainArgs>();
  auto* cmd = app.add_subcommand(
      "tokenizer-train",
      "learn a byte-level BPE tokenizer (DeepSeek-V3's pre-tokenizer and special tokens) from text or JSONL");
  cmd->add_option("--input", args->inputs,
                  "a text file (one document) or a .jsonl file (one document per line, its \"text\"); repeatable")
      ->required();
  cmd->add_option("--vocab-size", args->vocab_size, "tokens in all: special tokens + 256 bytes + merges")->required();
  cmd->add_option("--out", args->out, "folder for tokenizer.json and tokenizer_config.json")->required();
  cmd->add_option("--special", args->specials,
                  "an extra special token, after DeepSeek's (<｜begin▁of▁sentence｜> = 0, <｜end▁of▁sentence｜> = 1, "
                  "<｜▁pad▁｜>, <｜User｜>, <｜Assistant｜>, <think>, </think>); repeatable");
  cmd->add_option("--min-frequency", args->min_frequency, "never merge a pair seen fewer times than this")
      ->capture_default_str();
  cmd->callback([args] { run_tokenizer_train(*args); });
}

}  // namespace seek::cli
