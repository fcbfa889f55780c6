#include "train/cost.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "model/deepseek.h"
#include "model/schema.h"
#include "train/flops.h"

namespace seek {

namespace {

// The published DeepSeek-V3 config.json (the fields the architecture reads).
const char* kV3ConfigJson = R"({
  "model_type": "deepseek_v3", "vocab_size": 129280, "hidden_size": 7168, "intermediate_size": 18432,
  "moe_intermediate_size": 2048, "num_hidden_layers": 61, "first_k_dense_replace": 3, "num_attention_heads": 128,
  "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4,
  "topk_method": "noaux_tc", "scoring_func": "sigmoid", "norm_topk_prob": true, "routed_scaling_factor": 2.5,
  "moe_layer_freq": 1, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
  "v_head_dim": 128, "max_position_embeddings": 163840, "rope_theta": 10000,
  "rope_scaling": {"type": "yarn", "factor": 40, "beta_fast": 32, "beta_slow": 1, "mscale": 1.0,
                   "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096},
  "rms_norm_eps": 1e-06, "tie_word_embeddings": false, "bos_token_id": 0, "eos_token_id": 1,
  "num_nextn_predict_layers": 1,
  "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                          "weight_block_size": [128, 128]}
})";

// printf-style formatting into a string of whatever length the text needs (the explanations below are long).
std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  const int n = std::snprintf(nullptr, 0, f, a, b, c);
  std::string s(size_t(std::max(n, 0)) + 1, '\0');
  std::snprintf(s.data(), s.size(), f, a, b, c);
  s.resize(size_t(std::max(n, 0)));
  return s;
}

// Why the default utilization is what it is. Model-FLOPs utilization (MFU) = model FLOPs per second / dense peak.
// Published reports of large pretraining runs on thousands of accelerators put it at 38-46% of the dense BF16 peak
// (a 405B dense model on 16K H100s: 38-43%; a 540B dense model on TPUs: 46%); 40% is the middle of that range,
// chosen before and independently of any cost it is checked against. FP8 GEMMs are not assumed to raise it: at
// that scale a step is bound by communication (MoE all-to-all, pipeline bubbles), attention and the BF16/FP32
// work (norms, gating, head, optimizer) as much as by GEMM rate, and fine-grained FP8 scaling costs GEMM rate
// (partial sums promoted to FP32 every 128 elements). So the achieved rate is 40% of the BF16 peak whatever the
// precision, which is 20% of an FP8 peak twice as high.
std::string assumed_basis(const DeviceSpec& d, TrainPrecision p, double bf16_peak, double peak) {
  if (d.measured)
    return fmt(
        "assumed: %.0f%% of this machine's measured bf16 matmul rate (%.1f GFLOP/s, seek's own GEMM on a "
        "compute-bound shape), the same model-FLOPs utilization as the accelerator default; no seek training "
        "run has calibrated it yet, so pass --utilization with the mfu a run reports in metrics.jsonl",
        100 * kAssumedMfuOfBf16Peak, peak / 1e9);
  std::string s =
      fmt("assumed: model-FLOPs utilization of %.0f%% of the device's dense BF16 peak (%.1f TFLOP/s), "
          "the middle of the 38-46%% that published large-scale pretraining runs report against the "
          "dense BF16 peak",
          100 * kAssumedMfuOfBf16Peak, bf16_peak / 1e12);
  if (p == TrainPrecision::FP8)
    s +=
        fmt("; FP8 GEMMs are not assumed to raise the achieved rate (step time at scale is bound by MoE "
            "all-to-all, pipeline bubbles, attention and the BF16/FP32 work, and fine-grained FP8 scaling costs "
            "GEMM rate), so it is %.1f%% of the dense FP8 peak (%.1f TFLOP/s)",
            100 * kAssumedMfuOfBf16Peak * bf16_peak / peak, peak / 1e12);
  return s;
}

}  // namespace

DeepSeekConfig deepseek_v3_config() {
  return parse_deepseek_config(nlohmann::json::parse(kV3ConfigJson), "preset deepseek-v3");
}

