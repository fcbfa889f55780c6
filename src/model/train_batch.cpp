#include "model/train_batch.h"

#include <cstddef>

#include "kernels/cpu/attention.h"

namespace seek {

std::vector<int32_t> batch_positions(const TrainBatch& b) {
  std::vector<int32_t> first(std::size_t(b.rows())), pos(std::size_t(b.rows()));
  cpu::segment_starts(b.segments, b.B, b.T, first.data());
  for (int64_t r = 0; r < b.rows(); r++) pos[std::size_t(r)] = int32_t(r % b.T) - first[std::size_t(r)];
  return pos;
}

}  // namespace seek
