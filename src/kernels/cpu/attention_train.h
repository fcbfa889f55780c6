// Causal attention for training, flash-style: forward and backward over blocks of query rows and keys, never holding
// the [T, T] probabilities. The forward keeps one number per row (the log-sum-exp of its scaled scores); the backward
// recomputes each block's probabilities from it.
//
// Layouts: q[B*T, H, dk], k[B*T, H, dk], v[B*T, H, dv], o[B*T, H, dv] (row b*T + i of sequence b), lse[B, H, T].
// o_i = sum_{j<=i} softmax_j(scale q_i.k_j) v_j.
// segments (null: none): [B*T] sample ids of packed rows, constant over each sample's run of rows; row i then attends
// only to rows j <= i of its own run (j >= the first row of the run, within its sequence b), as if each sample were
// a sequence of its own.
// Templated on the scalar: float is the training path; double runs the same algorithm for finite-difference tests.
#pragma once
#include <cstdint>

namespace seek::cpu {

// o and lse written. lse[b, h, i] = log sum_{j visible} exp(scale q_i.k_j).
template <class T>
void attention_train_forward(T* o, T* lse, const T* q, const T* k, const T* v, int64_t B, int64_t T_, int64_t H,
                             int64_t dk, int64_t dv, double scale, const int32_t* segments = nullptr);
// dq, dk, dv written (not accumulated), same layouts as q, k, v; o and lse are the forward's; segments as there.
template <class T>
void attention_train_backward(T* dq, T* dk_, T* dv_, const T* dout, const T* o, const T* lse, const T* q, const T* k,
                              const T* v, int64_t B, int64_t T_, int64_t H, int64_t dk, int64_t dv, double scale,
                              const int32_t* segments = nullptr);

// The first row of each row's run of equal segment ids within its sequence: first[b*T + i] (0 everywhere when
// segments is null).
void segment_starts(const int32_t* segments, int64_t B, int64_t T, int32_t* first);

}  // namespace seek::cpu