CostPlan deepseek_v3_preset() {
  CostPlan p;
  p.config = deepseek_v3_config();
  p.model_source = "preset deepseek-v3";
  p.seq_len = 4096;
  p.mtp_depth = 1;
  p.tokens = 14.8e12;
  p.device = "h800";
  p.precision = TrainPrecision::FP8;
  p.devices = 2048;
  return p;
}

nlohmann::json plan_cost(const CostPlan& plan) {
  check(std::isfinite(plan.tokens) && plan.tokens > 0, fmt("--tokens must be a positive number, got %g", plan.tokens));
  if (plan.utilization)
    check(std::isfinite(*plan.utilization) && *plan.utilization > 0 && *plan.utilization <= 1,
          fmt("--utilization must be in (0, 1], got %g", *plan.utilization));
  if (plan.price_per_hour)
    check(std::isfinite(*plan.price_per_hour) && *plan.price_per_hour >= 0,
          fmt("--price-per-hour must be >= 0, got %g", *plan.price_per_hour));
  if (plan.devices) check(*plan.devices >= 1, "--devices must be at least 1, got " + std::to_string(*plan.devices));
  const DeviceSpec& dev = find_device(plan.device);
  const double peak = device_peak_flops(dev, plan.precision);
  const double bf16_peak = device_peak_flops(dev, TrainPrecision::BF16);
  const FlopsPerToken f = flops_per_token(plan.config, plan.seq_len, plan.mtp_depth);
  const ParamCounts pc = count_params(plan.config);

  nlohmann::json out;
  out["model"] = {{"source", plan.model_source},
                  {"layers", plan.config.num_hidden_layers},
                  {"hidden_size", plan.config.hidden_size},
                  {"routed_experts", plan.config.n_routed_experts},
                  {"experts_per_token", plan.config.num_experts_per_tok},
                  {"params_total", pc.total},
                  {"params_active_per_token", pc.active},
                  {"mtp_params", pc.mtp}};
  out["seq_len"] = plan.seq_len;
  out["mtp_depth"] = plan.mtp_depth;
  out["flops_per_token"] = {{"matmul", f.matmul},
                            {"attention", f.attention},
                            {"head", f.head},
                            {"mtp", f.mtp},
                            {"forward", f.forward},
                            {"training", f.training},
                            {"active_matmul_params", f.active_matmul_params + f.head_params},
                            {"mtp_active_matmul_params", f.mtp_active_matmul_params}};
  const double total = f.training * plan.tokens;
  out["tokens"] = plan.tokens;
  out["total_flops"] = total;
  out["device"] = dev.name;
  out["device_description"] = dev.description;
  out["precision"] = train_precision_name(plan.precision);
  out["peak_flops_per_device"] = peak;
  out["peak_source"] = dev.measured ? "measured: seek's bf16 matmul on this machine"
                                    : "vendor datasheet, dense (non-sparse) tensor-core rate";

  double util;
  if (plan.utilization) {
    util = *plan.utilization;
    out["utilization_source"] = "given";
    out["utilization_basis"] = std::string("given: achieved model FLOP/s = ") + fmt("%.3g", util) + " x the device's " +
                               (dev.measured ? "measured " : "dense ") + train_precision_name(plan.precision) + " peak";
  } else {
    util = kAssumedMfuOfBf16Peak * bf16_peak / peak;
    out["utilization_source"] = "assumed";
    out["utilization_basis"] = assumed_basis(dev, plan.precision, bf16_peak, peak);
  }
  const double achieved = util * peak;
  out["utilization"] = util;
  out["mfu_vs_bf16_peak"] = achieved / bf16_peak;
  out["achieved_flops_per_device"] = achieved;
  const double hours = total / achieved / 3600.0;
  out["device_hours"] = hours;
  const double price = plan.price_per_hour ? *plan.price_per_hour : dev.price_per_hour;
  out["price_per_hour"] = price;
  out["price_source"] = plan.price_per_hour ? "given" : (price > 0 ? "default" : "unknown: pass --price-per-hour");
  if (plan.price_per_hour || price > 0)
    out["cost_usd"] = price * hours;
  else
    out["cost_usd"] = nullptr;
  if (plan.devices) {
    out["devices"] = *plan.devices;
    out["wall_clock_days"] = hours / double(*plan.devices) / 24.0;
  }
  return out;
}

}  // namespace seek
