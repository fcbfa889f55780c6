// The cost planner behind `seek cost`: model FLOPs of a planned run, divided by an achieved rate per device
// (utilization x the device's dense peak), gives device-hours, money and wall-clock time.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/config.h"
#include "train/devices.h"

namespace seek {

struct CostPlan {
  DeepSeekConfig config;
  std::string model_source;  // "preset deepseek-v3" or the config file, for the report
  int64_t seq_len = 4096;
  int64_t mtp_depth = 0;
  double tokens = 0;   // training tokens (> 0)
  std::string device;  // a device_table() name
  TrainPrecision precision = TrainPrecision::BF16;
  std::optional<double> utilization;     // achieved / the device's peak at `precision`, in (0, 1]; unset: assumed
  std::optional<double> price_per_hour;  // USD per device-hour; unset: the device's default
  std::optional<int64_t> devices;        // devices running in parallel; set: wall_clock_days is reported
};

// The assumed model-FLOPs utilization against the dense BF16 peak when none is given (see cost.cpp for why).
constexpr double kAssumedMfuOfBf16Peak = 0.40;

// DeepSeek-V3's published pretraining run: the 671B config, 4096-token sequences, one MTP module, FP8 GEMMs,
// 14.8T tokens on 2048 H800s.
CostPlan deepseek_v3_preset();
// The 671B config.json (the published values), parsed.
DeepSeekConfig deepseek_v3_config();
// DeepSeek-V3 report: 2,664K H800-hours for pretraining on 14.8T tokens.
constexpr double kV3PretrainH800Hours = 2.664e6;

// Validates the plan (tokens > 0, utilization in (0, 1], price >= 0, devices >= 1; Error naming the option) and
// returns the prediction as JSON: flops_per_token {matmul, attention, head, mtp, forward, training}, total_flops,
// device, precision, peak_flops_per_device, utilization, utilization_source ("assumed" | "given"),
// utilization_basis, achieved_flops_per_device, device_hours, price_per_hour, cost_usd, and wall_clock_days when
// devices is set.
nlohmann::json plan_cost(const CostPlan& plan);

}  // namespace seek
