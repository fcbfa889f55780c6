#include "train/trainer.h"

#include <malloc.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "formats/safetensors_write.h"
#include "infer/session.h"
#include "model/deepseek_train.h"
#include "model/schema.h"
#include "text/chat/chat_template.h"
#include "text/tokenizer/tokenizer.h"
#include "train/checkpoint_dir.h"
#include "train/data_loader.h"
#include "train/flops.h"
#include "train/lr_schedule.h"
#include "train/machine_peak.h"
#include "train/memory_budget.h"
#include "train/metrics.h"
#include "train/optimizer_params.h"
#include "train/presets.h"
#include "train/report.h"
#include "train/trainer_state.h"

namespace seek::train {

namespace {
// The process's peak resident memory so far (Linux reports ru_maxrss in KiB).
double peak_rss_bytes() {
  rusage u{};
  return getrusage(RUSAGE_SELF, &u) == 0 ? double(u.ru_maxrss) * 1024.0 : 0.0;
}
}  // namespace


namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double now_seconds_monotonic() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

json read_json_file(const std::string& path) {
  try {
    return json::parse(read_text_file(path));
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
}

// A number saved by an earlier part of the run; null (NaN and inf are written as null) or missing reads as NaN.
double saved_number(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<double>() : std::nan("");
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// Cross-entropy of the val split under the train split's unigram distribution (add-one smoothed): the loss a
// model that ignores context would reach. Training should end far below it.
double unigram_val_loss(const TokenDataset& d) {
  const int64_t V = d.vocab_size();
  std::vector<double> count(static_cast<size_t>(V), 1.0);
  std::vector<int32_t> buf;
  const int64_t chunk = 1 << 20;
  const int64_t n_train = d.tokens(Split::train);
  for (int64_t s = 0; s < n_train; s += chunk) {
    buf.resize(size_t(std::min(chunk, n_train - s)));
    d.read(Split::train, s, int64_t(buf.size()), buf.data());
    for (int32_t t : buf) count[size_t(t)] += 1;
  }
  double total = 0;
  for (double c : count) total += c;
  const Split es = d.tokens(Split::val) > 0 ? Split::val : Split::train;
  const int64_t n = d.tokens(es);
  double nll = 0;
  for (int64_t s = 0; s < n; s += chunk) {
    buf.resize(size_t(std::min(chunk, n - s)));
    d.read(es, s, int64_t(buf.size()), buf.data());
    for (int32_t t : buf) nll -= std::log(count[size_t(t)] / total);
  }
  return n > 0 ? nll / double(n) : 0.0;
}

// What identifies the tokens a run trains on, recorded in its checkpoints: a resumed run must see the same.
json data_fingerprint(const TokenDataset& d) {
  return {{"tokenizer_fnv1a64", d.index().tokenizer_hash},
          {"train_tokens", d.tokens(Split::train)},
          {"val_tokens", d.tokens(Split::val)}};
}

// The data folder holds the tokenizer its tokens were made with (the checkpoints copy it), unchanged since.
void check_data_tokenizer(const TokenDataset& d) {
  const fs::path tj = fs::path(d.dir()) / "tokenizer.json";
  if (!fs::exists(tj))
    throw Error(tj.string() +
                ": missing; a data folder holds the tokenizer its tokens were made with (run `seek data` "
                "again)");
  const std::string hash = fnv1a64_hex(read_text_file(tj.string()));
  if (!d.index().tokenizer_hash.empty() && hash != d.index().tokenizer_hash)
    throw Error(tj.string() + ": is not the tokenizer the shards were made with (its hash is " + hash +
                ", index.json records " + d.index().tokenizer_hash + "); run `seek data` again with this tokenizer");
}

// The model's config.json object: the resumed checkpoint's, the config's "model", or the preset sized to the data.
json model_config_json(const TrainConfig& c, const std::optional<std::string>& latest, const TokenDataset& data) {
  if (latest) return read_json_file(*latest + "/config.json");
  if (!c.model.is_null()) return c.model;
  return preset_model_config(c.preset, data.vocab_size(), data.bos_id() < 0 ? data.eos_id() : data.bos_id(),
                             data.eos_id());
}

// The model's shape, parsed and checked against the data and the machine before anything is allocated.
DeepSeekConfig checked_model_config(const json& model_json, const TrainConfig& c, const TokenDataset& data,
                                    const std::string& where) {
  MemoryJob job{"training", kTrainingBytesPerParam, "f32 weights, gradients and two AdamW moments", 0, ""};
  check_model_json_fits(model_json, job, where);
  const DeepSeekConfig mc = parse_deepseek_config(model_json, where);
  check(mc.vocab_size >= data.vocab_size(), where + ": vocab_size " + std::to_string(mc.vocab_size) +
                                                " is smaller than the data's vocabulary (" +
                                                std::to_string(data.vocab_size()) + ")");
  check(c.seq_len + 1 <= mc.max_position_embeddings, "seq_len " + std::to_string(c.seq_len) +
                                                         " + 1 exceeds the model's max_position_embeddings " +
                                                         std::to_string(mc.max_position_embeddings));
  job.working_bytes = training_activation_bytes(mc, c.batch_size, c.seq_len);
  job.working_note =
      "the activations of batch_size " + std::to_string(c.batch_size) + " x seq_len " + std::to_string(c.seq_len);
  check_model_fits(mc, job, where);
  return mc;
}


// What one optimizer step measured.
struct StepStats {
  Losses losses;  // averaged over the micro-batches; losses.mtp holds one value, the mean over the modules
  double grad_norm = 0, lr = 0, seconds = 0, load_max_over_mean = 0;
  int64_t tokens = 0;
  json load_per_layer = json::object();  // max/mean per MoE layer ("layer 1", ..., "mtp 1")
};

class Trainer {
 public:
  Trainer(TrainConfig cfg, std::optional<std::string> latest, TrainerState state, TrainHooks* hooks);
  json run();

 private:
  StepStats train_step();
  void check_finite(const StepStats& s, json& rec);
  double evaluate();
  json sample_continuation();
  json step_record(const StepStats& s) const;
  void show_progress(const StepStats& s, Progress& bar, int64_t first);
  void checkpoint();
  void write_checkpoint_files(const std::string& dir);
  std::string last_good_checkpoint() const;
  json summary() const;

  TrainConfig cfg_;
  TrainHooks* hooks_;
  const std::optional<std::string> latest_;  // the checkpoint resumed from
  const TokenDataset data_;
  const json model_json_;
  const DeepSeekConfig mc_;
  TrainableDeepSeek model_;
  std::vector<seek::OptimizerParam> ops_;
  AdamW opt_;
  DataLoader loader_;
  TrainerState st_;
  MetricsWriter metrics_;
  const Tokenizer tok_;
  const LrSchedule schedule_;
  LossOptions lopt_;
  const FlopsPerToken fpt_;
  const double peak_;
  const ParamCounts pc_;
  const double unigram_;
  int64_t step_ = 0, tokens_seen_ = 0;
  double train_seconds_ = 0, last_val_ = std::nan(""), last_loss_ = std::nan(""), last_total_ = std::nan("");
  double last_load_ = 0;
  json last_sample_;
  std::vector<int32_t> batch_;
};

Trainer::Trainer(TrainConfig cfg, std::optional<std::string> latest, TrainerState state, TrainHooks* hooks)
    : cfg_(std::move(cfg)),
      hooks_(hooks),
      latest_(std::move(latest)),
      data_(cfg_.data),
      model_json_(model_config_json(cfg_, latest_, data_)),
      mc_(checked_model_config(model_json_, cfg_, data_, latest_ ? *latest_ + "/config.json" : "model config")),
      model_(mc_),
      ops_(optimizer_params(model_.params())),
      opt_(cfg_.optimizer, ops_),
      loader_(data_, Split::train, cfg_.seq_len, cfg_.batch_size, cfg_.seed),
      st_(std::move(state)),
      metrics_(cfg_.out, latest_ ? std::optional<int64_t>(st_.step) : std::nullopt),
      tok_(Tokenizer::from_path(cfg_.data + "/tokenizer.json")),
      schedule_(parse_lr_schedule(cfg_.lr_schedule, "train config: lr_schedule")),
      fpt_(flops_per_token(mc_, cfg_.seq_len + 1, mc_.num_nextn_predict_layers)),
      peak_(measured_matmul_peak_flops(cfg_.precision == "f32" ? Precision::F32 : Precision::BF16)),
      pc_(count_params(mc_)),
      unigram_(unigram_val_loss(data_)),
      batch_(static_cast<size_t>(cfg_.batch_size * (cfg_.seq_len + 1))) {
  lopt_.mtp_lambda = cfg_.mtp_lambda;
  lopt_.balance_alpha = cfg_.balance_alpha;
  lopt_.precision = cfg_.precision == "f32" ? Precision::F32 : Precision::BF16;
  model_.set_fp8_linears(cfg_.precision == "fp8");
  lopt_.recompute = cfg_.recompute;
  if (latest_) {
    model_.load(*latest_);
    restore_optimizer_state(st_, opt_);
    loader_.restore({uint64_t(st_.data.epoch), uint64_t(st_.data.position)});
    step_ = st_.step;
    tokens_seen_ = st_.tokens_seen;
    train_seconds_ = saved_number(st_.extra, "train_seconds");
    if (!std::isfinite(train_seconds_)) train_seconds_ = 0;
    last_val_ = saved_number(st_.extra, "last_val_loss");  // null before the first validation
  } else {
    model_.init_random(cfg_.seed, cfg_.init_std);
    st_.rng.seed(cfg_.seed * 0x9E3779B97F4A7C15ull + 1);
  }
}

// One optimizer step: forward and backward over grad_accum micro-batches, clipping, AdamW (unless the step is not
// finite: then nothing is updated), the expert-bias update.
StepStats Trainer::train_step() {
  const double t0 = now_seconds_monotonic();
  const int64_t T = cfg_.seq_len + 1, B = cfg_.batch_size;
  model_.params().zero_grad();
  model_.reset_load();
  StepStats s;
  double mtp_sum = 0;
  for (int64_t m = 0; m < cfg_.grad_accum; m++) {
    loader_.next_batch(batch_.data());
    const Losses L = model_.step(batch_.data(), B, T, lopt_, 1.0 / double(cfg_.grad_accum));
    s.losses.total += L.total / double(cfg_.grad_accum);
    s.losses.main += L.main / double(cfg_.grad_accum);
    s.losses.balance += L.balance / double(cfg_.grad_accum);
    for (double v : L.mtp) mtp_sum += v / double(cfg_.grad_accum) / double(L.mtp.size());
  }
  s.losses.mtp = {mtp_sum};
  s.grad_norm = cfg_.grad_clip > 0 ? clip_grad_norm(ops_, cfg_.grad_clip) : global_grad_norm(ops_);
  s.lr = schedule_.lr(step_);
  s.tokens = B * cfg_.seq_len * cfg_.grad_accum;
  if (!std::isfinite(s.losses.total) || !std::isfinite(s.grad_norm)) return s;  // check_finite stops the run
  opt_.step(s.lr);
  s.load_max_over_mean = model_.load_max_over_mean();
  const auto names = model_.moe_layer_names();
  for (size_t i = 0; i < names.size(); i++) {
    const auto& l = model_.expert_load()[i];
    int64_t sum = 0, mx = 0;
    for (int64_t v : l) sum += v, mx = std::max(mx, v);
    s.load_per_layer[names[i]] = sum > 0 ? double(mx) * double(l.size()) / double(sum) : 0.0;
  }
  model_.update_selection_bias(cfg_.bias_update_speed);
  s.seconds = now_seconds_monotonic() - t0;
  return s;
}

std::string Trainer::last_good_checkpoint() const {
  const auto latest = latest_checkpoint(cfg_.out);
  return (latest ? "the last good checkpoint is " + *latest : std::string("no checkpoint was written yet")) +
         " (a smaller lr_schedule.peak_lr, or grad_clip > 0, usually helps)";
}

// A step (or its evaluation) that is not finite ends the run: its weights are never saved.
void Trainer::check_finite(const StepStats& s, json& rec) {
  const bool step_ok = std::isfinite(s.losses.total) && std::isfinite(s.grad_norm);
  const bool val_ok = !rec.contains("val_loss") || std::isfinite(last_val_);
  if (step_ok && val_ok) return;
  rec["diverged"] = true;
  metrics_.write(rec);
  if (!step_ok)
    throw Error("step " + std::to_string(step_) + ": training diverged (loss " + number_text(s.losses.total) +
                ", next-token loss " + number_text(s.losses.main) + ", gradient norm " + number_text(s.grad_norm) +
                "); the step was not applied and " + last_good_checkpoint());
  throw Error("step " + std::to_string(step_) + ": training diverged (validation loss " + number_text(last_val_) +
              ", training loss " + number_text(s.losses.main) + "); " + last_good_checkpoint());
}

// Mean next-token loss over the validation windows (the train split when the data has no val split).
double Trainer::evaluate() {
  const Split es = data_.tokens(Split::val) > cfg_.seq_len ? Split::val : Split::train;
  ValidationWindows vw(data_, cfg_.seq_len, cfg_.eval_windows, es);
  double sum = 0;
  int64_t n = 0, got;
  LossOptions o = lopt_;
  o.mtp_depth = 0;
  while ((got = vw.next_batch(batch_.data(), cfg_.batch_size)) > 0) {
    const Losses L = model_.step(batch_.data(), got, cfg_.seq_len + 1, o, 1.0, /*forward_only=*/true);
    sum += L.main * double(L.main_tokens);
    n += L.main_tokens;
  }
  return n > 0 ? sum / double(n) : std::nan("");
}

// A continuation of the start of the val split at temperature 0.8, decoded on the live weights through the
// inference model and the same session and sampler as `seek generate`. Its seed comes from the run's own RNG
// (saved and restored), so a resumed run samples the same text.
json Trainer::sample_continuation() {
  const Split es = data_.tokens(Split::val) > 16 ? Split::val : Split::train;
  GenerationRequest req;
  req.prompt.resize(16);
  data_.read(es, 0, 16, req.prompt.data());
  req.max_tokens = std::min<int64_t>(cfg_.sample_tokens, mc_.max_position_embeddings - 17);
  req.sampling.temperature = 0.8f;
  req.sampling.seed = st_.rng();
  Session session(model_.inference_model(), &tok_);
  const GenerationResult g = session.generate(req, [](const std::string&) {});
  return {{"step", step_}, {"prompt", tok_.decode(req.prompt)}, {"text", g.text}};
}

// The metrics line of a step: "loss" is the next-token loss (what "val_loss" measures on held-out data),
// "total_loss" the objective the gradients are of (plus the MTP and balance terms).
json Trainer::step_record(const StepStats& s) const {
  json rec = {{"step", step_},
              {"loss", s.losses.main},
              {"total_loss", s.losses.total},
              {"lr", s.lr},
              {"grad_norm", s.grad_norm},
              {"tokens_per_s", s.seconds > 0 ? double(s.tokens) / s.seconds : 0.0},
              {"mfu", peak_ > 0 && s.seconds > 0 ? fpt_.training * double(s.tokens) / s.seconds / peak_ : 0.0},
              {"expert_load_max_over_mean", s.load_max_over_mean},
              {"expert_load_per_layer", s.load_per_layer},
              {"tokens_seen", tokens_seen_}};
  if (mc_.num_nextn_predict_layers > 0 && cfg_.mtp_lambda > 0) rec["mtp_loss"] = s.losses.mtp[0];
  if (cfg_.balance_alpha > 0) rec["balance_loss"] = s.losses.balance;
  return rec;
}

void Trainer::show_progress(const StepStats& s, Progress& bar, int64_t first) {
  char note[200], val[32] = "n/a";  // n/a until the first validation
  if (std::isfinite(last_val_)) std::snprintf(val, sizeof val, "%.3f", last_val_);
  std::snprintf(note, sizeof note, "step %lld  loss %.3f  val %s  (total %.3f)  lr %.2e  %.0f tok/s  load %.2f",
                (long long)step_, s.losses.main, val, s.losses.total, s.lr,
                s.seconds > 0 ? double(s.tokens) / s.seconds : 0.0, s.load_max_over_mean);
  bar.set_note(note);
  bar.update(step_ - first);
}

void Trainer::write_checkpoint_files(const std::string& dir) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& p : model_.params().all())
    tensors.emplace_back(p.name, Tensor::view_of(DType::F32, p.shape, p.value.data(), nullptr));
  save_safetensors(dir + "/model.safetensors", tensors);
  if (hooks_) hooks_->inside_checkpoint(step_);
  const std::string cj = model_json_.dump(2) + "\n";
  write_file_durable(dir + "/config.json", cj.data(), cj.size());
  const std::string tj = read_text_file(cfg_.data + "/tokenizer.json");
  write_file_durable(dir + "/tokenizer.json", tj.data(), tj.size());
  // The data's tokenizer_config.json, with a chat template that does not open <think>: a pretrained model has
  // never learned to reason, and `seek chat` on it should show its text as an answer.
  json tc = json::object();
  if (fs::exists(cfg_.data + "/tokenizer_config.json")) tc = read_json_file(cfg_.data + "/tokenizer_config.json");
  if (tc.is_object()) {
    tc["chat_template"] = builtin_chat_source(BuiltinChat::deepseek_v3);
    const std::string text = tc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    write_file_durable(dir + "/tokenizer_config.json", text.data(), text.size());
  }
  capture_optimizer_state(opt_, st_);
  st_.step = step_;
  st_.tokens_seen = tokens_seen_;
  const DataLoader::State ls = loader_.state();
  st_.data = {int64_t(ls.epoch), int64_t(ls.position)};
  st_.extra = {{"stage", "pretrain"},
               {"train_seconds", train_seconds_},
               {"last_val_loss", last_val_},
               {"config", train_config_json(cfg_)},
               {"data_fingerprint", data_fingerprint(data_)}};
  write_trainer_state(dir, st_);
}

void Trainer::checkpoint() {
  commit_checkpoint(cfg_.out, step_, int(cfg_.keep_checkpoints),
                    [&](const std::string& dir) { write_checkpoint_files(dir); });
  json s = summary();
  const std::string text = s.dump(2) + "\n";
  write_file_durable(cfg_.out + "/summary.json", text.data(), text.size());
  write_report_html(cfg_.out, s);
}

json Trainer::summary() const {
  const double achieved = train_seconds_ > 0 ? fpt_.training * double(tokens_seen_) / train_seconds_ : 0.0;
  const std::string threads = std::to_string(num_threads()) + " threads";
  json s = {{"model",
             {{"architecture", mc_.model_type},
              {"layers", mc_.num_hidden_layers},
              {"hidden", mc_.hidden_size},
              {"routed_experts", mc_.n_routed_experts},
              {"experts_per_token", mc_.num_experts_per_tok},
              {"mtp_depth", mc_.num_nextn_predict_layers},
              {"vocab", mc_.vocab_size},
              {"params_total", pc_.total + pc_.mtp},
              {"params_active", pc_.active}}},
            {"data", cfg_.data},
            {"steps", step_},
            {"max_steps", cfg_.max_steps},
            {"tokens_seen", tokens_seen_},
            {"seq_len", cfg_.seq_len},
            {"batch_tokens", cfg_.batch_size * cfg_.seq_len * cfg_.grad_accum},
            {"precision", cfg_.precision},
            {"recompute", cfg_.recompute},
            {"peak_rss_bytes", peak_rss_bytes()},
            {"final_loss", last_loss_},
            {"final_total_loss", last_total_},
            {"final_val_loss", last_val_},
            {"unigram_val_loss", unigram_},
            {"expert_load_max_over_mean", last_load_},
            {"flops_per_token", fpt_.training},
            {"train_seconds", train_seconds_},
            {"achieved_flops_per_s", achieved},
            {"peak_flops_per_s", peak_},
            {"peak_basis", "seek's own matmul on this machine, " + threads},
            {"utilization", peak_ > 0 ? achieved / peak_ : 0.0},
            {"device", "cpu (" + threads + ")"},
            {"device_hours", train_seconds_ / 3600.0},
            {"price_per_hour", cfg_.price_per_hour},
            {"cost_usd", train_seconds_ / 3600.0 * cfg_.price_per_hour}};
  if (!last_sample_.is_null()) s["last_sample"] = last_sample_;
  return s;
}

json Trainer::run() {
  std::fprintf(stderr,
               "seek train: %s, %.2fM parameters (%.2fM active per token), %lld train tokens, unigram val loss "
               "%.3f%s\n",
               mc_.model_type.c_str(), double(pc_.total + pc_.mtp) / 1e6, double(pc_.active) / 1e6,
               (long long)data_.tokens(Split::train), unigram_,
               latest_ ? (", resuming at step " + std::to_string(step_)).c_str() : "");
  Progress bar("train", cfg_.max_steps - step_, "step");
  const int64_t first = step_;
  bool stopped = false;
  while (step_ < cfg_.max_steps && !stopped) {
    StepStats s = train_step();
    step_++;
    tokens_seen_ += s.tokens;
    train_seconds_ += s.seconds;
    json rec = step_record(s);
    check_finite(s, rec);
    if (step_ % cfg_.eval_every == 0 || step_ == cfg_.max_steps) {
      rec["val_loss"] = last_val_ = evaluate();
      check_finite(s, rec);
    }
    last_loss_ = s.losses.main, last_total_ = s.losses.total, last_load_ = s.load_max_over_mean;
    if (step_ % cfg_.sample_every == 0 || step_ == cfg_.max_steps) {
      last_sample_ = sample_continuation();
      rec["sample"] = last_sample_["text"];
      rec["sample_prompt"] = last_sample_["prompt"];
    }
    if (step_ % cfg_.log_every == 0 || rec.contains("val_loss")) metrics_.write(rec);
    const bool due = step_ % cfg_.checkpoint_every == 0 || step_ == cfg_.max_steps;
    // The report follows the run: redrawn at every evaluation (and at every checkpoint).
    if (rec.contains("val_loss") && !due) write_report_html(cfg_.out, summary());
    show_progress(s, bar, first);
    const bool stop_asked = hooks_ && hooks_->stop_after_step(step_);
    stopped = stop_asked && step_ < cfg_.max_steps;  // asked during the last step: the run is complete anyway
    if (due || stopped) checkpoint();
  }
  if (!stopped) bar.done();
  json s = summary();
  s["stopped_early"] = stopped;
  if (stopped) s["checkpoint"] = (fs::path(cfg_.out) / ("step-" + std::to_string(step_))).string();
  return s;
}

// The configuration and state of the run `request` asks for (see run_training).
TrainConfig resolve_config(const TrainRequest& r, std::optional<std::string>& latest, TrainerState& st) {
  check(r.settings.is_object() && r.settings.contains("out") && r.settings["out"].is_string() &&
            !r.settings["out"].get<std::string>().empty(),
        "train: no output folder (--out DIR)");
  const std::string out = r.settings["out"].get<std::string>();
  if (!r.resume) {
    if (fs::exists(fs::path(out) / "latest"))
      throw Error(out + " already holds a training run; use --resume to continue it or choose another --out");
    TrainConfig cfg = parse_train_config(r.settings, "train settings");
    validate_train_config(cfg);
    complete_train_config(cfg);
    return cfg;
  }
  latest = latest_checkpoint(out);
  check(latest.has_value(), out + ": nothing to resume (no " + out + "/latest); run without --resume");
  st = read_trainer_state(*latest);
  const ResumedConfig rc = resume_train_config(st.extra.value("config", json::object()), r.settings, *latest);
  TrainConfig cfg = rc.config;
  validate_train_config(cfg);
  const std::string steps = std::to_string(st.step);
  if (st.step > cfg.max_steps)
    throw Error(out + ": the run is at step " + steps + ", past --max-steps " + std::to_string(cfg.max_steps) +
                "; to train on, resume with --max-steps above " + steps);
  if (st.step == cfg.max_steps)
    throw Error(out + ": the run is finished (step " + steps + " of max_steps " + steps +
                "); to train on, resume with --max-steps above " + steps);
  for (const std::string& o : rc.overrides)
    std::fprintf(stderr, "seek train: resuming %s with %s%s\n", latest->c_str(), o.c_str(),
                 o.rfind("max_steps", 0) == 0 ? "; the learning-rate schedule stays as recorded" : "");
  return cfg;
}

// On resume, the data must be the recorded run's tokens (it may have moved).
void check_same_data(const TrainerState& st, const std::string& data_dir, const std::string& checkpoint) {
  const json recorded = st.extra.value("data_fingerprint", json());
  if (recorded.is_null()) return;  // a checkpoint from before fingerprints were recorded
  const json now = data_fingerprint(TokenDataset(data_dir));
  if (now != recorded)
    throw Error(data_dir + ": holds other tokens than the run being resumed was trained on (" + now.dump() + ", " +
                checkpoint + " records " + recorded.dump() + ")");
}

}  // namespace

json run_training(const TrainRequest& request) {
  std::optional<std::string> latest;
  TrainerState st;
  const TrainConfig cfg = resolve_config(request, latest, st);
  check(fs::is_directory(cfg.data), cfg.data + ": no such data folder (made by `seek data`)");
  if (latest) check_same_data(st, cfg.data, *latest);
  check_data_tokenizer(TokenDataset(cfg.data));
  set_num_threads(cfg.threads);
  // Every step allocates and frees the same activation buffers. Keep freed memory in the heap instead of returning
  // it to the OS (and mapping it again, page fault by page fault, on the next step).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest allowed value
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  Trainer trainer(cfg, latest, std::move(st), request.hooks);
  return trainer.run();
}

json run_training(const TrainConfig& cfg, bool resume, TrainHooks* hooks) {
  TrainRequest r;
  r.settings = train_config_json(cfg);
  r.settings["out"] = cfg.out;
  r.resume = resume;
  r.hooks = hooks;
  return run_training(r);
}

}  // namespace seek::train
