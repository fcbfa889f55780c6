#include "rl/grpo_trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "formats/checkpoint.h"
#include "formats/safetensors.h"
#include "formats/safetensors_write.h"
#include "infer/assistant.h"
#include "model/borrowed_model.h"
#include "model/deepseek_train.h"
#include "rl/eval.h"
#include "rl/policy_batch.h"
#include "rl/prompt.h"
#include "rl/rl_report.h"
#include "rl/rng.h"
#include "rl/sample.h"
#include "rl/task.h"
#include "train/adamw.h"
#include "train/checkpoint_dir.h"
#include "train/metrics.h"
#include "train/optimizer_params.h"
#include "train/trainer_state.h"

namespace seek::rl {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The folder the policy starts from must hold a DeepSeek-architecture model: say what it is otherwise.
DeepSeekConfig policy_config(const std::string& dir) {
  const fs::path cj = fs::path(dir) / "config.json";
  check(fs::exists(cj), dir + ": no config.json (seek rl --model takes a model folder or a seek train run folder)");
  const json j = json::parse(read_text_file(cj.string()), nullptr, false);
  check(j.is_object(), cj.string() + ": not a JSON object");
  const std::string type = j.value("model_type", "");
  check(type == "deepseek_v3" || type == "deepseek_v2",
        dir + ": model_type '" + type +
            "': seek rl trains DeepSeek-architecture models (deepseek_v2, deepseek_v3); dense models are not "
            "supported by the RL trainer yet");
  check(fs::exists(fs::path(dir) / "tokenizer.json"), dir + ": no tokenizer.json (rollouts need the tokenizer)");
  return load_deepseek_config(dir);
}

void copy_params(const TrainableDeepSeek& from, TrainableDeepSeek& to) {
  auto& dst = to.params().all();
  const auto& src = from.params().all();
  for (size_t i = 0; i < src.size(); i++) std::copy(src[i].value.begin(), src[i].value.end(), dst[i].value.begin());
}

void load_params(TrainableDeepSeek& m, const std::string& file) {
  const SafetensorsFile f = SafetensorsFile::open(file);
  for (auto& p : m.params().all()) {
    const Tensor t = f.tensor(p.name).to_f32();
    check(t.numel() == p.numel(), file + ": tensor " + p.name + " has the wrong size");
    std::copy(t.f32(), t.f32() + t.numel(), p.value.begin());
  }
}

void save_params(const TrainableDeepSeek& m, const std::string& file) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& p : m.params().all())
    tensors.emplace_back(p.name, Tensor::view_of(DType::F32, p.shape, const_cast<float*>(p.value.data()), nullptr));
  save_safetensors(file, tensors);
}

// The samples of one step, graded.
struct Rollouts {
  std::vector<Problem> problems;
  std::vector<TaskPrompt> prompts;
  std::vector<std::vector<Completion>> completions;  // [P][G]
  std::vector<Grade> grades;                         // [P*G]
  std::vector<double> rewards;                       // [P*G]
  int64_t tokens = 0;
  double seconds = 0;
};

struct StepStats {
  GrpoStats grpo;
  double grad_norm = 0, lr = 0, train_seconds = 0;
  int64_t train_tokens = 0;
};

class GrpoTrainer {
 public:
  GrpoTrainer(RlConfig cfg, std::optional<std::string> latest, TrainerState st, const RlRequest& req);
  json run();

 private:
  Rollouts collect(int64_t step);
  void capture_logp(TrainableDeepSeek& m, const PolicyBatch& b, std::vector<float>& out);
  StepStats optimize(PolicyBatch& b);
  json step_record(const Rollouts& r, const StepStats& s, double elapsed) const;
  json evaluate();
  void checkpoint();
  json summary() const;
  const DeepSeekModel& rollout_model();

