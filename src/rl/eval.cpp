#include "rl/eval.h"

#include <chrono>

#include "core/error.h"
#include "core/progress.h"
#include "rl/estimators.h"

namespace seek {

using json = nlohmann::json;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// A float parameter as the decimal it was given as (0.6, not 0.6000000238).
double decimal(float v) { return std::stod(std::to_string(double(v))); }

json opt_json(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

struct Graded {
  json line;
  double pass1 = 0;
  int cons = 0;
  int64_t correct = 0;
};

Graded grade_problem(const Task& task, const Problem& p, const TaskPrompt& prompt, const std::vector<Completion>& cs,
                     const RewardConfig& reward) {
  json comps = json::array(), extracted = json::array(), keys = json::array(), acc = json::array(), fmt = json::array(),
       rewards = json::array(), parts = json::array(), notes = json::array(), finish = json::array(),
       ntok = json::array();
  std::vector<std::optional<std::string>> vote_keys;
  std::vector<int> correct;
  Graded g;
  for (const Completion& c : cs) {
    Grade gr = grade_completion(task, p, prompt, c, reward);
    comps.push_back(c.text);
    extracted.push_back(opt_json(gr.extracted));
    keys.push_back(opt_json(gr.key));
    acc.push_back(gr.accuracy);
    fmt.push_back(gr.format);
    rewards.push_back(gr.reward);
    parts.push_back(gr.components);
    notes.push_back(gr.note);
    finish.push_back(finish_reason_name(c.finish));
    ntok.push_back(c.tokens.size());
    vote_keys.push_back(gr.key);
    correct.push_back(gr.accuracy);
    g.correct += gr.accuracy;
  }
  Vote v = majority_vote(vote_keys, correct);
  g.pass1 = double(g.correct) / double(cs.size());
  g.cons = v.correct ? 1 : 0;
  g.line = {{"id", p.id},
            {"question", p.question},
            {"answer", p.answer},
            {"prompt", prompt.text},
            {"started_in_think", prompt.started_in_think},
            {"completions", comps},
            {"extracted", extracted},
            {"keys", keys},
            {"accuracy", acc},
            {"format", fmt},
            {"rewards", rewards},
            {"components", parts},
            {"notes", notes},
            {"finish", finish},
            {"tokens", ntok},
            {"pass@1", g.pass1},
            {"majority", opt_json(v.key)},
            {"cons", g.cons}};
  return g;
}

}  // namespace

EvalPlan plan_eval(const Assistant& as, const Task& task, const EvalConfig& cfg) {
  if (cfg.samples < 1) throw Error("--samples must be >= 1");
  if (cfg.rollout.max_tokens < 1) throw Error("--max-tokens must be >= 1");
  if (cfg.problems < 0) throw Error("--problems must be >= 0");
  const int64_t n_problems = cfg.problems > 0 ? cfg.problems : task.generated() ? 100 : 0;
  EvalPlan plan;
  plan.problems = task.problems(cfg.seed, n_problems, cfg.split);
  if (plan.problems.empty()) throw Error("task " + task.spec() + ": no problems to evaluate");

  plan.reward = cfg.reward;
  plan.reward.format_rule = cfg.prompt.style == PromptStyle::r1_zero ? FormatRule::r1_zero : FormatRule::think;
  plan.rollout = cfg.rollout;
  plan.rollout.stop_ids = as.stop_ids;
  if (cfg.prompt.style == PromptStyle::r1_zero) plan.rollout.stop.push_back("</answer>");

  const int64_t ctx = as.model->context_length();
  for (const Problem& p : plan.problems) {
    plan.prompts.push_back(build_prompt(as, p.question, cfg.prompt));
    if (int64_t(plan.prompts.back().ids.size()) >= ctx)
      throw Error("problem " + p.id + ": the prompt is " + std::to_string(plan.prompts.back().ids.size()) +
                  " tokens, the model's context is " + std::to_string(ctx));
    plan.seeds.push_back(derive_seed(cfg.seed, stable_hash(p.id)));
  }
  return plan;
}

EvalDraws draw_samples(const Assistant& as, const EvalPlan& plan, const EvalConfig& cfg, const std::string& label) {
  std::vector<std::vector<int32_t>> ids;
  for (const TaskPrompt& p : plan.prompts) ids.push_back(p.ids);
  EvalDraws d;
  const double t0 = now();
  std::unique_ptr<Progress> bar;
  if (cfg.progress) bar = std::make_unique<Progress>(label, int64_t(ids.size()) * cfg.samples, "samples");
  auto done = [&](size_t, int64_t, const Completion& c) {
    d.tokens += int64_t(c.tokens.size());
    d.truncated += c.truncated() ? 1 : 0;
    if (bar) bar->add(1);
  };
  d.completions = sample_completions(as, ids, cfg.samples, plan.rollout, plan.seeds, done);
  if (bar) bar->done();
  d.seconds = now() - t0;
  return d;
}

json sampling_summary(const EvalConfig& cfg) {
  return {{"temperature", decimal(cfg.rollout.sampling.temperature)},
          {"top_p", decimal(cfg.rollout.sampling.top_p)},
          {"max_tokens", cfg.rollout.max_tokens},
          {"seed", cfg.seed}};
}

Grade grade_completion(const Task& task, const Problem& p, const TaskPrompt& prompt, const Completion& c,
                       const RewardConfig& reward) {
  GradeOptions o;
  o.started_in_think = prompt.started_in_think;
  o.n_tokens = int64_t(c.tokens.size());
  return task.grade(c.text, p, reward, o);
}

json run_eval(const Assistant& as, const Task& task, const EvalConfig& cfg, std::ostream* per_problem) {
  const EvalPlan plan = plan_eval(as, task, cfg);
  const std::vector<Problem>& problems = plan.problems;
  const EvalDraws draws = draw_samples(as, plan, cfg, "eval");
  const auto& outs = draws.completions;
  const int64_t tokens = draws.tokens, truncated = draws.truncated;
  const double seconds = draws.seconds;

  std::vector<double> pass1;
  double cons = 0, fmt = 0, rew = 0;
  std::vector<int64_t> correct;
  for (size_t i = 0; i < problems.size(); i++) {
    Graded g = grade_problem(task, problems[i], plan.prompts[i], outs[i], plan.reward);
    pass1.push_back(g.pass1);
    cons += g.cons;
    correct.push_back(g.correct);
    for (auto& f : g.line["format"]) fmt += f.get<double>();
    for (auto& r : g.line["rewards"]) rew += r.get<double>();
    if (per_problem) *per_problem << g.line.dump() << "\n";
  }
  const double P = double(problems.size()), S = P * double(cfg.samples);
  MeanStderr m = mean_stderr(pass1);
  json pass_at = json::object();
  double pass_k = 0;
  for (int64_t k = 1; k <= cfg.samples; k *= 2) {
    double s = 0;
    for (int64_t c : correct) s += pass_at_k(cfg.samples, c, k);
    pass_at[std::to_string(k)] = s / P;
  }
  for (int64_t c : correct) pass_k += pass_at_k(cfg.samples, c, cfg.samples) / P;
  json summary = {{"task", task.spec()},
                  {"split", task_split_name(cfg.split)},
                  {"model", as.dir},
                  {"prompt_style", prompt_style_name(cfg.prompt.style)},
                  {"problems", problems.size()},
                  {"samples", cfg.samples},
                  {"pass@1", m.mean},
                  {"stderr", m.stderr_ ? json(*m.stderr_) : json(nullptr)},
                  {"cons@k", cons / P},
                  {"pass@k", pass_k},
                  {"k", cfg.samples},
                  {"pass_at", pass_at},
                  {"format", fmt / S},
                  {"reward", rew / S},
                  {"mean_tokens", double(tokens) / S},
                  {"truncated", double(truncated) / S},
                  {"seconds", seconds},
                  {"tokens_per_s", seconds > 0 ? double(tokens) / seconds : 0.0}};
  summary.update(sampling_summary(cfg));
  return summary;
}

}  // namespace seek
