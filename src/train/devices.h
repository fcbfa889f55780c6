// The accelerators a training run can be planned on or reported against: dense peak FLOP/s per precision and a
// default rental price. "cpu" is this machine, whose peak is measured (seek's own matmul, machine_peak.h).
#pragma once
#include <string>
#include <vector>

namespace seek {

// The precision training GEMMs run in (what the peak is taken at). FP8 means FP8 inputs with higher-precision
// accumulation, as in the V3 report; everything else in such a run stays BF16/FP32.
enum class TrainPrecision { BF16, FP8 };

TrainPrecision parse_train_precision(const std::string& s);  // "bf16" | "fp8"; throws Error naming s
const char* train_precision_name(TrainPrecision p);

struct DeviceSpec {
  std::string name;  // "h800", "h100", "h200", "a100", "cpu"
  std::string description;
  double bf16_peak = 0;       // dense (non-sparse) tensor-core FLOP/s per device; 0 for cpu (measured instead)
  double fp8_peak = 0;        // dense FP8 FLOP/s; 0 when the device has no FP8 tensor cores
  double price_per_hour = 0;  // USD per device-hour, a default for planning; 0 = unknown
  bool measured = false;      // peak comes from measured_matmul_peak_flops, not from the table
};

const std::vector<DeviceSpec>& device_table();
// The named device (case-insensitive); throws Error listing the known names.
const DeviceSpec& find_device(const std::string& name);
// Dense peak FLOP/s of `d` at `p`. For "cpu" it is seek's measured matmul rate (bf16 weights). Throws Error when
// the device has no such precision (a100 or cpu with fp8).
double device_peak_flops(const DeviceSpec& d, TrainPrecision p);

}  // namespace seek