  RlConfig cfg_;
  const RlRequest& req_;
  const std::optional<std::string> latest_;
  const std::string source_;  // the folder config.json, tokenizer.json and the template come from
  const DeepSeekConfig mc_;
  TrainableDeepSeek model_;
  std::unique_ptr<TrainableDeepSeek> ref_;  // beta > 0
  std::vector<OptimizerParam> ops_;
  AdamW opt_;
  TrainerState st_;
  MetricsWriter metrics_;
  BorrowedModel* borrowed_ = nullptr;  // owned by as_
  std::unique_ptr<Assistant> as_;
  std::unique_ptr<Task> task_;
  PromptOptions popt_;
  RewardConfig reward_;
  RolloutParams rollout_;
  int64_t step_ = 0, ref_step_ = 0, rollout_tokens_ = 0, train_tokens_ = 0;
  double train_seconds_ = 0, rollout_seconds_ = 0;
  json first_eval_, last_eval_, last_record_;
};

GrpoTrainer::GrpoTrainer(RlConfig cfg, std::optional<std::string> latest, TrainerState st, const RlRequest& req)
    : cfg_(std::move(cfg)),
      req_(req),
      latest_(std::move(latest)),
      source_(latest_ ? *latest_ : resolve_model_dir(cfg_.model)),
      mc_(policy_config(source_)),
      model_(mc_),
      ops_(optimizer_params(model_.params())),
      opt_(AdamWConfig{cfg_.beta1, cfg_.beta2, 1e-8, cfg_.weight_decay}, ops_),
      st_(std::move(st)),
      metrics_(cfg_.out, latest_ ? std::optional<int64_t>(st_.step) : std::nullopt),
      task_(make_task(cfg_.task)) {
  model_.load(source_);
  auto borrowed = std::make_unique<BorrowedModel>(model_.inference_model());
  borrowed_ = borrowed.get();
  as_ = std::make_unique<Assistant>(Assistant::with_model(source_, std::move(borrowed)));
  // Resolved once, at the start of a run, and recorded: a resumed run reads its prompts the same way.
  popt_.style = resolve_prompt_style(cfg_.prompt_style, *as_);
  cfg_.prompt_style = prompt_style_name(popt_.style);
  popt_.open_think = cfg_.open_think;
  reward_ = cfg_.reward;
  reward_.format_rule = popt_.style == PromptStyle::r1_zero ? FormatRule::r1_zero : FormatRule::think;
  rollout_.sampling.temperature = float(cfg_.temperature);
  rollout_.sampling.top_p = float(cfg_.top_p);
  rollout_.max_tokens = cfg_.max_tokens;
  rollout_.stop_ids = as_->stop_ids;
  if (popt_.style == PromptStyle::r1_zero) rollout_.stop.push_back("</answer>");
  if (cfg_.objective.beta > 0) ref_ = std::make_unique<TrainableDeepSeek>(mc_);
  if (latest_) {
    restore_optimizer_state(st_, opt_);
    step_ = st_.step;
    const json& x = st_.extra;
    train_seconds_ = x.value("train_seconds", 0.0), rollout_seconds_ = x.value("rollout_seconds", 0.0);
    rollout_tokens_ = x.value("rollout_tokens", int64_t(0)), train_tokens_ = x.value("train_tokens", int64_t(0));
    ref_step_ = x.value("ref_step", int64_t(0));
    first_eval_ = x.value("first_eval", json()), last_eval_ = x.value("last_eval", json());
    if (ref_) load_params(*ref_, *latest_ + "/ref.safetensors");
  } else if (ref_) {
    copy_params(model_, *ref_);
  }
}

const DeepSeekModel& GrpoTrainer::rollout_model() {
  return cfg_.rollout_precision == "bf16" ? model_.bf16_inference_model() : model_.inference_model();
}

// P training problems for the step, G samples each on the live policy, graded.
Rollouts GrpoTrainer::collect(int64_t step) {
  Rollouts r;
  const uint64_t step_seed = derive_seed(derive_seed(cfg_.seed, 0x5EED), uint64_t(step));
  r.problems = task_->problems(step_seed, cfg_.prompts, TaskSplit::train);
  std::vector<std::vector<int32_t>> ids;
  std::vector<uint64_t> seeds;
  const int64_t ctx = mc_.max_position_embeddings;
  for (size_t i = 0; i < r.problems.size(); i++) {
    r.prompts.push_back(build_prompt(*as_, r.problems[i].question, popt_));
    const int64_t n = int64_t(r.prompts.back().ids.size());
    check(n + 1 < ctx, "problem " + r.problems[i].id + ": the prompt is " + std::to_string(n) +
                           " tokens, the model's context is " + std::to_string(ctx));
    ids.push_back(r.prompts.back().ids);
    seeds.push_back(derive_seed(step_seed, i));
  }
  borrowed_->rebind(rollout_model());
  const double t0 = now_seconds();
  r.completions = sample_completions(*as_, ids, cfg_.group_size, rollout_, seeds);
  r.seconds = now_seconds() - t0;
  for (size_t i = 0; i < r.problems.size(); i++)
    for (const Completion& c : r.completions[i]) {
      GradeOptions o;
      o.started_in_think = r.prompts[i].started_in_think;
      o.n_tokens = int64_t(c.tokens.size());
      r.grades.push_back(task_->grade(c.text, r.problems[i], reward_, o));
      r.rewards.push_back(r.grades.back().reward);
      r.tokens += int64_t(c.tokens.size());
    }
  return r;
}

