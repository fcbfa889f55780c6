// Causal softmax attention, the kernels of both model forms.
//
// Fast form (inference over a cache): n new query rows at positions pos0 .. pos0+n-1 attend to the cached keys
// 0 .. pos0+t (the new rows' keys already written to the cache). Two layouts:
//   attention_heads   per-head keys and values (MLA's naive form; the dense models' GQA): K/V head h / (H / Hk)
//   attention_latent  absorbed MLA: every head attends over the shared latent L and rope key PE (one KV "head")
// Training form: B fresh sequences of T tokens, saving the probabilities for the backward.
#pragma once
#include <cstdint>

namespace seek::cpu {

// Rounding the reference applies to scores and probabilities when it runs in bf16 (fast form only).
enum class AttnRounding {
  None,       // f32 throughout
  MlaBf16,    // DeepSeek: scores (scaled) rounded to bf16, softmax in f32, probabilities rounded to bf16
  DenseBf16,  // Qwen/Llama: the score GEMM returns bf16 and scaling it is a second bf16 op; probabilities rounded
};

// q [n, H, dk], K [S, Hk, dk], V [S, Hk, dv] with S >= pos0 + n  ->  o [n, H, dv].
void attention_heads(float* o, const float* q, const float* K, const float* V, int64_t n, int64_t pos0, int64_t H,
                     int64_t Hk, int64_t dk, int64_t dv, float scale, AttnRounding rnd);

// score(t, h, s) = (qlat[t, h] . L[s] + qpe(t, h) . PE[s]) * scale;  olat[t, h] = sum_s softmax(score)_s L[s].
// qlat [n, H, r]; qpe(t, h) at qpe + (t * H + h) * qpe_stride, dr values; L [S, r], PE [S, dr]; olat [n, H, r].
void attention_latent(float* olat, const float* qlat, const float* qpe, int64_t qpe_stride, const float* L,
                      const float* PE, int64_t n, int64_t pos0, int64_t H, int64_t r, int64_t dr, float scale,
                      AttnRounding rnd);

// attention_latent over many query rows (a prompt), f32 only: the scores and the weighted sum as GEMMs on the
// matmul micro-kernel (every head's rows stacked: [rows * H, r] x [S, r]^T), query rows in chunks so the scores
// held stay bounded and each chunk multiplies only the keys its rows can see. Same results up to float rounding.
void attention_latent_gemm(float* olat, const float* qlat, const float* qpe, int64_t qpe_stride, const float* L,
                           const float* PE, int64_t n, int64_t pos0, int64_t H, int64_t r, int64_t dr, float scale);

}  // namespace seek::cpu
