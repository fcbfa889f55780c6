// The two ends of a trainable language model: the token-embedding lookup with its backward, and the head's
// cross-entropy against per-row targets, in chunks of rows so the [rows, vocab] logits never exist whole.
// Both read a trained Linear's f32 master, or a frozen one's stored weight (a LoRA base), and give gradients only
// to layers that have them.
#pragma once
#include <cstdint>

#include "model/linear.h"

namespace seek {

// out[N, dim] = rows ids[0..N) of the embedding [vocab, dim].
void embedding_fwd(const Linear& emb, const int32_t* ids, int64_t N, float* out);
// Adds d[i, :] to the embedding gradient's row ids[i] (nothing for a frozen embedding).
void embedding_bwd(const Linear& emb, const int32_t* ids, int64_t N, const float* d);

// Cross-entropy (natural log) of head(hn[N, dim]) against targets[N] (< 0: no loss at that row). Returns the SUM
// over the rows counted. With dhn: accumulates the head's gradient of scale * sum and writes dhn[N, dim] = its
// gradient w.r.t. hn (0 for rows without a target).
double head_loss(const Linear& head, const float* hn, const int32_t* targets, int64_t N, double scale, float* dhn,
                 Precision p);

}  // namespace seek
