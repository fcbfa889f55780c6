// The machine's memory read bandwidth, measured: the limit every decode step (which streams all active weights
// once per token) is held against.
#pragma once
#include <cstddef>

namespace seek {

// Bytes per second for summing a buffer of `bytes` (much larger than the caches) with all threads; best of `reps`.
double measure_read_bandwidth(size_t bytes = size_t(1) << 30, int reps = 5);

}  // namespace seek
