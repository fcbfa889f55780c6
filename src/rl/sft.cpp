#include "rl/sft.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <optional>
#include <random>

#include "core/error.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "formats/checkpoint.h"
#include "formats/safetensors_write.h"
#include "infer/session.h"
#include "model/config.h"
#include "model/config_json.h"
#include "model/deepseek_train.h"
#include "model/dense_train.h"
#include "model/lora.h"
#include "rl/sft_data.h"
#include "train/adamw.h"
#include "train/checkpoint_dir.h"
#include "train/lr_schedule.h"
#include "train/metrics.h"
#include "train/optimizer_params.h"
#include "train/report.h"
#include "train/trainer_state.h"

namespace seek::rl {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void validate(const SftConfig& c) {
  check(!c.model.empty(), "sft: no model (--model DIR)");
  check(!c.data.empty(), "sft: no data (--data FILE.jsonl)");
  check(!c.out.empty(), "sft: no output folder (--out DIR)");
  check(c.lr > 0, "--lr must be > 0");
  check(c.min_lr_ratio >= 0 && c.min_lr_ratio <= 1, "--min-lr-ratio must be in [0, 1]");
  check(c.epochs >= 1, "--epochs must be >= 1");
  check(c.batch >= 1, "--batch must be >= 1");
  check(c.seq_len == 0 || c.seq_len >= 2, "--seq-len must be >= 2");
  check(c.grad_clip >= 0, "--grad-clip must be >= 0 (0: off)");
  check(c.lora_rank >= 0, "--lora-rank must be >= 0 (0: full fine-tuning)");
  check(c.lora_rank > 0 || !c.merge, "--merge needs a LoRA run (--lora-rank R)");
  check(c.precision == "f32" || c.precision == "bf16", "--precision must be f32 or bf16, got '" + c.precision + "'");
}

// The files of a model folder besides its weights that a fine-tuned copy keeps.
const char* const kModelFiles[] = {"config.json",           "generation_config.json",  "tokenizer.json",
                                   "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"};

// The weights are written in f32 whatever the base stored: an fp8 base's quantization_config does not carry over.
void copy_model_files(const std::string& from, const std::string& to) {
  for (const char* f : kModelFiles) {
    const fs::path src = fs::path(from) / f;
    if (!fs::exists(src)) continue;
    std::ifstream in(src, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (std::string(f) == "config.json") {
      json j = read_config_json(from);
      if (j.erase("quantization_config")) bytes = j.dump(2) + "\n";
    }
    write_file_durable(to + "/" + f, bytes.data(), bytes.size());
  }
}

class SftRun {
 public:
  SftRun(const SftConfig& c, bool resume);
  json run();

 private:
  void build_model();
  void build_schedule();
  double step_once(json& rec);
  void save();
  void finish(json& summary);
  json sample_reply();
  json run_config() const;
  void write_builtin_template(const std::string& dir) const;

  SftConfig c_;
  std::string base_;                   // the base model folder (resolved)
  std::optional<std::string> latest_;  // the checkpoint being resumed
  Tokenizer tok_;
  ChatTemplate chat_;
  std::vector<SftSample> samples_;
  std::vector<PackedRow> rows_;
  std::shared_ptr<void> keep_specs_;
  std::unique_ptr<LoraAdapter> adapter_;
  std::unique_ptr<TrainableLM> model_;
  bool deepseek_ = false;     // a DeepSeek V2/V3 base (else dense)
  std::string prompt_style_;  // recorded in checkpoints: "chat" for chat data, else the base's (rl/prompt.h)
  std::vector<OptimizerParam> ops_;
  std::unique_ptr<AdamW> opt_;
  LrSchedule sched_;
  TrainerState st_;
  int64_t steps_per_epoch_ = 0, total_steps_ = 0, tokens_seen_ = 0;
  double seconds_ = 0, first_loss_ = std::nan(""), last_loss_ = std::nan("");
};

bool is_deepseek_type(const std::string& type) { return type == "deepseek_v3" || type == "deepseek_v2"; }

// The base folder, checked to be a model sft can train (before anything is read from it).
std::string sft_base(const SftConfig& c) {
  const std::string dir = resolve_model_dir(c.model);
  const json mj = read_config_json(dir);
  const std::string type = mj.value("model_type", std::string());
  if (is_deepseek_type(type) && c.lora_rank > 0)
    throw Error(dir + "/config.json: LoRA adapters are for dense models (qwen2, llama); fine-tune model_type '" + type +
                "' in full (no --lora-rank)");
  if (!is_dense_model_type(type) && !is_deepseek_type(type))
    throw Error(dir + "/config.json: seek sft fine-tunes deepseek_v3, deepseek_v2, qwen2 and llama models; model_type '" +
                type + "' is none of them");
  return dir;
}

// What the constructor checks the data against, for either architecture.
struct BaseLimits {
  int64_t vocab_size = 0, max_positions = 0;
};

BaseLimits base_limits(const std::string& dir, bool deepseek) {
  if (deepseek) {
    const DeepSeekConfig c = load_deepseek_config(dir);
    return {c.vocab_size, c.max_position_embeddings};
  }
  const DenseConfig c = load_dense_config(dir);
  return {c.vocab_size, c.max_position_embeddings};
}

SftRun::SftRun(const SftConfig& c, bool resume)
    : c_(c),
      base_(sft_base(c)),
      tok_(Tokenizer::from_path((fs::path(base_) / "tokenizer.json").string())),
      chat_(ChatTemplate::from_model_dir(base_)) {
  deepseek_ = is_deepseek_type(read_config_json(base_).value("model_type", std::string()));
  const BaseLimits dc = base_limits(base_, deepseek_);
  if (c_.seq_len == 0) c_.seq_len = std::min<int64_t>(2048, dc.max_positions);
  if (resume) {
    latest_ = latest_checkpoint(c.out);
    check(latest_.has_value(), c.out + ": nothing to resume (no " + c.out + "/latest); run without --resume");
  } else if (fs::exists(fs::path(c.out) / "latest")) {
    throw Error(c.out + " already holds a fine-tuning run; use --resume to continue it or choose another --out");
  }
  check(c_.seq_len <= dc.max_positions, "--seq-len " + std::to_string(c_.seq_len) +
                                            " exceeds the model's max_position_embeddings " +
                                            std::to_string(dc.max_positions));
  samples_ = read_sft_jsonl(c.data, tok_, chat_, c_.seq_len);
  // Chat samples teach the template's prompt; plain-text ones keep whatever prompt form the base was trained on.
  const bool any_chat = std::any_of(samples_.begin(), samples_.end(), [](const SftSample& s) { return !s.plain; });
  prompt_style_ = any_chat ? "chat" : checkpoint_origin(base_).prompt_style;
  for (const SftSample& s : samples_)
    for (int32_t t : s.tokens)
      check(t < dc.vocab_size, c.data + ":" + std::to_string(s.line) + ": token id " + std::to_string(t) +
                                   " is outside the model's vocabulary");
  // Packed once, in a seeded order; each epoch visits the rows in an order of its own.
  std::vector<size_t> order(samples_.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::shuffle(order.begin(), order.end(), std::mt19937_64(c.seed));
  rows_ = pack_samples(samples_, order, c_.seq_len);
  steps_per_epoch_ = (int64_t(rows_.size()) + c.batch - 1) / c.batch;
  total_steps_ = steps_per_epoch_ * c.epochs;
  build_model();
  build_schedule();
}

void SftRun::build_model() {
  const std::string weights = latest_ && c_.lora_rank == 0 ? *latest_ : base_;
  if (deepseek_) {
    auto m = std::make_unique<TrainableDeepSeek>(load_deepseek_config(weights));
    m->load(weights);
    model_ = std::move(m);
  } else if (c_.lora_rank > 0) {
    const auto specs = model_tensor_specs(base_, keep_specs_);
    if (latest_) {
      adapter_ = LoraAdapter::read(*latest_, specs, c_.model);
    } else {
      LoraConfig lc;
      lc.rank = c_.lora_rank;
      lc.alpha = c_.lora_alpha;
      lc.targets = c_.lora_targets;
      adapter_ = std::make_unique<LoraAdapter>(lc, specs, c_.seed);
    }
    adapter_->set_trainable(true);
    model_ = std::make_unique<TrainableDense>(base_, *adapter_);
  } else {
    auto m = std::make_unique<TrainableDense>(load_dense_config(weights));
    m->load(weights);
    model_ = std::move(m);
  }
  ops_ = optimizer_params(model_->params());
  AdamWConfig ac;
  ac.weight_decay = c_.weight_decay;
  opt_ = std::make_unique<AdamW>(ac, ops_);
  if (latest_) {
    st_ = read_trainer_state(*latest_);
    const json saved = st_.extra.value("config", json()), now = run_config();
    for (auto it = now.begin(); it != now.end(); ++it)
      if (saved.contains(it.key()) && saved[it.key()] != it.value())
        throw Error(*latest_ + ": the run being resumed used " + it.key() + " = " + saved[it.key()].dump() + ", not " +
                    it.value().dump() + "; resume with the same options");
    restore_optimizer_state(st_, *opt_);
    tokens_seen_ = st_.tokens_seen;
    seconds_ = st_.extra.value("train_seconds", 0.0);
    first_loss_ = st_.extra.value("first_loss", std::nan(""));
  }
}

void SftRun::build_schedule() {
  const int64_t warmup = c_.warmup_steps >= 0 ? c_.warmup_steps : std::max<int64_t>(1, total_steps_ * 3 / 100);
  sched_ = parse_lr_schedule({{"type", "cosine"},
                              {"peak_lr", c_.lr},
                              {"min_lr", c_.lr * c_.min_lr_ratio},
                              {"warmup_steps", std::min(warmup, std::max<int64_t>(total_steps_ - 1, 0))},
                              {"total_steps", std::max<int64_t>(total_steps_ - 1, 1)}},
                             "sft lr schedule");
}

// A base without a template of its own chats through a built-in one chosen by its folder's name; a fine-tuned copy
// in another folder keeps the one it was trained with.
void SftRun::write_builtin_template(const std::string& dir) const {
  if (!chat_.is_builtin()) return;
  const std::string& src = chat_.source();
  write_file_durable(dir + "/chat_template.jinja", src.data(), src.size());
}

json SftRun::run_config() const {
  return {{"seq_len", c_.seq_len}, {"batch", c_.batch},         {"epochs", c_.epochs},
          {"seed", c_.seed},       {"lora_rank", c_.lora_rank}, {"precision", c_.precision}};
}

// One optimizer step over the step's rows; fills the metrics record, returns the mean loss.
double SftRun::step_once(json& rec) {
  const int64_t s = st_.step, epoch = s / steps_per_epoch_, k = s % steps_per_epoch_;
  std::vector<size_t> order(rows_.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::shuffle(order.begin(), order.end(), std::mt19937_64(c_.seed * 1000003 + uint64_t(epoch)));
  std::vector<const PackedRow*> rows;
  for (int64_t i = k * c_.batch; i < std::min<int64_t>(int64_t(order.size()), (k + 1) * c_.batch); i++)
    rows.push_back(&rows_[order[size_t(i)]]);
  int64_t T = 0;
  for (const PackedRow* r : rows) T = std::max<int64_t>(T, int64_t(r->tokens.size()));
  const int64_t B = int64_t(rows.size());
  std::vector<int32_t> tokens(size_t(B * T), 0), targets(size_t(B * T), -1), segments(size_t(B * T), -1);
  int64_t count = 0;
  for (int64_t b = 0; b < B; b++) {  // rows padded with token 0 in a segment of its own, never a target
    std::copy(rows[b]->tokens.begin(), rows[b]->tokens.end(), tokens.begin() + b * T);
    std::copy(rows[b]->targets.begin(), rows[b]->targets.end(), targets.begin() + b * T);
    std::copy(rows[b]->segments.begin(), rows[b]->segments.end(), segments.begin() + b * T);
  }
  for (int32_t t : targets) count += t >= 0;
  const double t0 = now_s();
  model_->params().zero_grad();
  const Precision p = c_.precision == "bf16" ? Precision::BF16 : Precision::F32;
  const TrainLoss L = model_->forward(TrainBatch{tokens.data(), targets.data(), segments.data(), B, T}, p,
                                      1.0 / double(std::max<int64_t>(count, 1)), true);
  model_->backward();
  const double norm = c_.grad_clip > 0 ? clip_grad_norm(ops_, c_.grad_clip) : global_grad_norm(ops_);
  const double lr = sched_.lr(s);
  opt_->step(lr);
  const double dt = now_s() - t0;
  seconds_ += dt;
  tokens_seen_ += B * T;
  st_.step++;
  rec = {{"step", st_.step},        {"epoch", epoch + 1},
         {"loss", L.mean()},        {"lr", lr},
         {"grad_norm", norm},       {"tokens_per_s", double(B * T) / dt},
         {"trained_tokens", count}, {"tokens_seen", tokens_seen_}};
  return L.mean();
}

void SftRun::save() {
  commit_checkpoint(c_.out, st_.step, int(c_.keep_checkpoints), [&](const std::string& dir) {
    if (adapter_) {
      adapter_->write(dir, c_.model);
    } else {
      std::vector<std::pair<std::string, Tensor>> tensors;
      for (auto& p : model_->params().all())
        tensors.emplace_back(p.name, Tensor::view_of(DType::F32, p.shape, p.value.data(), nullptr));
      save_safetensors(dir + "/model.safetensors", tensors);
      copy_model_files(base_, dir);
      write_builtin_template(dir);
    }
    capture_optimizer_state(*opt_, st_);
    st_.tokens_seen = tokens_seen_;
    st_.data = {st_.step / steps_per_epoch_, st_.step % steps_per_epoch_};
    st_.extra = {{"stage", "sft"}, {"train_seconds", seconds_}, {"first_loss", first_loss_}, {"config", run_config()}};
    if (!prompt_style_.empty()) st_.extra["prompt_style"] = prompt_style_;
    write_trainer_state(dir, st_);
  });
}

// The trained model's greedy reply to the first sample's prompt (of the data file's first line), on the live weights.
// A text line has no prompt: its first tokens stand in.
json SftRun::sample_reply() {
  const SftSample& s = *std::min_element(samples_.begin(), samples_.end(),
                                         [](const SftSample& a, const SftSample& b) { return a.line < b.line; });
  size_t n_prompt = 0;
  while (n_prompt < s.trained.size() && !s.trained[n_prompt]) n_prompt++;
  if (n_prompt == 0) n_prompt = std::min<size_t>(8, s.tokens.size() / 2 + 1);  // a text line: its start as the prompt
  GenerationRequest req;
  req.prompt.assign(s.tokens.begin(), s.tokens.begin() + int64_t(n_prompt));
  req.max_tokens = std::min<int64_t>(128, int64_t(s.tokens.size() - n_prompt) + 16);
  req.sampling.temperature = 0;
  for (int64_t id : model_->inference_model().eos_token_ids())
    if (id >= 0) req.stop_ids.push_back(int32_t(id));
  if (tok_.token_id(chat_.eos_token()) >= 0) req.stop_ids.push_back(tok_.token_id(chat_.eos_token()));
  Session session(model_->inference_model(), &tok_);
  const GenerationResult g = session.generate(req, [](const std::string&) {});
  return {{"line", s.line}, {"prompt", tok_.decode(req.prompt)}, {"reply", g.text}};
}

void SftRun::finish(json& summary) {
  if (adapter_ && c_.merge) {
    write_merged_model(base_, *adapter_, c_.out);
    write_builtin_template(c_.out);
    summary["merged_model"] = c_.out;
  } else if (adapter_) {
    adapter_->write(c_.out, c_.model);
    summary["adapter"] = c_.out;
  } else {
    summary["model"] = c_.out + "/latest";
  }
  const std::string text = summary.dump(2) + "\n";
  write_file_durable(c_.out + "/summary.json", text.data(), text.size());
  write_report_html(c_.out, summary);
}

json SftRun::run() {
  fs::create_directories(c_.out);
  MetricsWriter metrics(c_.out, latest_ ? std::optional<int64_t>(st_.step) : std::nullopt);
  int64_t trained = 0;
  for (const SftSample& s : samples_) trained += std::count(s.trained.begin(), s.trained.end(), uint8_t(1));
  std::fprintf(stderr, "seek sft: %zu samples (%lld trained tokens) in %zu rows of <= %lld tokens, %lld steps%s\n",
               samples_.size(), (long long)trained, rows_.size(), (long long)c_.seq_len, (long long)total_steps_,
               latest_ ? (", resuming at step " + std::to_string(st_.step)).c_str() : "");
  const int64_t every = c_.checkpoint_every > 0 ? c_.checkpoint_every : steps_per_epoch_;
  Progress bar("sft", total_steps_ - st_.step, "step");
  const int64_t first = st_.step;
  while (st_.step < total_steps_) {
    json rec;
    last_loss_ = step_once(rec);
    if (std::isnan(first_loss_)) first_loss_ = last_loss_;
    metrics.write(rec);
    char note[128];
    std::snprintf(note, sizeof note, "step %lld  epoch %lld  loss %.4f  lr %.2e", (long long)st_.step,
                  (long long)rec["epoch"].get<int64_t>(), last_loss_, rec["lr"].get<double>());
    bar.set_note(note);
    bar.update(st_.step - first);
    if (st_.step % every == 0 || st_.step == total_steps_) save();
  }
  bar.done();
  json summary = {{"base_model", c_.model},
                  {"samples", samples_.size()},
                  {"trained_tokens_per_epoch", trained},
                  {"rows_per_epoch", rows_.size()},
                  {"steps", st_.step},
                  {"epochs", c_.epochs},
                  {"mode", adapter_ ? "lora" : "full"},
                  {"trained_params", model_->params().numel()},
                  {"first_loss", first_loss_},
                  {"final_loss", last_loss_},
                  {"train_seconds", seconds_},
                  {"sample", sample_reply()}};
  if (adapter_) summary["lora"] = {{"rank", c_.lora_rank}, {"alpha", c_.lora_alpha}, {"targets", c_.lora_targets}};
  finish(summary);
  return summary;
}

}  // namespace

json run_sft(const SftConfig& cfg, bool resume) {
  validate(cfg);
  set_num_threads(cfg.threads);
  SftRun run(cfg, resume);
  return run.run();
}

}  // namespace seek::rl