// Log-probs of every counted target under `m` into out[S*T] (the sampling policy's, or the reference's).
void GrpoTrainer::capture_logp(TrainableDeepSeek& m, const PolicyBatch& b, std::vector<float>& out) {
  const Precision p = cfg_.precision == "bf16" ? Precision::BF16 : Precision::F32;
  for (int64_t s0 = 0; s0 < b.S; s0 += cfg_.microbatch) {
    const int64_t n = std::min(cfg_.microbatch, b.S - s0), row0 = s0 * b.T;
    m.forward_objective(
        b.tokens.data() + row0, n, b.T, b.targets.data() + row0,
        [&](int64_t r0, int64_t k, const double* lp, const double*, double* d) {
          for (int64_t i = 0; i < k; i++) out[size_t(row0 + r0 + i)] = float(lp[i]), d[i] = 0;
          return 0.0;
        },
        p, /*backward_follows=*/false);
  }
}

// `epochs` optimizer steps over the batch. With one epoch the sampling policy is the current one: its log-probs are
// the forward's own (the ratio is 1, its gradient the policy gradient), so no extra pass is needed.
StepStats GrpoTrainer::optimize(PolicyBatch& b) {
  const double t0 = now_seconds();
  const Precision p = cfg_.precision == "bf16" ? Precision::BF16 : Precision::F32;
  if (cfg_.epochs > 1) capture_logp(model_, b, b.grpo.old_logp);
  if (ref_) capture_logp(*ref_, b, b.grpo.ref_logp);
  StepStats s;
  s.lr = cfg_.lr * (cfg_.warmup_steps > 0 ? std::min(1.0, double(step_ + 1) / double(cfg_.warmup_steps)) : 1.0);
  for (int64_t e = 0; e < cfg_.epochs; e++) {
    model_.params().zero_grad();
    GrpoStats st;
    for (int64_t s0 = 0; s0 < b.S; s0 += cfg_.microbatch) {
      const int64_t n = std::min(cfg_.microbatch, b.S - s0), row0 = s0 * b.T;
      model_.forward_objective(
          b.tokens.data() + row0, n, b.T, b.targets.data() + row0,
          [&](int64_t r0, int64_t k, const double* lp, const double* ent, double* d) {
            if (cfg_.epochs == 1)
              for (int64_t i = 0; i < k; i++) b.grpo.old_logp[size_t(row0 + r0 + i)] = float(lp[i]);
            return grpo_token_loss(cfg_.objective, b.grpo, row0 + r0, k, lp, ent, d, st);
          },
          p, /*backward_follows=*/true);
      model_.backward();
    }
    st.finish();
    s.grpo = st;
    s.grad_norm = cfg_.grad_clip > 0 ? clip_grad_norm(ops_, cfg_.grad_clip) : global_grad_norm(ops_);
    if (!std::isfinite(st.loss) || !std::isfinite(s.grad_norm)) {
      const auto last = latest_checkpoint(cfg_.out);
      throw Error("step " + std::to_string(step_ + 1) + ": GRPO diverged (loss " + std::to_string(st.loss) +
                  ", gradient norm " + std::to_string(s.grad_norm) + "); the update was not applied and " +
                  (last ? "the last good checkpoint is " + *last : std::string("no checkpoint was written yet")));
    }
    opt_.step(s.lr);
  }
  if (cfg_.rollout_precision == "bf16") model_.refresh_bf16();
  s.train_tokens = b.S * b.T * (cfg_.epochs + (cfg_.epochs > 1) + (ref_ != nullptr));
  s.train_seconds = now_seconds() - t0;
  return s;
}

