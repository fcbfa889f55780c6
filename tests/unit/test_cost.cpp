// The cost planner: the DeepSeek-V3 preset reproduces the report's 2.664M H800-hours for 14.8T pretraining tokens
// within 10% (from the model shape and an assumed utilization that is not fitted to it), the preset is the
// published config, the arithmetic scales linearly, device peaks are the datasheets' dense numbers, and bad input
// is a one-line error.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "model/schema.h"
#include "model/deepseek.h"
#include "train/cost.h"
#include "train/devices.h"
#include "train/flops.h"
#include "train/machine_peak.h"

using namespace seek;
using json = nlohmann::json;

namespace {

DeepSeekConfig published_v3() {
  std::ifstream f(std::string(SEEK_SOURCE_DIR) + "/tests/data/deepseek-v3-config.json");
  return parse_deepseek_config(json::parse(f), "v3");
}

void expect_error(const CostPlan& p, const char* needle) {
  try {
    plan_cost(p);
    ADD_FAILURE() << "accepted a plan that should fail with '" << needle << "'";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(needle), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

}  // namespace

TEST(Cost, PresetIsThePublishedConfig) {
  const DeepSeekConfig a = deepseek_v3_config(), b = published_v3();
  const ParamCounts pa = count_params(a), pb = count_params(b);
  EXPECT_EQ(pa.total, pb.total);
  EXPECT_EQ(pa.active, pb.active);
  EXPECT_EQ(pa.mtp, pb.mtp);
  EXPECT_EQ(flops_per_token(a, 4096, 1).forward, flops_per_token(b, 4096, 1).forward);
  EXPECT_EQ(a.num_nextn_predict_layers, 1);
  const CostPlan p = deepseek_v3_preset();
  EXPECT_EQ(p.seq_len, 4096);
  EXPECT_EQ(p.mtp_depth, 1);
  EXPECT_EQ(p.precision, TrainPrecision::FP8);
  EXPECT_DOUBLE_EQ(p.tokens, 14.8e12);
  EXPECT_EQ(p.device, "h800");
}

TEST(Cost, V3PretrainingWithinTenPercentOfTheReport) {
  const json r = plan_cost(deepseek_v3_preset());
  const double hours = r["device_hours"].get<double>();
  // V3 report: pretraining 2,664K H800 GPU-hours (180K per trillion tokens) at $2 per GPU-hour = $5.328M.
  EXPECT_NEAR(hours / kV3PretrainH800Hours, 1.0, 0.10) << hours;
  EXPECT_NEAR(r["cost_usd"].get<double>() / 5.328e6, 1.0, 0.10);
  // 2048 GPUs: the report's "less than two months".
  EXPECT_LT(r["wall_clock_days"].get<double>(), 61.0);
  EXPECT_EQ(r["utilization_source"], "assumed");
  EXPECT_EQ(r["precision"], "fp8");
  // The assumption is 40% of the BF16 peak, which is 20% of the FP8 peak the run is planned at.
  EXPECT_NEAR(r["mfu_vs_bf16_peak"].get<double>(), kAssumedMfuOfBf16Peak, 1e-12);
  EXPECT_NEAR(r["utilization"].get<double>(), 0.5 * kAssumedMfuOfBf16Peak, 1e-3);
  EXPECT_NE(r["utilization_basis"].get<std::string>().find("40%"), std::string::npos);
  EXPECT_NEAR(r["peak_flops_per_device"].get<double>(), 1979e12, 1e9);
}

TEST(Cost, ArithmeticScalesLinearly) {
  CostPlan p = deepseek_v3_preset();
  p.tokens = 1e12;
  p.price_per_hour = 3.25;
  p.devices = 512;
  p.utilization = 0.3;
  const json a = plan_cost(p);
  p.tokens = 2e12;
  const json b = plan_cost(p);
  const double ha = a["device_hours"].get<double>(), hb = b["device_hours"].get<double>();
  EXPECT_NEAR(hb / ha, 2.0, 1e-12);
  EXPECT_NEAR(b["total_flops"].get<double>() / a["total_flops"].get<double>(), 2.0, 1e-12);
  for (const json* r : {&a, &b}) {
    const double h = (*r)["device_hours"].get<double>();
    EXPECT_NEAR((*r)["cost_usd"].get<double>(), 3.25 * h, 1e-9 * h);
    EXPECT_NEAR((*r)["wall_clock_days"].get<double>(), h / 512 / 24, 1e-12 * h);
    // hours = FLOPs / (utilization x peak) / 3600, with the given utilization against the FP8 peak.
    EXPECT_NEAR(h, (*r)["total_flops"].get<double>() / (0.3 * 1979e12) / 3600, 1e-9 * h);
    EXPECT_EQ((*r)["utilization_source"], "given");
    EXPECT_EQ((*r)["price_source"], "given");
  }
  // total_flops = training FLOPs per token x tokens.
  EXPECT_NEAR(a["total_flops"].get<double>(), a["flops_per_token"]["training"].get<double>() * 1e12, 1.0e3);
}

TEST(Cost, DeviceTable) {
  // Datasheet "with sparsity" tensor-core numbers halved: H100/H800/H200 SXM BF16 1,979 -> 989.5 TFLOP/s,
  // FP8 3,958 -> 1,979; A100 BF16 624 -> 312, no FP8.
  for (const char* n : {"h800", "h100", "h200"}) {
    EXPECT_NEAR(device_peak_flops(find_device(n), TrainPrecision::BF16), 989.5e12, 1e12) << n;
    EXPECT_NEAR(device_peak_flops(find_device(n), TrainPrecision::FP8), 1979e12, 1e12) << n;
  }
  EXPECT_NEAR(device_peak_flops(find_device("A100"), TrainPrecision::BF16), 312e12, 1e12);
  EXPECT_THROW(device_peak_flops(find_device("a100"), TrainPrecision::FP8), Error);
  EXPECT_THROW(find_device("tpu"), Error);
  EXPECT_EQ(find_device("h800").price_per_hour, 2.0);  // the V3 report's rental price
  EXPECT_EQ(parse_train_precision("fp8"), TrainPrecision::FP8);
  EXPECT_THROW(parse_train_precision("fp4"), Error);
}

TEST(Cost, MeasuredCpuPeak) {
  // A rate, cached: the second call returns the first measurement.
  const double a = measured_matmul_peak_flops(Precision::BF16);
  EXPECT_TRUE(std::isfinite(a));
  EXPECT_GT(a, 1e8);
  EXPECT_EQ(measured_matmul_peak_flops(Precision::BF16), a);
  CostPlan p = deepseek_v3_preset();
  p.device = "cpu";
  p.precision = TrainPrecision::BF16;
  p.tokens = 1e6;
  const json r = plan_cost(p);
  EXPECT_EQ(r["peak_flops_per_device"].get<double>(), a);
  EXPECT_TRUE(r["cost_usd"].is_null());  // no default price for this machine
  p.precision = TrainPrecision::FP8;
  expect_error(p, "fp8");
}

TEST(Cost, BadPlans) {
  CostPlan p = deepseek_v3_preset();
  p.tokens = -5;
  expect_error(p, "--tokens");
  p = deepseek_v3_preset();
  p.tokens = NAN;
  expect_error(p, "--tokens");
  for (double u : {0.0, -0.1, 1.5, double(NAN)}) {
    p = deepseek_v3_preset();
    p.utilization = u;
    expect_error(p, "--utilization");
  }
  p = deepseek_v3_preset();
  p.device = "gtx1080";
  expect_error(p, "unknown device 'gtx1080'");
  p = deepseek_v3_preset();
  p.devices = 0;
  expect_error(p, "--devices");
  p = deepseek_v3_preset();
  p.price_per_hour = -1;
  expect_error(p, "--price-per-hour");
  p = deepseek_v3_preset();
  p.device = "a100";
  expect_error(p, "a100");  // no fp8 on A100
}
