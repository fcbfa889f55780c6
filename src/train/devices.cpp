#include "train/devices.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "kernels/weight.h"
#include "train/machine_peak.h"

namespace seek {

TrainPrecision parse_train_precision(const std::string& s) {
  if (s == "bf16") return TrainPrecision::BF16;
  if (s == "fp8") return TrainPrecision::FP8;
  throw Error("precision '" + s + "': expected fp8 or bf16");
}

const char* train_precision_name(TrainPrecision p) { return p == TrainPrecision::FP8 ? "fp8" : "bf16"; }

const std::vector<DeviceSpec>& device_table() {
  // Peaks are the vendor datasheets' dense numbers. The datasheets print tensor-core rates "with sparsity"
  // (2:4 structured sparsity doubles them); dense training runs get half of those:
  //   H100 SXM5 datasheet: BF16 1,979 and FP8 3,958 TFLOPS with sparsity -> 989.5 / 1,979 dense
  //     (= 132 SMs x 1.83 GHz x 4,096 dense BF16 FLOP per SM per clock = 989.4 TFLOPS).
  //   H800 SXM5 datasheet: the same tensor-core rates as H100 SXM5 (it differs in NVLink bandwidth and FP64).
  //   H200 SXM datasheet: the same GH100 compute rates as H100 SXM5 (more and faster HBM).
  //   A100 SXM datasheet: BF16 624 TFLOPS with sparsity -> 312 dense; no FP8 tensor cores.
  // Prices are round planning defaults, not quotes: h800 at $2/GPU-hour is the rental price the DeepSeek-V3
  // report assumes; the others sit inside the range of 2024-2025 public on-demand cloud listings per GPU-hour
  // (H100 SXM about $1.7-$7, A100 about $1-$4, H200 above H100). Pass --price-per-hour for a real quote.
  static const std::vector<DeviceSpec> table = {
      {"h800", "NVIDIA H800 SXM5", 989.5e12, 1979e12, 2.00, false},
      {"h100", "NVIDIA H100 SXM5", 989.5e12, 1979e12, 2.50, false},
      {"h200", "NVIDIA H200 SXM", 989.5e12, 1979e12, 3.50, false},
      {"a100", "NVIDIA A100 SXM 80GB", 312e12, 0, 1.50, false},
      {"cpu", "this machine (seek's measured CPU matmul rate)", 0, 0, 0, true},
  };
  return table;
}

const DeviceSpec& find_device(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  std::string known;
  for (const DeviceSpec& d : device_table()) {
    if (d.name == lower) return d;
    known += (known.empty() ? "" : ", ") + d.name;
  }
  throw Error("unknown device '" + name + "': expected one of " + known);
}

double device_peak_flops(const DeviceSpec& d, TrainPrecision p) {
  if (d.measured) {
    check(p == TrainPrecision::BF16, "device " + d.name + " has no fp8 matmul: use --precision bf16");
    return measured_matmul_peak_flops(Precision::BF16);
  }
  const double peak = p == TrainPrecision::FP8 ? d.fp8_peak : d.bf16_peak;
  check(peak > 0, "device " + d.name + " has no " + train_precision_name(p) + " tensor cores: use --precision bf16");
  return peak;
}

}  // namespace seek
