#include "rl/rejection_sampling.h"

#include "infer/generation_stream.h"

namespace seek {

using json = nlohmann::json;

namespace {

struct Tally {
  int64_t kept = 0, correct = 0, problems_with_kept = 0;
  int64_t incorrect = 0, format = 0, truncated = 0, runaway = 0, mixed_language = 0;
  void add(const Screening& s) {
    kept += s.kept(), correct += !s.incorrect;
    incorrect += s.incorrect, format += s.format, truncated += s.truncated, runaway += s.runaway;
    mixed_language += s.mixed_language;
  }
  json rejected() const {
    return {{"incorrect", incorrect},
            {"format", format},
            {"truncated", truncated},
            {"runaway", runaway},
            {"mixed_language", mixed_language}};
  }
};

json sample_line(const Task& task, const Problem& p, const TaskPrompt& prompt, int64_t j, const Completion& c,
                 const Grade& g, const Screening& s) {
  json meta = {{"task", task.spec()},
               {"id", p.id},
               {"sample", j},
               {"reward", g.reward},
               {"accuracy", g.accuracy},
               {"format", g.format},
               {"tokens", c.tokens.size()},
               {"answer", p.answer},
               {"extracted", g.extracted ? json(*g.extracted) : json(nullptr)},
               {"finish", finish_reason_name(c.finish)},
               {"kept", s.kept()},
               {"rejected", s.reasons()}};
  json messages = json::array(
      {{{"role", "user"}, {"content", prompt.user}},
       {{"role", "assistant"}, {"content", assistant_content(prompt.text, prompt.started_in_think, c.text)}}});
  return {{"messages", messages}, {"meta", meta}};
}

}  // namespace

json run_rejection_sampling(const Assistant& as, const Task& task, const RejectionConfig& cfg, std::ostream& out) {
  cfg.rules.validate();
  const EvalPlan plan = plan_eval(as, task, cfg.draw);
  const EvalDraws draws = draw_samples(as, plan, cfg.draw, "sample");
  Tally t;
  for (size_t i = 0; i < plan.problems.size(); i++) {
    const Problem& p = plan.problems[i];
    const TaskPrompt& prompt = plan.prompts[i];
    int64_t kept_here = 0;
    for (size_t j = 0; j < draws.completions[i].size(); j++) {
      const Completion& c = draws.completions[i][j];
      const Grade g = grade_completion(task, p, prompt, c, plan.reward);
      const Screening s = screen_completion(
          {p.question, c.text, prompt.started_in_think, g.accuracy, g.format, c.truncated()}, cfg.rules);
      t.add(s);
      kept_here += s.kept();
      if (s.kept() || cfg.keep_all) out << sample_line(task, p, prompt, int64_t(j), c, g, s).dump() << "\n";
    }
    t.problems_with_kept += kept_here > 0;
  }
  const int64_t samples = int64_t(plan.problems.size()) * cfg.draw.samples;
  json summary = {{"task", task.spec()},
                  {"split", task_split_name(cfg.draw.split)},
                  {"model", as.dir},
                  {"prompt_style", prompt_style_name(cfg.draw.prompt.style)},
                  {"problems", plan.problems.size()},
                  {"k", cfg.draw.samples},
                  {"samples", samples},
                  {"kept", t.kept},
                  {"kept_fraction", double(t.kept) / double(samples)},
                  {"correct", t.correct},
                  {"rejected", t.rejected()},
                  {"problems_with_kept", t.problems_with_kept},
                  {"max_chars", cfg.rules.max_chars},
                  {"max_foreign", cfg.rules.max_foreign},
                  {"keep", cfg.keep_all ? "all" : "correct"},
                  {"seconds", draws.seconds},
                  {"tokens_per_s", draws.seconds > 0 ? double(draws.tokens) / draws.seconds : 0.0}};
  summary.update(sampling_summary(cfg.draw));
  return summary;
}

}  // namespace seek
