// seek demo: the R1-Zero story end to end on a laptop CPU, with nothing downloaded.
//   1. a corpus of worked problems of a synthetic task (R1-Zero prompt, <think> steps, <answer>), a fraction of them
//      with an arithmetic slip, from the task's training split only;
//   2. a byte-level BPE tokenizer and token shards of it;
//   3. pretraining a tiny DeepSeek-V3-architecture model (MLA + MoE + MTP) on it: DIR/base, imperfect by design;
//   4. held-out pass@1 (k samples per problem, problems never seen in pretraining or RL);
//   5. GRPO with rule-based rewards on the pretrained model: DIR/rl;
//   6. the same evaluation again: the before/after table with standard errors, a trace before and after, the
//      reward curve (DIR/rl/report.html) and what it cost. DIR/summary.json holds the numbers.
// Every stage is kept in DIR, so a second run reuses what is there.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/parallel.h"
#include "formats/safetensors_write.h"
#include "infer/assistant.h"
#include "rl/corpus.h"
#include "rl/eval.h"
#include "rl/grpo_trainer.h"
#include "rl/rl_config.h"
#include "train/bpe_trainer.h"
#include "train/checkpoint_dir.h"
#include "train/token_shards.h"
#include "train/trainer.h"

namespace seek::cli {

namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

struct R1DemoArgs {
  std::string out = ".cache/demo";
  std::string task = "arithmetic:digits=1,terms=3,ops=+";
  int64_t corpus = 20000, pretrain_steps = 1000, rl_steps = 90, problems = 90, samples = 8;
  double wrong_fraction = 0.5, untagged_fraction = 0.7, temperature = 0.6, price = 0;
  uint64_t seed = 1;
  int threads = 0;
};

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void write_text(const std::string& path, const std::string& text) { write_file_durable(path, text.data(), text.size()); }

// Stages 1-2: the corpus, its tokenizer and shards.
// What the corpus was made from: a second run reuses DIR only if these are the same.
json corpus_settings(const R1DemoArgs& a, const Task& task) {
  return {{"task", task.spec()}, {"documents", a.corpus}, {"wrong_fraction", a.wrong_fraction},
          {"untagged_fraction", a.untagged_fraction}, {"seed", a.seed}};
}

void make_data(const R1DemoArgs& a, const Task& task, const std::string& dir) {
  const std::string rec = dir + "/corpus_settings.json";
  const json want = corpus_settings(a, task);
  if (fs::exists(rec)) {
    const json had = json::parse(read_text_file(rec), nullptr, false);
    check(had == want, dir + " holds a demo made with other settings (" + rec + ": " + had.dump() +
                           "); choose another --out or remove it");
    if (fs::exists(dir + "/data/index.json")) return;
  } else {
    check(!fs::exists(dir + "/data") && !fs::exists(dir + "/base"),
          dir + " holds something else (a data/ or base/ folder but no corpus_settings.json, e.g. an earlier "
                "pretraining demo); choose another --out or remove it");
  }
  std::fprintf(stderr,
               "demo: 1/6 writing %lld worked problems of %s (%.0f%% with a slip, %.0f%% with the answer in words "
               "instead of <answer> tags), train split only\n",
               (long long)a.corpus, task.spec().c_str(), 100 * a.wrong_fraction, 100 * a.untagged_fraction);
  CorpusOptions co;
  co.n = a.corpus, co.wrong_fraction = a.wrong_fraction, co.untagged_fraction = a.untagged_fraction;
  co.seed = a.seed;
  std::string jsonl;
  BpeTrainOptions bo;
  bo.vocab_size = 1024;
  BpeTrainer bpe(bo);
  for (const CorpusItem& it : make_corpus(task, co)) {
    jsonl += json{{"text", it.text()}}.dump() + "\n";
    bpe.add_text(it.text());
  }
  write_text(dir + "/corpus.jsonl", jsonl);
  std::fprintf(stderr, "demo: 2/6 training a byte-level BPE tokenizer and writing token shards\n");
  write_bpe_tokenizer(bpe.train(), dir + "/tokenizer");
  TokenShardsOptions so;
  so.inputs = {dir + "/corpus.jsonl"};
  so.out_dir = dir + "/data";
  write_token_shards(dir + "/tokenizer", so);
  write_text(rec, want.dump(2) + "\n");
}

// Stage 3: pretraining (resumed if a previous demo was interrupted).
void pretrain(const R1DemoArgs& a, const std::string& dir) {
  train::TrainConfig c;
  c.preset = "tiny";
  c.data = dir + "/data";
  c.out = dir + "/base";
  c.max_steps = a.pretrain_steps;
  c.seq_len = 128;
  c.batch_size = 16;
  c.precision = "bf16";
  c.eval_every = c.sample_every = c.checkpoint_every = std::max<int64_t>(1, a.pretrain_steps / 3);
  c.price_per_hour = a.price;
  c.threads = a.threads;
  c.seed = a.seed;
  const auto latest = latest_checkpoint(c.out);
  if (latest && fs::path(*latest).filename() == "step-" + std::to_string(a.pretrain_steps)) return;
  std::fprintf(stderr, "demo: 3/6 pretraining a tiny DeepSeek-V3 (MLA + MoE + MTP) on it for %lld steps%s\n",
               (long long)a.pretrain_steps, latest ? ", resuming" : "");
  train::run_training(c, latest.has_value());
}

// Stages 4 and 6: held-out pass@1 of a model folder, per-problem lines to `lines`. Always measured (seconds), never
// reused: the settings or the model may have changed since a previous run.
json evaluate(const R1DemoArgs& a, const Task& task, const std::string& model, const std::string& lines) {
  const Assistant as = Assistant::load(model);
  EvalConfig ec;
  ec.problems = a.problems, ec.samples = a.samples, ec.seed = a.seed + 1000;  // fresh held-out problems
  ec.rollout.sampling.temperature = float(a.temperature);
  ec.rollout.sampling.top_p = 0.95f;
  ec.rollout.max_tokens = 64;
  ec.prompt.style = PromptStyle::r1_zero;
  std::ofstream per(lines);
  return run_eval(as, task, ec, &per);
}

json rl_stage(const R1DemoArgs& a, const std::string& dir) {
  rl::RlRequest req;
  req.settings = rl::rl_preset("arithmetic");
  req.settings.update(json{{"model", dir + "/base"}, {"out", dir + "/rl"}, {"task", a.task}, {"steps", a.rl_steps},
                           {"seed", a.seed}, {"price_per_hour", a.price}, {"threads", a.threads}});
  const auto latest = latest_checkpoint(dir + "/rl");
  if (latest && fs::path(*latest).filename() == "step-" + std::to_string(a.rl_steps))
    return json::parse(read_text_file(dir + "/rl/summary.json"));
  req.resume = latest.has_value();
  if (req.resume) req.settings = {{"out", dir + "/rl"}, {"steps", a.rl_steps}};
  std::fprintf(stderr, "demo: 5/6 GRPO with rule-based rewards (accuracy + format) for %lld steps%s\n",
               (long long)a.rl_steps, req.resume ? ", resuming" : "");
  return rl::run_rl(req);
}

// The gain in pass@1 on the same problems (both evaluations draw the same ones): the mean of the per-problem
// differences and its standard error over problems (paired, so the problems' own difficulty cancels).
struct Paired {
  double mean = 0, stderr_ = 0;
};
Paired paired_gain(const std::string& before, const std::string& after) {
  std::ifstream b(before), r(after);
  std::vector<double> d;
  for (std::string lb, lr; std::getline(b, lb) && std::getline(r, lr);) {
    const json jb = json::parse(lb), jr = json::parse(lr);
    check(jb.at("id") == jr.at("id"), before + " and " + after + " evaluate different problems");
    d.push_back(jr.at("pass@1").get<double>() - jb.at("pass@1").get<double>());
  }
  check(d.size() >= 2, before + ": fewer than 2 problems");
  Paired p;
  for (double x : d) p.mean += x / double(d.size());
  double var = 0;
  for (double x : d) var += (x - p.mean) * (x - p.mean) / double(d.size() - 1);
  p.stderr_ = std::sqrt(var / double(d.size()));
  return p;
}

std::string pm(const json& e) {
  char b[64];
  std::snprintf(b, sizeof b, "%.3f ± %.3f", e.value("pass@1", 0.0), e["stderr"].is_number() ? e["stderr"].get<double>() : 0.0);
  return b;
}

// Two problems, each with its first sample before and after RL: problems the pretrained model got wrong and the RL
// model right in that sample where there are such, else the first ones.
void print_traces(const std::string& before, const std::string& after) {
  std::ifstream b(before), r(after);
  std::vector<std::pair<json, json>> all, flipped;
  for (std::string lb, lr; std::getline(b, lb) && std::getline(r, lr);) {
    all.emplace_back(json::parse(lb), json::parse(lr));
    if (all.back().first["accuracy"][0] == 0 && all.back().second["accuracy"][0] == 1) flipped.push_back(all.back());
  }
  const auto& show = flipped.size() >= 2 ? flipped : all;
  for (size_t i = 0; i < std::min<size_t>(2, show.size()); i++) {
    const auto& [jb, jr] = show[i];
    std::printf("\n%s  (answer %s)\n  before RL: %s\n  after RL:  %s\n", jb.value("question", "").c_str(),
                jb.value("answer", "").c_str(), jb["completions"][0].get<std::string>().c_str(),
                jr["completions"][0].get<std::string>().c_str());
  }
}

void run_r1_demo(const R1DemoArgs& a) {
  check(a.pretrain_steps >= 1 && a.rl_steps >= 1, "--pretrain-steps and --rl-steps must be >= 1");
  check(a.problems >= 1 && a.samples >= 1, "--problems and --samples must be >= 1");
  check(a.wrong_fraction >= 0 && a.wrong_fraction < 1, "--wrong-fraction must be in [0, 1)");
  check(a.untagged_fraction >= 0 && a.untagged_fraction < 1, "--untagged-fraction must be in [0, 1)");
  if (a.threads > 0) set_num_threads(a.threads);
  const std::unique_ptr<Task> task = make_task(a.task);
  check(task->generated(), "demo: --task must be a synthetic task (arithmetic or countdown)");
  const std::string dir = a.out;
  fs::create_directories(dir);
  const double t0 = now();
  make_data(a, *task, dir);
  pretrain(a, dir);
  std::fprintf(stderr, "demo: 4/6 held-out pass@1 of the pretrained model (%lld problems x %lld samples)\n",
               (long long)a.problems, (long long)a.samples);
  const json before = evaluate(a, *task, dir + "/base", dir + "/eval_base.jsonl");
  const json rl = rl_stage(a, dir);
  std::fprintf(stderr, "demo: 6/6 held-out pass@1 after RL\n");
  const json after = evaluate(a, *task, dir + "/rl", dir + "/eval_rl.jsonl");
  const json base_summary = json::parse(read_text_file(dir + "/base/summary.json"));
  const double pre_s = base_summary.value("train_seconds", 0.0);
  const double rl_s = rl.value("train_seconds", 0.0) + rl.value("rollout_seconds", 0.0);
  const Paired pg = paired_gain(dir + "/eval_base.jsonl", dir + "/eval_rl.jsonl");
  const double gain = pg.mean, se = pg.stderr_;
  std::printf("\nheld-out pass@1 on %lld fresh %s problems, %lld samples each (temperature %.1f):\n",
              (long long)a.problems, task->name().c_str(), (long long)a.samples, a.temperature);
  std::printf("  pretrained      %s   cons@%lld %.3f\n", pm(before).c_str(), (long long)a.samples,
              before.value("cons@k", 0.0));
  std::printf("  after GRPO      %s   cons@%lld %.3f\n", pm(after).c_str(), (long long)a.samples,
              after.value("cons@k", 0.0));
  std::printf("  gain            %+.3f ± %.3f (paired over problems: %.1f standard errors)\n", gain, se,
              se > 0 ? gain / se : 0.0);
  print_traces(dir + "/eval_base.jsonl", dir + "/eval_rl.jsonl");
  const double hours = (pre_s + rl_s) / 3600.0;
  std::printf("\npretraining %.0f s, RL %.0f s (%lld steps); this command ran %.0f s on %s; cost %s\n", pre_s, rl_s,
              (long long)rl.value("steps", 0), now() - t0, rl.value("device", std::string("cpu")).c_str(),
              a.price > 0 ? ("$" + std::to_string(hours * a.price)).c_str() : "not priced (--price-per-hour)");
  std::printf("reward curve: %s/rl/report.html; models: %s/base, %s/rl (seek eval --model ... --task %s)\n",
              dir.c_str(), dir.c_str(), dir.c_str(), task->spec().c_str());
  const json summary = {{"task", task->spec()},
                        {"eval", {{"problems", a.problems}, {"samples", a.samples}, {"temperature", a.temperature},
                                  {"seed", a.seed + 1000}, {"split", "test"}}},
                        {"before", before},
                        {"after", after},
                        {"gain", gain},
                        {"gain_stderr", se},
                        {"models", {{"base", dir + "/base"}, {"rl", dir + "/rl"}}},
                        {"corpus",
                         {{"documents", a.corpus}, {"wrong_fraction", a.wrong_fraction},
                          {"untagged_fraction", a.untagged_fraction}}},
                        {"pretrain_steps", a.pretrain_steps},
                        {"rl_steps", a.rl_steps},
                        {"pretrain_seconds", pre_s},
                        {"rl_seconds", rl_s},
                        {"device_hours", hours},
                        {"cost_usd", hours * a.price}};
  write_text(dir + "/summary.json", summary.dump(2) + "\n");
}

}  // namespace