json GrpoTrainer::step_record(const Rollouts& r, const StepStats& s, double elapsed) const {
  const int64_t G = cfg_.group_size, N = int64_t(r.rewards.size());
  double acc = 0, fmt = 0, racc = 0, rfmt = 0, rlen = 0, mean = 0, zero_std = 0, trunc = 0, len = 0, tlen = 0;
  int64_t terminated = 0;
  for (int64_t i = 0; i < N; i++) {
    const Grade& g = r.grades[size_t(i)];
    const Completion& c = r.completions[size_t(i / G)][size_t(i % G)];
    acc += g.accuracy, fmt += g.format, mean += r.rewards[size_t(i)];
    racc += g.components.value("accuracy", 0.0), rfmt += g.components.value("format", 0.0);
    rlen += g.components.value("length", 0.0);
    len += double(c.tokens.size());
    if (c.finish == FinishReason::length || c.finish == FinishReason::context)
      trunc++;
    else
      tlen += double(c.tokens.size()), terminated++;
  }
  for (int64_t g0 = 0; g0 < N; g0 += G) {
    bool same = true;
    for (int64_t i = g0 + 1; i < g0 + G; i++) same = same && r.rewards[size_t(i)] == r.rewards[size_t(g0)];
    zero_std += same;
  }
  const double cost_s = train_seconds_ + rollout_seconds_;
  json rec = {{"step", step_},
              {"reward", mean / double(N)},
              {"reward_accuracy", racc / double(N)},
              {"reward_format", rfmt / double(N)},
              {"reward_length", rlen / double(N)},
              {"accuracy", acc / double(N)},
              {"format", fmt / double(N)},
              {"frac_reward_zero_std", zero_std / double(N / G)},
              {"truncated_ratio", trunc / double(N)},
              {"mean_length", len / double(N)},
              {"mean_terminated_length", terminated ? tlen / double(terminated) : NAN},
              {"kl", cfg_.objective.beta > 0 ? json(s.grpo.kl) : json(nullptr)},
              {"entropy", s.grpo.entropy},
              {"clip_fraction", s.grpo.clip},
              {"clip_low", s.grpo.clip_low},
              {"clip_high", s.grpo.clip_high},
              {"loss", s.grpo.loss},
              {"grad_norm", s.grad_norm},
              {"lr", s.lr},
              {"rollout_tokens", r.tokens},
              {"rollout_tokens_per_s", r.seconds > 0 ? double(r.tokens) / r.seconds : 0.0},
              {"train_tokens_per_s", s.train_seconds > 0 ? double(s.train_tokens) / s.train_seconds : 0.0},
              {"rollout_seconds", r.seconds},
              {"train_seconds", s.train_seconds},
              {"elapsed_seconds", elapsed},
              {"cost_usd", cost_s / 3600.0 * cfg_.price_per_hour}};
  return rec;
}

// Held-out pass@1 on the same problems every time (the test split: never drawn for rollouts).
json GrpoTrainer::evaluate() {
  borrowed_->rebind(model_.inference_model());
  EvalConfig ec;
  ec.problems = cfg_.eval_problems;
  ec.samples = cfg_.eval_samples;
  ec.seed = derive_seed(cfg_.seed, 0xE7A1);
  ec.rollout.sampling.temperature = float(cfg_.eval_temperature);
  ec.rollout.sampling.top_p = 0.95f;
  ec.rollout.max_tokens = cfg_.max_tokens;
  ec.prompt = popt_;
  ec.reward = cfg_.reward;
  ec.progress = false;
  json e = run_eval(*as_, *task_, ec, nullptr);
  return {{"step", step_},       {"pass@1", e["pass@1"]},   {"stderr", e["stderr"]}, {"cons@k", e["cons@k"]},
          {"format", e["format"]}, {"problems", e["problems"]}, {"samples", e["samples"]}};
}

