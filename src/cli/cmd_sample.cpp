// seek sample: R1's rejection sampling (rl/rejection_sampling.h): k completions per problem of a task, drawn as
// `seek eval` draws them, the correct and well-formed ones written as SFT-ready JSONL for `seek sft` (--out); the
// summary as JSON on stdout, a progress bar on stderr.
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/commands.h"
#include "cli/draw_options.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/parallel.h"
#include "rl/rejection_sampling.h"

namespace seek::cli {

namespace {
namespace fs = std::filesystem;

struct SampleArgs {
  DrawFlags draw{"train",
                 "train or test; SFT samples must come from the train split (the test split is held out for "
                 "evaluation, and a model trained on it would be scored on problems it has seen)"};
  std::string out, keep = "correct";
  RejectionRules rules;
};

// Before anything is sampled: the output file's folder must exist and the file must not be a folder.
void check_out(const std::string& out) {
  const fs::path parent = fs::path(out).parent_path();
  if (!parent.empty() && !fs::is_directory(parent))
    throw Error("--out " + out + ": the folder " + parent.string() + " does not exist");
  if (fs::is_directory(out)) throw Error("--out " + out + ": is a folder, not a file");
}

void run_sample_cmd(const SampleArgs& a) {
  RejectionConfig cfg;
  cfg.rules = a.rules;
  cfg.rules.validate();
  if (a.keep != "correct" && a.keep != "all") throw Error("--keep '" + a.keep + "': expected correct or all");
  cfg.keep_all = a.keep == "all";
  check_out(a.out);
  set_num_threads(a.draw.threads);
  auto task = make_task(a.draw.task);
  Assistant as = Assistant::load(a.draw.model);
  cfg.draw = a.draw.config(as);
  std::ostringstream lines;
  nlohmann::json summary = run_rejection_sampling(as, *task, cfg, lines);
  const std::string s = lines.str();
  write_file_atomic(a.out, s.data(), s.size());
  summary["out"] = a.out;
  std::printf("%s\n", summary.dump(2).c_str());
}
}  // namespace

void register_sample(CLI::App& app) {
  auto a = std::make_shared<SampleArgs>();
  auto* cmd = app.add_subcommand(
      "sample", "rejection sampling: k completions per problem, the correct and well-formed ones as SFT JSONL");
  a->draw.add_to(cmd);
  cmd->add_option("--out", a->out, "the SFT samples, JSONL ({\"messages\": [...], \"meta\": {...}} per line)")
      ->required();
  cmd->add_option("--keep", a->keep, "correct (only samples that pass every filter) or all (meta says which do)")
      ->capture_default_str();
  cmd->add_option("--max-chars", a->rules.max_chars, "a completion longer than this (characters) is a runaway")
      ->capture_default_str();
  cmd->add_option("--max-foreign", a->rules.max_foreign,
                  "mixed language: the largest share of the chain of thought's words in another script than the "
                  "question's")
      ->capture_default_str();
  cmd->footer(
      "A sample is kept when it passes every filter: incorrect (the task's checker rejects the answer), format "
      "(the format check fails: r1-zero for R1-Zero prompts, think for chat prompts), truncated (it ran out of "
      "tokens or context), runaway (longer than --max-chars, or a loop: a block of 1-256 bytes repeated back to "
      "back at least 4 times over at least 64 bytes), mixed_language (more than --max-foreign of the chain of "
      "thought's words in a Unicode script other than the question's; one-letter words and LaTeX commands are "
      "not counted). The summary counts every filter a sample fails. Rules: src/rl/rejection.h, "
      "src/rl/language.h.");
  cmd->callback([a] { run_sample_cmd(*a); });
}

}  // namespace seek::cli
