#include "model/train_batch.h"

#include <cstddef>
#include <string>

#include "core/error.h"
#include "kernels/cpu/attention_train.h"

namespace seek {

std::vector<int32_t> batch_positions(const TrainBatch& b) {
  std::vector<int32_t> first(std::size_t(b.rows())), pos(std::size_t(b.rows()));
  cpu::segment_starts(b.segments, b.B, b.T, first.data());
  for (int64_t r = 0; r < b.rows(); r++) pos[std::size_t(r)] = int32_t(r % b.T) - first[std::size_t(r)];
  return pos;
}

std::vector<int32_t> batch_targets(const TrainBatch& b, int64_t vocab_size) {
  std::vector<int32_t> t(std::size_t(b.rows()));
  for (int64_t r = 0; r < b.rows(); r++) {
    t[std::size_t(r)] = b.targets ? b.targets[r] : r % b.T + 1 < b.T ? b.tokens[r + 1] : -1;
    check(t[std::size_t(r)] < vocab_size, "target id " + std::to_string(t[std::size_t(r)]) +
                                              " out of range for vocab_size " + std::to_string(vocab_size));
  }
  return t;
}

}  // namespace seek