void GrpoTrainer::checkpoint() {
  commit_checkpoint(cfg_.out, step_, int(cfg_.keep_checkpoints), [&](const std::string& dir) {
    save_params(model_, dir + "/model.safetensors");
    if (ref_) save_params(*ref_, dir + "/ref.safetensors");
    for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
      const fs::path src = fs::path(source_) / f;
      if (!fs::exists(src)) continue;
      const std::string text = read_text_file(src.string());
      write_file_durable(dir + "/" + f, text.data(), text.size());
    }
    capture_optimizer_state(opt_, st_);
    st_.step = step_;
    st_.extra = {{"stage", "rl"},
                 {"config", rl_config_json(cfg_)},
                 {"train_seconds", train_seconds_},
                 {"rollout_seconds", rollout_seconds_},
                 {"rollout_tokens", rollout_tokens_},
                 {"train_tokens", train_tokens_},
                 {"ref_step", ref_step_},
                 {"first_eval", first_eval_},
                 {"last_eval", last_eval_}};
    write_trainer_state(dir, st_);
  });
  const json s = summary();
  const std::string text = s.dump(2) + "\n";
  write_file_durable(cfg_.out + "/summary.json", text.data(), text.size());
  write_rl_report_html(cfg_.out, s);
}

json GrpoTrainer::summary() const {
  const double secs = train_seconds_ + rollout_seconds_;
  const std::string threads = std::to_string(num_threads()) + " threads";
  return {{"kind", "rl"},
          {"model", {{"architecture", mc_.model_type}, {"layers", mc_.num_hidden_layers}, {"hidden", mc_.hidden_size}}},
          {"start_model", cfg_.model},
          {"task", task_->spec()},
          {"steps", step_},
          {"max_steps", cfg_.steps},
          {"prompts_per_step", cfg_.prompts},
          {"group_size", cfg_.group_size},
          {"first_eval", first_eval_},
          {"last_eval", last_eval_},
          {"last_step", last_record_},
          {"rollout_tokens", rollout_tokens_},
          {"train_tokens", train_tokens_},
          {"rollout_seconds", rollout_seconds_},
          {"train_seconds", train_seconds_},
          {"device", "cpu (" + threads + ")"},
          {"device_hours", secs / 3600.0},
          {"price_per_hour", cfg_.price_per_hour},
          {"cost_usd", secs / 3600.0 * cfg_.price_per_hour}};
}

json GrpoTrainer::run() {
  // The first evaluation reads the task's problems: a bad task file fails here, before anything is printed.
  if (first_eval_.is_null()) first_eval_ = evaluate();
  std::fprintf(stderr, "seek rl: %s policy from %s, task %s, %lld prompts x %lld samples per step, held-out pass@1 %s%.3f\n",
               mc_.model_type.c_str(), source_.c_str(), task_->spec().c_str(), (long long)cfg_.prompts,
               (long long)cfg_.group_size, latest_ ? ("now (resuming at step " + std::to_string(step_) + ") ").c_str() : "before RL ",
               (latest_ && last_eval_.is_object() ? last_eval_ : first_eval_)["pass@1"].get<double>());
  std::unique_ptr<Progress> bar;
  if (req_.progress) bar = std::make_unique<Progress>("rl", cfg_.steps - step_, "step");
  const int64_t first = step_;
  const double t0 = now_seconds();
  bool stopped = false;
  while (step_ < cfg_.steps && !stopped) {
    Rollouts r = collect(step_);
    std::vector<double> adv = group_advantages(r.rewards, cfg_.group_size, cfg_.objective.scaling);
    std::vector<SampleTokens> samples;
    for (size_t i = 0; i < r.rewards.size(); i++) {
      const Completion& c = r.completions[i / size_t(cfg_.group_size)][i % size_t(cfg_.group_size)];
      const bool cut = c.finish == FinishReason::length || c.finish == FinishReason::context;
      samples.push_back({&r.prompts[i / size_t(cfg_.group_size)].ids, &c.tokens,
                         (cut && cfg_.truncated == "mask") || c.tokens.empty()});
    }
    PolicyBatch b = make_policy_batch(samples, adv);
    StepStats s = optimize(b);
    step_++;
    rollout_seconds_ += r.seconds, train_seconds_ += s.train_seconds;
    rollout_tokens_ += r.tokens, train_tokens_ += s.train_tokens;
    if (ref_ && cfg_.ref_update_every > 0 && step_ % cfg_.ref_update_every == 0) copy_params(model_, *ref_), ref_step_ = step_;
    json rec = step_record(r, s, now_seconds() - t0);
    if ((cfg_.eval_every > 0 && step_ % cfg_.eval_every == 0) || step_ == cfg_.steps) {
      last_eval_ = evaluate();
      rec["eval_pass@1"] = last_eval_["pass@1"], rec["eval_stderr"] = last_eval_["stderr"];
      rec["sample_prompt"] = r.prompts[0].text, rec["sample"] = r.completions[0][0].text;
    }
    metrics_.write(rec);
    last_record_ = rec;
    if (bar) {
      char note[240];
      std::snprintf(note, sizeof note,
                    "step %lld  reward %.3f  acc %.3f  zero-std %.2f  trunc %.2f  len %.1f  ent %.3f  clip %.3f  "
                    "gnorm %.2f  %.0f/%.0f tok/s",
                    (long long)step_, rec["reward"].get<double>(), rec["accuracy"].get<double>(),
                    rec["frac_reward_zero_std"].get<double>(), rec["truncated_ratio"].get<double>(),
                    rec["mean_length"].get<double>(), s.grpo.entropy, s.grpo.clip, s.grad_norm,
                    rec["rollout_tokens_per_s"].get<double>(), rec["train_tokens_per_s"].get<double>());
      bar->set_note(note);
      bar->update(step_ - first);
    }
    stopped = req_.hooks && req_.hooks->stop_after_step(step_) && step_ < cfg_.steps;
    if (step_ % cfg_.checkpoint_every == 0 || step_ == cfg_.steps || stopped) checkpoint();
  }
  if (bar && !stopped) bar->done();
  json s = summary();
  s["stopped_early"] = stopped;
  return s;
}

