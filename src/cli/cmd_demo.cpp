// seek demo pretrain: the pretraining demo. Trains a small DeepSeek-V3-architecture model (MLA + MoE + MTP) from
// scratch on the corpus that ships with the repository (tinyshakespeare), then writes a continuation with it —
// tokenizer training, data preparation, pretraining and generation end to end, with no download. Every stage is
// kept in --dir, so a second run resumes or reuses what is there.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "infer/assistant.h"
#include "infer/session.h"
#include "train/bpe_trainer.h"
#include "train/checkpoint_dir.h"
#include "train/token_shards.h"
#include "train/trainer.h"

namespace seek::cli {

namespace {
namespace fs = std::filesystem;

struct DemoArgs {
  std::string dir = ".cache/demo-pretrain", corpus, prompt = "ROMEO:\n";
  int64_t steps = 150, tokens = 120;
  int threads = 0;
};

// The repository's corpus: data/tinyshakespeare.txt from the working directory, or from the source tree this
// program was built from.
std::string default_corpus() {
  for (const fs::path& p :
       {fs::path("data/tinyshakespeare.txt"), fs::path(SEEK_SOURCE_DIR) / "data/tinyshakespeare.txt"})
    if (fs::exists(p)) return p.string();
  throw Error("demo: data/tinyshakespeare.txt not found (run from the repository root, or pass --corpus FILE)");
}

void run_demo(const DemoArgs& a) {
  if (a.steps < 1) throw Error("--steps must be >= 1, got " + std::to_string(a.steps));
  if (a.tokens < 0) throw Error("--tokens must be >= 0, got " + std::to_string(a.tokens));
  const std::string corpus = a.corpus.empty() ? default_corpus() : a.corpus;
  check(fs::exists(corpus), "demo: corpus '" + corpus + "' does not exist");
  const std::string tok_dir = a.dir + "/tokenizer", data_dir = a.dir + "/data", run_dir = a.dir + "/run";
  fs::create_directories(a.dir);
  if (!fs::exists(tok_dir + "/tokenizer.json")) {
    std::fprintf(stderr, "demo: 1/4 training a 2048-token byte-level BPE vocabulary on %s\n", corpus.c_str());
    BpeTrainOptions o;
    o.vocab_size = 2048;
    BpeTrainer trainer(o);
    std::ifstream in(corpus, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    trainer.add_text(text);
    write_bpe_tokenizer(trainer.train(), tok_dir);
  }
  if (!fs::exists(data_dir + "/index.json")) {
    std::fprintf(stderr, "demo: 2/4 tokenizing the corpus into train/val shards\n");
    TokenShardsOptions o;
    o.inputs = {corpus};
    o.out_dir = data_dir;
    write_token_shards(tok_dir, o);
  }
  train::TrainConfig c;
  c.preset = "tiny";
  c.data = data_dir;
  c.out = run_dir;
  c.max_steps = a.steps;
  c.seq_len = 128;
  c.batch_size = 16;
  c.precision = "bf16";
  c.eval_every = 50;
  c.sample_every = 50;
  c.checkpoint_every = 50;
  c.threads = a.threads;
  const auto latest = latest_checkpoint(run_dir);
  const bool done = latest && fs::path(*latest).filename() == "step-" + std::to_string(a.steps);
  if (!done) {
    std::fprintf(
        stderr,
        "demo: 3/4 pretraining the 'tiny' preset (MLA + 8-expert MoE + MTP, 4.3M parameters) for %lld steps%s\n",
        (long long)a.steps, latest ? ", resuming" : "");
    const nlohmann::json s = train::run_training(c, latest.has_value());
    std::fprintf(stderr,
                 "demo: val loss %.3f (a unigram model: %.3f), %.0f tokens/s, %.1f%% of this machine's matmul peak; "
                 "chart: %s/report.html\n",
                 s.value("final_val_loss", 0.0), s.value("unigram_val_loss", 0.0),
                 s.value("tokens_seen", 0) / std::max(1e-9, s.value("train_seconds", 1.0)),
                 100 * s.value("utilization", 0.0), run_dir.c_str());
  }
  std::fprintf(stderr, "demo: 4/4 generating from the trained model\n\n");
  Assistant as = Assistant::load(run_dir);
  GenerationRequest req;
  req.prompt = as.encode_raw(a.prompt);
  req.max_tokens = a.tokens;
  req.sampling.temperature = 0.8;
  req.sampling.seed = 1;
  std::fputs(a.prompt.c_str(), stdout);
  Session session(*as.model, &as.tokenizer);
  const GenerationResult r = session.generate(req, [](const std::string& piece) {
    std::fputs(piece.c_str(), stdout);
    std::fflush(stdout);
  });
  std::printf("\n\ndemo: %zu tokens at %.0f tok/s. Talk to it: ./build/seek chat --model %s\n", r.tokens.size(),
              double(r.tokens.size()) / std::max(1e-9, r.decode_seconds), run_dir.c_str());
}
}  // namespace

void register_r1_demo(CLI::App* cmd);  // cmd_demo_r1.cpp

void register_demo(CLI::App& app) {
  auto* demo = app.add_subcommand(
      "demo", "the R1-Zero story: pretrain a tiny DeepSeek-V3 on worked problems, measure it, GRPO, measure again");
  register_r1_demo(demo);
  auto a = std::make_shared<DemoArgs>();
  auto* cmd = demo->add_subcommand(
      "pretrain", "train a small DeepSeek-V3-style model on the built-in corpus, then generate with it");
  cmd->add_option("--dir", a->dir, "where to keep the tokenizer, data and training run")->capture_default_str();
  cmd->add_option("--corpus", a->corpus, "train on this text file instead of data/tinyshakespeare.txt");
  cmd->add_option("--steps", a->steps, "training steps (2048 tokens each)")->capture_default_str();
  cmd->add_option("--prompt", a->prompt, "text to continue")->capture_default_str();
  cmd->add_option("--tokens", a->tokens, "tokens to generate")->capture_default_str();
  add_threads_option(cmd, a->threads);
  cmd->callback([a] { run_demo(*a); });
}

}  // namespace seek::cli
