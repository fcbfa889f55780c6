// `seek cost`: predict the FLOPs, device-hours, money and wall-clock time of a planned pretraining run, as JSON.
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/checkpoint.h"
#include "train/cost.h"

namespace seek::cli {
namespace {

struct CostArgs {
  std::string preset, config, tokens, device, seq_len, mtp_depth, precision, utilization, price, devices;
};

// A finite number, optionally with a K/M/B/T suffix ("14.8T" = 14.8e12). Errors name the option.
double parse_number(const std::string& s, const char* option) {
  const char* b = s.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(b, &end);
  bool ok = end != b && errno == 0 && std::isfinite(v);
  if (ok && *end) {
    const char suf = char(std::toupper(static_cast<unsigned char>(*end)));
    const double mult = suf == 'K' ? 1e3 : suf == 'M' ? 1e6 : suf == 'B' || suf == 'G' ? 1e9 : suf == 'T' ? 1e12 : 0;
    ok = mult > 0 && end[1] == '\0';
    v *= mult;
  }
  if (!ok) throw Error(std::string(option) + ": '" + s + "' is not a number");
  return v;
}

int64_t parse_count(const std::string& s, const char* option, int64_t min) {
  const double v = parse_number(s, option);
  if (v != double(int64_t(v)) || v < double(min))
    throw Error(std::string(option) + ": '" + s + "' must be an integer >= " + std::to_string(min));
  return int64_t(v);
}

// --config FILE.json, a model folder holding config.json, or a training run (its latest checkpoint).
DeepSeekConfig read_config(const std::string& path) {
  if (std::filesystem::is_directory(path)) return load_deepseek_config(resolve_model_dir(path));
  const std::string text = read_text_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    std::string m = e.what();
    for (char& ch : m)
      if (ch == '\n' || ch == '\r') ch = ' ';
    throw Error(path + ": not valid JSON: " + m);
  }
  if (!j.is_object()) throw Error(path + ": expected a JSON object (a config.json)");
  return parse_deepseek_config(j, path);
}

void run_cost(const CostArgs& a) {
  if (a.preset.empty() == a.config.empty())
    throw Error("cost: give exactly one of --preset deepseek-v3 or --config FILE");
  CostPlan plan;
  if (!a.preset.empty()) {
    if (a.preset != "deepseek-v3") throw Error("unknown preset '" + a.preset + "': expected deepseek-v3");
    plan = deepseek_v3_preset();
  } else {
    plan.config = read_config(a.config);
    plan.model_source = a.config;
    plan.seq_len = 4096;
    plan.mtp_depth = plan.config.num_nextn_predict_layers;
    plan.precision = TrainPrecision::BF16;
  }
  if (!a.tokens.empty())
    plan.tokens = parse_number(a.tokens, "--tokens");
  else if (a.preset.empty())
    throw Error("cost: --tokens is required with --config");
  if (!a.device.empty())
    plan.device = a.device;
  else if (a.preset.empty())
    throw Error("cost: --device is required with --config (h800, h100, h200, a100, cpu)");
  if (!a.seq_len.empty()) plan.seq_len = parse_count(a.seq_len, "--seq-len", 1);
  if (!a.mtp_depth.empty()) plan.mtp_depth = parse_count(a.mtp_depth, "--mtp-depth", 0);
  if (!a.precision.empty()) plan.precision = parse_train_precision(a.precision);
  if (!a.utilization.empty()) plan.utilization = parse_number(a.utilization, "--utilization");
  if (!a.price.empty()) plan.price_per_hour = parse_number(a.price, "--price-per-hour");
  if (!a.devices.empty()) plan.devices = parse_count(a.devices, "--devices", 1);
  nlohmann::json result = plan_cost(plan);
  if (!a.preset.empty() && result["device"] == "h800" && plan.seq_len == 4096 && plan.mtp_depth == 1) {
    // The report's own number for comparison, scaled to the planned tokens (it is linear in them).
    const double published = kV3PretrainH800Hours * plan.tokens / 14.8e12;
    result["published_reference"] = {
        {"source", "DeepSeek-V3 report: 2,664K H800-hours for 14.8T pretraining tokens (180K per trillion)"},
        {"device_hours_for_these_tokens", published},
        {"ratio", result["device_hours"].get<double>() / published}};
  }
  const std::string out = result.dump(2) + "\n";
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) throw Error("cannot write to stdout");
  std::fflush(stdout);
}

}  // namespace

void register_cost(CLI::App& app) {
  auto args = std::make_shared<CostArgs>();
  CLI::App* cmd = app.add_subcommand(
      "cost", "Predict a pretraining run's FLOPs, device-hours, cost and wall-clock time (JSON on stdout)");
  cmd->add_option("--preset", args->preset,
                  "deepseek-v3: the published 671B config, seq 4096, MTP depth 1, FP8, 14.8T tokens, 2048 h800");
  cmd->add_option("--config", args->config, "a DeepSeek-V3-architecture config.json, a model folder or a training run");
  cmd->add_option("--tokens", args->tokens, "training tokens, e.g. 14.8e12 or 14.8T");
  cmd->add_option("--device", args->device, "h800 | h100 | h200 | a100 | cpu (this machine, measured)");
  cmd->add_option("--seq-len", args->seq_len, "training sequence length (default 4096)");
  cmd->add_option("--mtp-depth", args->mtp_depth, "MTP modules trained (default: the config's)");
  cmd->add_option("--precision", args->precision, "fp8 | bf16: the GEMM precision the peak is taken at");
  cmd->add_option("--utilization", args->utilization,
                  "achieved model FLOP/s over the device's dense peak at --precision, in (0, 1] "
                  "(default: assumed 40% of the BF16 peak, explained in the output)");
  cmd->add_option("--price-per-hour", args->price, "USD per device-hour (default: the device's planning price)");
  cmd->add_option("--devices", args->devices, "devices in parallel: adds wall_clock_days");
  cmd->callback([args] { run_cost(*args); });
}

}  // namespace seek::cli