// The run's configuration: the settings over the defaults (fresh), or the recorded one with the settings checked
// against it (resume).
RlConfig resolve(const RlRequest& req, std::optional<std::string>& latest, TrainerState& st) {
  check(req.settings.contains("out") && req.settings["out"].is_string() && !req.settings["out"].get<std::string>().empty(),
        "seek rl: --out is required (the run folder)");
  const std::string out = req.settings["out"].get<std::string>();
  json given = req.settings;
  given.erase("out");
  latest = latest_checkpoint(out);
  RlConfig c;
  if (!req.resume) {
    check(!latest && !fs::exists(fs::path(out) / "metrics.jsonl"),
          out + " already holds a run: continue it with --resume, or choose another --out");
    c = parse_rl_config(given, "rl config");
    validate_rl_config(c);
  } else {
    check(latest.has_value(), out + ": no checkpoint to resume (OUT/latest is missing)");
    st = read_trainer_state(*latest);
    check(st.extra.value("stage", "") == "rl", *latest + ": not a seek rl checkpoint");
    json recorded = st.extra.at("config");
    for (auto it = given.begin(); it != given.end(); ++it) {
      if (recorded.contains(it.key()) && recorded[it.key()] == it.value()) continue;
      check(rl_resume_may_override(it.key()), "seek rl --resume: '" + it.key() + "' is " + it.value().dump() +
                                                  " but the run recorded " + recorded.value(it.key(), json()).dump() +
                                                  " (" + *latest + "); only steps, cadences, threads and price may change");
      std::fprintf(stderr, "seek rl: %s = %s (recorded: %s)\n", it.key().c_str(), it.value().dump().c_str(),
                   recorded.value(it.key(), json()).dump().c_str());
      recorded[it.key()] = it.value();
    }
    c = parse_rl_config(recorded, *latest + "/trainer_state.json: config");
    validate_rl_config(c);
    check(st.step < c.steps, out + ": the run is finished (step " + std::to_string(st.step) + " of " +
                                 std::to_string(c.steps) + "); raise --steps to continue it");
  }
  c.out = out;
  return c;
}

}  // namespace

json run_rl(const RlRequest& request) {
  std::optional<std::string> latest;
  TrainerState st;
  RlConfig cfg = resolve(request, latest, st);
  if (cfg.threads > 0) set_num_threads(cfg.threads);
  GrpoTrainer t(std::move(cfg), latest, std::move(st), request);
  return t.run();
}

}  // namespace seek::rl