void register_r1_demo(CLI::App* cmd) {
  auto a = std::make_shared<R1DemoArgs>();
  cmd->add_option("--out", a->out, "folder for every stage: corpus, tokenizer, data, base/, rl/, summary.json")
      ->capture_default_str();
  cmd->add_option("--task", a->task, "a synthetic task spec")->capture_default_str();
  cmd->add_option("--corpus", a->corpus, "worked problems in the pretraining corpus")->capture_default_str();
  cmd->add_option("--wrong-fraction", a->wrong_fraction, "share of them with a slip")->capture_default_str();
  cmd->add_option("--untagged-fraction", a->untagged_fraction, "share with the answer in words, not in <answer> tags")
      ->capture_default_str();
  cmd->add_option("--pretrain-steps", a->pretrain_steps, "pretraining steps")->capture_default_str();
  cmd->add_option("--rl-steps", a->rl_steps, "GRPO steps")->capture_default_str();
  cmd->add_option("--problems", a->problems, "held-out problems evaluated")->capture_default_str();
  cmd->add_option("--samples", a->samples, "samples per problem (k)")->capture_default_str();
  cmd->add_option("--temperature", a->temperature, "evaluation temperature")->capture_default_str();
  cmd->add_option("--seed", a->seed, "seed of the corpus, the model and the samples")->capture_default_str();
  cmd->add_option("--price-per-hour", a->price, "money per device-hour, for the cost");
  add_threads_option(cmd, a->threads);
  cmd->callback([a, cmd] {
    if (cmd->get_subcommands().empty()) run_r1_demo(*a);
  });
}

}  // namespace seek::cli
