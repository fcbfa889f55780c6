// seek eval: a model on a task by the R1 protocol (rl/eval.h): k samples per problem, pass@1 ± its standard error,
// cons@k, pass@k; the per-problem results as JSONL (--out) and the summary as JSON on stdout.
#include <cstdio>
#include <sstream>

#include "cli/commands.h"
#include "cli/draw_options.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/parallel.h"
#include "rl/eval.h"

namespace seek::cli {

namespace {
struct EvalArgs {
  DrawFlags draw{"test", "test (held out) or train"};
  std::string out;
};

void run_eval_cmd(const EvalArgs& a) {
  set_num_threads(a.draw.threads);
  auto task = make_task(a.draw.task);
  Assistant as = Assistant::load(a.draw.model);
  const EvalConfig cfg = a.draw.config(as);
  std::ostringstream lines;
  nlohmann::json summary = run_eval(as, *task, cfg, a.out.empty() ? nullptr : &lines);
  if (!a.out.empty()) {
    const std::string s = lines.str();
    write_file_atomic(a.out, s.data(), s.size());
    summary["out"] = a.out;
  }
  std::printf("%s\n", summary.dump(2).c_str());
}
}  // namespace

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "evaluate a model on a task: pass@1 ± stderr, cons@k, pass@k (R1 protocol)");
  a->draw.add_to(cmd);
  cmd->add_option("--out", a->out, "per-problem results, JSONL");
  cmd->footer(
      "pass@1: mean over problems of the fraction of correct samples; stderr: the standard error of that mean over "
      "problems. cons@k: majority vote over the extracted answers (ties: the answer voted for first). pass@k: the "
      "unbiased estimator 1 - C(n-c,k)/C(n,k) with k = --samples.");
  cmd->callback([a] { run_eval_cmd(*a); });
}

}  // namespace seek::cli
