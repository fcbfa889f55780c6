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

}  // namespace seek::cpu
