// seek synth: write a random-weight DeepSeek-V3-shaped checkpoint of a given size.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "model/config.h"
#include "model/deepseek.h"
#include "model/dense_config.h"
#include "model/schema.h"
#include "model/synthetic.h"
#include "train/memory_budget.h"

namespace seek::cli {

namespace {
namespace fs = std::filesystem;

struct SynthArgs {
  std::string out, params = "100M", dtype = "bf16", config;
  int64_t vocab = 32000, shard_mb = 0;
  uint64_t seed = 1;
};

// "1B", "250M", "1.5e9", "4000000" -> a count.
int64_t parse_count(const std::string& s) {
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(s, &pos);
  } catch (...) {
    throw Error("--params: '" + s + "' is not a size (e.g. 100M, 1B, 1.5e9)");
  }
  std::string unit = s.substr(pos);
  if (unit == "K" || unit == "k")
    v *= 1e3;
  else if (unit == "M" || unit == "m")
    v *= 1e6;
  else if (unit == "B" || unit == "b" || unit == "G")
    v *= 1e9;
  else if (!unit.empty())
    throw Error("--params: unknown unit '" + unit + "' in '" + s + "' (use K, M or B)");
  if (!(v >= 1e4 && v <= 2e11)) throw Error("--params: " + s + " is outside 10K..200B");
  return int64_t(v);
}

// The folder's file system must hold the checkpoint.
void check_disk_space(const std::string& out, double bytes) {
  std::error_code ec;
  fs::path p = fs::absolute(out, ec);
  while (!p.empty() && !fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  const fs::space_info sp = fs::space(p, ec);
  if (!ec && double(sp.available) < bytes)
    throw Error(out + ": the checkpoint needs " + human_bytes(bytes) + " but " + p.string() + " has " +
                human_bytes(double(sp.available)) + " free");
}

// A dense Qwen2/Llama model from a config.json (no --params preset for these).
void run_synth_dense(const SynthArgs& a, const nlohmann::json& config, const SyntheticOptions& opt,
                     const std::string& where) {
  const DenseConfig c = parse_dense_config(config, where);
  const DenseSchema schema = dense_schema(c);  // all() points into it
  int64_t n = 0;
  for (const TensorSpec* t : schema.all()) n += t->numel();
  const double need = double(n) * double(dtype_size(opt.dtype)) + 4.0 * double(c.vocab_size) * double(c.hidden_size);
  if (need > machine_memory_bytes())
    throw Error(where + ": " + std::to_string(n) + " parameters in " + a.dtype + " need ~" +
                std::to_string(int64_t(need / 1e9)) + " GB, more than this machine's memory");
  check_disk_space(a.out, double(n) * double(dtype_size(opt.dtype)));
  std::fprintf(stderr, "writing %s: %.3fB parameters (%s), hidden %lld, %lld layers\n", a.out.c_str(), double(n) / 1e9,
               config.value("model_type", std::string()).c_str(), (long long)c.hidden_size,
               (long long)c.num_hidden_layers);
  write_synthetic_checkpoint(a.out, config, opt);
  std::printf("%s\n", a.out.c_str());
}

void run_synth(const SynthArgs& a) {
  SyntheticOptions opt;
  if (a.dtype == "fp8")
    opt.dtype = DType::E4M3;
  else if (a.dtype == "bf16")
    opt.dtype = DType::BF16;
  else if (a.dtype == "f16")
    opt.dtype = DType::F16;
  else if (a.dtype == "f32")
    opt.dtype = DType::F32;
  else
    throw Error("--dtype: '" + a.dtype + "' (expected bf16, f16, f32 or fp8)");
  if (a.vocab < 16 || a.vocab > (int64_t(1) << 31))
    throw Error("--vocab must be between 16 and 2^31 (token ids are 32-bit), got " + std::to_string(a.vocab));
  if (a.shard_mb < 0) throw Error("--shard-mb must be >= 0 (0: one file), got " + std::to_string(a.shard_mb));
  opt.seed = a.seed;
  opt.shard_bytes = a.shard_mb * (int64_t(1) << 20);
  nlohmann::json config;
  if (!a.config.empty()) {  // exact shapes from a config.json
    try {
      config = nlohmann::json::parse(read_text_file(a.config));
    } catch (const nlohmann::json::exception& e) {
      throw Error(a.config + ": not valid JSON: " + e.what());
    }
    if (!config.is_object()) throw Error(a.config + ": expected a JSON object (a config.json)");
    config.erase("quantization_config");
  } else {
    config = synthetic_config(parse_count(a.params), a.vocab);
  }
  const std::string where = a.config.empty() ? "--params " + a.params : a.config;
  if (is_dense_model_type(config.value("model_type", std::string()))) return run_synth_dense(a, config, opt, where);
  MemoryJob job{"writing the checkpoint", double(dtype_size(opt.dtype)),
                std::string("the weights in ") + a.dtype + ", all held until the file is written", 0, ""};
  check_model_json_fits(config, job, where);
  DeepSeekConfig c = parse_deepseek_config(config, where);
  // One tensor at a time is drawn in f32 before conversion; the embedding is the largest.
  job.working_bytes = 4.0 * double(c.hidden_size) *
                      std::max({double(c.vocab_size), double(c.intermediate_size),
                                double(c.moe_intermediate_size) * double(std::max<int64_t>(1, c.n_shared_experts))});
  job.working_note = "the largest tensor drawn in f32";
  check_model_fits(c, job, where);
  ParamCounts pc = count_params(c);
  check_disk_space(a.out, double(pc.total + pc.mtp) * job.bytes_per_param);
  std::fprintf(stderr, "writing %s: %.3fB parameters (%.3fB active/token), hidden %lld, %lld layers, %lld experts\n",
               a.out.c_str(), double(pc.total) / 1e9, double(pc.active) / 1e9, (long long)c.hidden_size,
               (long long)c.num_hidden_layers, (long long)c.n_routed_experts);
  write_synthetic_checkpoint(a.out, config, opt);
  std::printf("%s\n", a.out.c_str());
}
}  // namespace

void register_synth(CLI::App& app) {
  auto a = std::make_shared<SynthArgs>();
  auto* cmd = app.add_subcommand("synth", "write a random-weight DeepSeek-V3-shaped checkpoint of a given size");
  cmd->add_option("--out", a->out, "output model folder")->required();
  cmd->add_option("--params", a->params, "total parameters, e.g. 100M, 1B")->capture_default_str();
  cmd->add_option("--config", a->config,
                  "use this config.json's exact shapes instead of --params/--vocab (model_type qwen2 or llama: a "
                  "dense model)");
  cmd->add_option("--dtype", a->dtype, "bf16, f16, f32 or fp8 (e4m3 with 128x128 block scales)")->capture_default_str();
  cmd->add_option("--vocab", a->vocab, "vocabulary size")->capture_default_str();
  cmd->add_option("--seed", a->seed, "random seed")->capture_default_str();
  cmd->add_option("--shard-mb", a->shard_mb, "split into shards of about this many MiB (0: one file)");
  cmd->callback([a] { run_synth(*a); });
}

}  // namespace seek::cli
