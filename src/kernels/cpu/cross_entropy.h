// The training loss: cross-entropy of logits against next-token targets, with its gradient, in one pass.
// Templated on the scalar: float for training, double for the finite-difference tests.
#pragma once
#include <cstdint>

namespace seek::cpu {

// Cross-entropy of logits[rows, V] against targets[rows] (target < 0: row ignored). Returns the SUM of the losses
// (natural log) over the rows counted. Writes dlogits = grad_scale * (softmax(logits) - onehot(target)) (0 for
// ignored rows); dlogits may alias logits.
template <class T>
double cross_entropy_train(T* dlogits, const T* logits, const int32_t* targets, int64_t rows, int64_t V,
                           double grad_scale);

// The per-token log-probability objectives (RL): for each row, logp[r] = log softmax(logits[r])[targets[r]] and
// the entropy H[r] = -sum_v p log p of softmax(logits[r]); 0 for rows whose target is < 0.
template <class T>
void token_logprobs(const T* logits, const int32_t* targets, int64_t rows, int64_t V, double* logp, double* entropy);
// The gradient through logp: dlogits[r, v] = dlogp[r] * (onehot(target)[v] - softmax(logits[r])[v]), 0 for rows
// whose target is < 0. dlogits may alias logits.
template <class T>
void token_logprobs_backward(T* dlogits, const T* logits, const int32_t* targets, const double* dlogp, int64_t rows,
                             int64_t V);

}  // namespace seek::cpu
