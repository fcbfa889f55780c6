#include "train/trainer.h"

#include <malloc.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "formats/safetensors_write.h"
#include "text/tokenizer/tokenizer.h"
#include "infer/session.h"
#include "model/deepseek_train.h"
#include "model/schema.h"
#include "train/checkpoint_dir.h"
#include "train/data_loader.h"
#include "train/flops.h"
#include "train/machine_peak.h"
#include "train/metrics.h"
#include "train/presets.h"
#include "train/report.h"
#include "train/trainer_state.h"

namespace seek::train {

namespace fs = std::filesystem;
using nlohmann::json;

TrainConfig parse_train_config(const json& j, const std::string& where) {
  check(j.is_object(), where + ": expected a JSON object");
  TrainConfig c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    auto num = [&](auto& field) {
      check(v.is_number(), where + ": field '" + k + "' must be a number");
      using T = std::decay_t<decltype(field)>;
      if constexpr (std::is_integral_v<T>) {
        check(v.is_number_integer() || v.get<double>() == std::floor(v.get<double>()),
              where + ": field '" + k + "' must be an integer");
        field = T(v.get<double>());
      } else {
        field = v.get<T>();
      }
    };
    auto str = [&](std::string& field) {
      check(v.is_string(), where + ": field '" + k + "' must be a string");
      field = v.get<std::string>();
    };
    if (k == "model") {
      check(v.is_object(), where + ": field 'model' must be a config.json object");
      c.model = v;
    } else if (k == "preset")
      str(c.preset);
    else if (k == "data")
      str(c.data);
    else if (k == "out")
      str(c.out);
    else if (k == "seq_len")
      num(c.seq_len);
    else if (k == "batch_size")
      num(c.batch_size);
    else if (k == "grad_accum")
      num(c.grad_accum);
    else if (k == "max_steps")
      num(c.max_steps);
    else if (k == "optimizer") {
      check(v.is_object(), where + ": field 'optimizer' must be an object");
      for (auto o = v.begin(); o != v.end(); ++o) {
        check(o.value().is_number(), where + ": optimizer." + o.key() + " must be a number");
        if (o.key() == "beta1")
          c.optimizer.beta1 = o.value();
        else if (o.key() == "beta2")
          c.optimizer.beta2 = o.value();
        else if (o.key() == "eps")
          c.optimizer.eps = o.value();
        else if (o.key() == "weight_decay")
          c.optimizer.weight_decay = o.value();
        else
          throw Error(where + ": unknown field 'optimizer." + o.key() + "'");
      }
    } else if (k == "lr_schedule")
      c.lr_schedule = v;
    else if (k == "grad_clip")
      num(c.grad_clip);
    else if (k == "mtp_lambda")
      num(c.mtp_lambda);
    else if (k == "balance_alpha")
      num(c.balance_alpha);
    else if (k == "bias_update_speed")
      num(c.bias_update_speed);
    else if (k == "init_std")
      num(c.init_std);
    else if (k == "seed")
      num(c.seed);
    else if (k == "precision")
      str(c.precision);
    else if (k == "eval_every")
      num(c.eval_every);
    else if (k == "eval_windows")
      num(c.eval_windows);
    else if (k == "sample_every")
      num(c.sample_every);
    else if (k == "sample_tokens")
      num(c.sample_tokens);
    else if (k == "checkpoint_every")
      num(c.checkpoint_every);
    else if (k == "keep_checkpoints")
      num(c.keep_checkpoints);
    else if (k == "log_every")
      num(c.log_every);
    else if (k == "price_per_hour")
      num(c.price_per_hour);
    else if (k == "threads")
      num(c.threads);
    else
      throw Error(where + ": unknown field '" + k + "'");
  }
  return c;
}

