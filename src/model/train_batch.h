// What a trainable model's forward takes: B rows of T tokens, the target each row predicts, and, for packed
// samples, which sample each row belongs to. Packing (several short samples in one row, as V3's post-training
// does) is exact: attention and rope positions restart at each sample's first row, so a packed sample computes what
// it would alone.
#pragma once
#include <cstdint>
#include <vector>

namespace seek {

struct TrainBatch {
  const int32_t* tokens = nullptr;    // [B, T]
  const int32_t* targets = nullptr;   // [B, T] the token each row predicts, < 0: no loss there;
                                      // null: the next token of the row (none at its last)
  const int32_t* segments = nullptr;  // [B, T] sample ids, constant over each sample's run of rows; null: one sample
                                      // per row
  int64_t B = 0, T = 0;
  int64_t rows() const { return B * T; }
};

// What a forward over a TrainBatch returns: the summed cross-entropy and how many rows it sums.
struct TrainLoss {
  double sum = 0;     // summed cross-entropy (natural log) over the rows with a target
  int64_t count = 0;  // rows with a target
  double mean() const { return count > 0 ? sum / double(count) : 0.0; }
};

// Rope position of every row: its offset from the first row of its sample (from the row's start without segments).
std::vector<int32_t> batch_positions(const TrainBatch& b);

// The token every row predicts: b.targets, or without them the next token of the row (-1 at its last). A target at
// or above vocab_size is an Error naming it.
std::vector<int32_t> batch_targets(const TrainBatch& b, int64_t vocab_size);

}  // namespace seek