json train_config_json(const TrainConfig& c) {
  json j = {{"preset", c.preset},
            {"data", c.data},
            {"seq_len", c.seq_len},
            {"batch_size", c.batch_size},
            {"grad_accum", c.grad_accum},
            {"max_steps", c.max_steps},
            {"optimizer",
             {{"beta1", c.optimizer.beta1},
              {"beta2", c.optimizer.beta2},
              {"eps", c.optimizer.eps},
              {"weight_decay", c.optimizer.weight_decay}}},
            {"lr_schedule", c.lr_schedule},
            {"grad_clip", c.grad_clip},
            {"mtp_lambda", c.mtp_lambda},
            {"balance_alpha", c.balance_alpha},
            {"bias_update_speed", c.bias_update_speed},
            {"init_std", c.init_std},
            {"seed", c.seed},
            {"precision", c.precision}};
  if (!c.model.is_null()) j["model"] = c.model;
  return j;
}

namespace {

double now_seconds_monotonic() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void validate(const TrainConfig& c) {
  auto pos = [](int64_t v, const char* name) {
    check(v >= 1, std::string("train config: '") + name + "' must be >= 1, got " + std::to_string(v));
  };
  pos(c.seq_len, "seq_len");
  pos(c.batch_size, "batch_size");
  pos(c.grad_accum, "grad_accum");
  pos(c.max_steps, "max_steps");
  pos(c.eval_every, "eval_every");
  pos(c.sample_every, "sample_every");
  pos(c.checkpoint_every, "checkpoint_every");
  pos(c.log_every, "log_every");
  check(c.grad_clip >= 0, "train config: 'grad_clip' must be >= 0 (0: off)");
  check(c.mtp_lambda >= 0 && c.balance_alpha >= 0 && c.bias_update_speed >= 0,
        "train config: mtp_lambda, balance_alpha and bias_update_speed must be >= 0");
  check(c.init_std > 0, "train config: 'init_std' must be > 0");
  check(c.precision == "f32" || c.precision == "bf16",
        "train config: 'precision' must be f32 or bf16, got '" + c.precision + "'");
  check(!c.data.empty(), "train: no data folder (--data DIR, made by `seek data`)");
  check(!c.out.empty(), "train: no output folder (--out DIR)");
}

json read_json_file(const std::string& path) {
  std::ifstream f(path);
  check(bool(f), path + ": cannot open");
  try {
    return json::parse(f);
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
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

}  // namespace

json run_training(TrainConfig cfg, bool resume) {
  validate(cfg);
  set_num_threads(cfg.threads);
  // Every step allocates and frees the same activation buffers. Keep freed memory in the heap instead of returning
  // it to the OS (and mapping it again, page fault by page fault, on the next step).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest allowed value
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  const TokenDataset data(cfg.data);

  // ---- the model: from the checkpoint being resumed, the config's "model", or a preset sized to the data
  const std::optional<std::string> latest = resume ? latest_checkpoint(cfg.out) : std::nullopt;
  check(!resume || latest.has_value(),
        cfg.out + ": nothing to resume (no " + cfg.out + "/latest); run without --resume");
  if (!resume && fs::exists(fs::path(cfg.out) / "latest"))
    throw Error(cfg.out + " already holds a training run; use --resume to continue it or choose another --out");
  json model_json;
  if (latest)
    model_json = read_json_file(*latest + "/config.json");
  else if (!cfg.model.is_null())
    model_json = cfg.model;
  else
    model_json = preset_model_config(cfg.preset.empty() ? "tiny" : cfg.preset, data.vocab_size(),
                                     data.bos_id() < 0 ? data.eos_id() : data.bos_id(), data.eos_id());
  const DeepSeekConfig mc = parse_deepseek_config(model_json, latest ? *latest + "/config.json" : "model config");
  check(mc.vocab_size >= data.vocab_size(), "model vocab_size " + std::to_string(mc.vocab_size) +
                                                " is smaller than the data's vocabulary (" +
                                                std::to_string(data.vocab_size()) + ")");
  check(cfg.seq_len + 1 <= mc.max_position_embeddings, "seq_len " + std::to_string(cfg.seq_len) +
                                                           " + 1 exceeds the model's max_position_embeddings " +
                                                           std::to_string(mc.max_position_embeddings));
  if (cfg.lr_schedule.is_null())
    cfg.lr_schedule = {{"type", "cosine"},
                       {"peak_lr", 3e-3},
                       {"min_lr", 3e-4},
                       {"warmup_steps", std::max<int64_t>(1, cfg.max_steps / 20)},
                       {"total_steps", cfg.max_steps}};
  const LrSchedule schedule = parse_lr_schedule(cfg.lr_schedule, "train config: lr_schedule");

  TrainableDeepSeek model(mc);
  TrainerState st;
  if (latest) {
    model.load(*latest);
    st = read_trainer_state(*latest);
    const json saved = st.extra.value("config", json());
    json now = train_config_json(cfg);
    for (const char* k : {"seq_len", "batch_size", "grad_accum", "seed", "precision", "mtp_lambda", "balance_alpha"})
      if (saved.contains(k) && saved[k] != now[k])
        throw Error(*latest + ": the run being resumed used " + k + " = " + saved[k].dump() + ", not " + now[k].dump() +
                    "; resume with the same configuration");
  } else {
    model.init_random(cfg.seed, cfg.init_std);
    st.rng.seed(cfg.seed * 0x9E3779B97F4A7C15ull + 1);
  }
  std::vector<seek::OptimizerParam> ops;
  for (auto& p : model.params().all())
    if (p.trainable)
      ops.push_back({p.name, p.value.data(), p.grad.data(), p.numel(), default_decay(p.name, int(p.shape.size()))});
  AdamW opt(cfg.optimizer, ops);
  if (latest) restore_optimizer_state(st, opt);
  DataLoader loader(data, Split::train, cfg.seq_len, cfg.batch_size, cfg.seed);
  if (latest) loader.restore({uint64_t(st.data.epoch), uint64_t(st.data.position)});
  MetricsWriter metrics(cfg.out, latest ? std::optional<int64_t>(st.step) : std::nullopt);

  std::optional<Tokenizer> tok;
  if (fs::exists(fs::path(cfg.data) / "tokenizer.json")) tok = Tokenizer::from_path(cfg.data + "/tokenizer.json");

  LossOptions lopt;
  lopt.mtp_lambda = cfg.mtp_lambda;
  lopt.balance_alpha = cfg.balance_alpha;
  lopt.precision = cfg.precision == "bf16" ? Precision::BF16 : Precision::F32;
  const int64_t depth = mc.num_nextn_predict_layers;
  const FlopsPerToken fpt = flops_per_token(mc, cfg.seq_len + 1, depth);
  const double peak = measured_matmul_peak_flops(cfg.precision == "bf16" ? Precision::BF16 : Precision::F32);
  const ParamCounts pc = count_params(mc);
  const double unigram = unigram_val_loss(data);

  int64_t step = st.step, tokens_seen = st.tokens_seen;
  double train_seconds = st.extra.value("train_seconds", 0.0);
  double last_val = st.extra.value("last_val_loss", std::nan(""));
  double last_loss = std::nan(""), last_load = 0;
  json last_sample;
  const int64_t T = cfg.seq_len + 1, B = cfg.batch_size;
  std::vector<int32_t> batch(static_cast<size_t>(B * T));

  auto summary = [&]() {
    const double achieved = train_seconds > 0 ? fpt.training * double(tokens_seen) / train_seconds : 0.0;
    json s = {{"model",
               {{"architecture", mc.model_type},
                {"layers", mc.num_hidden_layers},
                {"hidden", mc.hidden_size},
                {"routed_experts", mc.n_routed_experts},
                {"experts_per_token", mc.num_experts_per_tok},
                {"mtp_depth", depth},
                {"vocab", mc.vocab_size},
                {"params_total", pc.total + pc.mtp},
                {"params_active", pc.active}}},
              {"steps", step},
              {"tokens_seen", tokens_seen},
              {"seq_len", cfg.seq_len},
              {"batch_tokens", B * cfg.seq_len * cfg.grad_accum},
              {"precision", cfg.precision},
              {"final_loss", last_loss},
              {"final_val_loss", last_val},
              {"unigram_val_loss", unigram},
              {"expert_load_max_over_mean", last_load},
              {"flops_per_token", fpt.training},
              {"train_seconds", train_seconds},
              {"achieved_flops_per_s", achieved},
              {"peak_flops_per_s", peak},
              {"peak_basis", "seek's own matmul on this machine, " + std::to_string(num_threads()) + " threads"},
              {"utilization", peak > 0 ? achieved / peak : 0.0},
              {"device", "cpu (" + std::to_string(num_threads()) + " threads)"},
              {"device_hours", train_seconds / 3600.0},
              {"price_per_hour", cfg.price_per_hour},
              {"cost_usd", train_seconds / 3600.0 * cfg.price_per_hour}};
    return s;
  };
  auto save = [&]() {
    commit_checkpoint(cfg.out, step, int(cfg.keep_checkpoints), [&](const std::string& dir) {
      std::vector<std::pair<std::string, Tensor>> tensors;
      for (auto& p : model.params().all())
        tensors.emplace_back(p.name, Tensor::view_of(DType::F32, p.shape, p.value.data(), nullptr));
      save_safetensors(dir + "/model.safetensors", tensors);
      // Fault injection for the crash tests: die half-way through writing this checkpoint.
      if (const char* crash = std::getenv("SEEK_TEST_KILL_IN_CHECKPOINT"); crash && std::atoll(crash) == step)
        std::raise(SIGKILL);
      const std::string cj = model_json.dump(2) + "\n";
      write_file_durable(dir + "/config.json", cj.data(), cj.size());
      for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
        const fs::path src = fs::path(cfg.data) / f;
        if (!fs::exists(src)) continue;
        std::ifstream in(src, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        write_file_durable(dir + "/" + f, bytes.data(), bytes.size());
      }
      capture_optimizer_state(opt, st);
      st.step = step;
      st.tokens_seen = tokens_seen;
      const DataLoader::State ls = loader.state();
      st.data = {int64_t(ls.epoch), int64_t(ls.position)};
      st.extra = {{"train_seconds", train_seconds}, {"last_val_loss", last_val}, {"config", train_config_json(cfg)}};
      write_trainer_state(dir, st);
    });
    const json s = summary();
    const std::string text = s.dump(2) + "\n";
    write_file_durable(cfg.out + "/summary.json", text.data(), text.size());
    write_report_html(cfg.out, s);
  };
  auto val_loss = [&]() {
    const Split es = data.tokens(Split::val) > cfg.seq_len ? Split::val : Split::train;
    ValidationWindows vw(data, cfg.seq_len, cfg.eval_windows, es);
    double sum = 0;
    int64_t n = 0, got;
    while ((got = vw.next_batch(batch.data(), B)) > 0) {
      LossOptions o = lopt;
      o.mtp_depth = 0;
      const Losses L = model.step(batch.data(), got, T, o, 1.0, /*forward_only=*/true);
      sum += L.main * double(L.main_tokens);
      n += L.main_tokens;
    }
    return n > 0 ? sum / double(n) : std::nan("");
  };
  auto sample = [&]() {
    // A continuation of the start of the val split at temperature 0.8, decoded on the live weights through the
    // inference model and the same session and sampler as `seek generate`. Its seed comes from the run's own RNG
    // (saved and restored), so a resumed run samples the same text.
    const Split es = data.tokens(Split::val) > 16 ? Split::val : Split::train;
    GenerationRequest req;
    req.prompt.resize(16);
    data.read(es, 0, 16, req.prompt.data());
    req.max_tokens = cfg.sample_tokens;
    req.sampling.temperature = 0.8f;
    req.sampling.seed = st.rng();
    Session session(model.inference_model(), tok ? &*tok : nullptr);
    const GenerationResult g = session.generate(req, [](const std::string&) {});
    json s = {{"step", step}};
    if (tok) {
      s["prompt"] = tok->decode(req.prompt);
      s["text"] = g.text;
    } else {
      s["ids"] = g.tokens;
    }
    return s;
  };

  std::fprintf(
      stderr, "seek train: %s, %.2fM parameters (%.2fM active per token), %lld train tokens, unigram val loss %.3f%s\n",
      mc.model_type.c_str(), double(pc.total + pc.mtp) / 1e6, double(pc.active) / 1e6,
      (long long)data.tokens(Split::train), unigram,
      latest ? (", resuming at step " + std::to_string(step)).c_str() : "");
  Progress bar("train", cfg.max_steps - step, "step");
  const int64_t first = step;
  while (step < cfg.max_steps) {
    const double t0 = now_seconds_monotonic();
    model.params().zero_grad();
    model.reset_load();
    Losses acc;
    double mtp_sum = 0;
    for (int64_t m = 0; m < cfg.grad_accum; m++) {
      loader.next_batch(batch.data());
      const Losses L = model.step(batch.data(), B, T, lopt, 1.0 / double(cfg.grad_accum));
      acc.total += L.total / double(cfg.grad_accum);
      acc.main += L.main / double(cfg.grad_accum);
      acc.balance += L.balance / double(cfg.grad_accum);
      for (double v : L.mtp) mtp_sum += v / double(cfg.grad_accum) / double(L.mtp.size());
    }
    const double grad_norm = cfg.grad_clip > 0 ? clip_grad_norm(ops, cfg.grad_clip) : global_grad_norm(ops);
    const double lr = schedule.lr(step);
    opt.step(lr);
    last_load = model.load_max_over_mean();
    json load_per_layer = json::object();  // max/mean per MoE layer ("layer 1", ..., "mtp 1")
    {
      const auto names = model.moe_layer_names();
      for (size_t i = 0; i < names.size(); i++) {
        const auto& l = model.expert_load()[i];
        int64_t sum = 0, mx = 0;
        for (int64_t v : l) sum += v, mx = std::max(mx, v);
        load_per_layer[names[i]] = sum > 0 ? double(mx) * double(l.size()) / double(sum) : 0.0;
      }
    }
    model.update_selection_bias(cfg.bias_update_speed);
    step++;
    const int64_t tokens = B * cfg.seq_len * cfg.grad_accum;
    tokens_seen += tokens;
    const double dt = now_seconds_monotonic() - t0;
    train_seconds += dt;
    last_loss = acc.total;
    json rec = {{"step", step},
                {"loss", acc.total},
                {"main_loss", acc.main},
                {"lr", lr},
                {"grad_norm", grad_norm},
                {"tokens_per_s", double(tokens) / dt},
                {"mfu", peak > 0 ? fpt.training * double(tokens) / dt / peak : 0.0},
                {"expert_load_max_over_mean", last_load},
                {"expert_load_per_layer", load_per_layer},
                {"tokens_seen", tokens_seen}};
    if (depth > 0 && cfg.mtp_lambda > 0) rec["mtp_loss"] = mtp_sum;
    if (cfg.balance_alpha > 0) rec["balance_loss"] = acc.balance;
    if (step % cfg.eval_every == 0 || step == cfg.max_steps) rec["val_loss"] = last_val = val_loss();
    if (step % cfg.sample_every == 0 || step == cfg.max_steps) {
      last_sample = sample();
      rec["sample"] = last_sample.value("text", std::string());
    }
    if (step % cfg.log_every == 0 || rec.contains("val_loss")) metrics.write(rec);
    // The report follows the run: redrawn at every evaluation (and at every checkpoint, below).
    if (rec.contains("val_loss") && step % cfg.checkpoint_every != 0 && step != cfg.max_steps)
      write_report_html(cfg.out, summary());
    char note[160];
    std::snprintf(note, sizeof note, "step %lld  loss %.3f  val %.3f  lr %.2e  %.0f tok/s  load %.2f", (long long)step,
                  acc.total, last_val, lr, double(tokens) / dt, last_load);
    bar.set_note(note);
    bar.update(step - first);
    // Fault injection for the crash tests: die right after this step (its metrics line written, not checkpointed).
    if (const char* crash = std::getenv("SEEK_TEST_KILL_AFTER_STEP"); crash && std::atoll(crash) == step)
      std::raise(SIGKILL);
    if (step % cfg.checkpoint_every == 0 || step == cfg.max_steps) save();
  }
  bar.done();
  json s = summary();
  if (!last_sample.is_null()) s["last_sample"] = last_sample;
  return s;
}

}  // namespace seek::train
