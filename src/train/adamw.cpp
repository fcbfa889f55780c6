#include "train/adamw.h"

#include <algorithm>
#include <cmath>

#if defined(__AVX512F__) || defined(__AVX2__)
// GCC 12's AVX-512 intrinsics trip -W(maybe-)uninitialized inside the header (GCC bug 105593); silence it there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

#include "core/error.h"
#include "core/parallel.h"

namespace seek {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The per-step scalars, rounded to f32 as PyTorch rounds a Python float when it applies it to an f32 tensor.
struct Coefs {
  float decay_mul;  // 1 - lr*wd (1 where decay is off)
  float b1, omb1;   // beta1, 1 - beta1
  float b2, omb2;   // beta2, 1 - beta2
  float bc2_sqrt;   // sqrt(1 - beta2^t)
  float eps;
  float neg_step;  // -lr / (1 - beta1^t)
};

// Forces a product to be rounded to f32 before it is added: the compiler would otherwise fuse a*b + c into one FMA
// where PyTorch's separate operations round twice, and drift from PyTorch by about an ulp per step.
template <class V>
inline V rounded(V x) {
  asm("" : "+v"(x));
  return x;
}

// The update over n contiguous elements, operation by operation as PyTorch 1.13's CPU kernels do it:
//   p = p*decay_mul                          (mul_)
//   m = fma(g, omb1, m*b1)                   (mul_, then add_ with alpha, which its vector kernel fuses)
//   v = v*b2 + (omb2*g)*g                    (mul_, addcmul_)
//   p = p + neg_step * (m / (sqrt(v)/bc2_sqrt + eps))   (sqrt, div, add_, addcdiv_)
void adamw_span(float* p, const float* g, float* m, float* v, int64_t n, const Coefs& c) {
  int64_t i = 0;
#if defined(__AVX512F__)
  const __m512 dm = _mm512_set1_ps(c.decay_mul), b1 = _mm512_set1_ps(c.b1), omb1 = _mm512_set1_ps(c.omb1),
               b2 = _mm512_set1_ps(c.b2), omb2 = _mm512_set1_ps(c.omb2), bc2 = _mm512_set1_ps(c.bc2_sqrt),
               eps = _mm512_set1_ps(c.eps), ns = _mm512_set1_ps(c.neg_step);
  for (; i + 16 <= n; i += 16) {
    __m512 gv = _mm512_loadu_ps(g + i);
    __m512 mv = _mm512_fmadd_ps(gv, omb1, rounded(_mm512_mul_ps(_mm512_loadu_ps(m + i), b1)));
    __m512 vv = _mm512_add_ps(rounded(_mm512_mul_ps(_mm512_loadu_ps(v + i), b2)),
                              rounded(_mm512_mul_ps(_mm512_mul_ps(omb2, gv), gv)));
    __m512 den = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vv), bc2), eps);
    __m512 pv = rounded(_mm512_mul_ps(_mm512_loadu_ps(p + i), dm));
    pv = _mm512_add_ps(pv, rounded(_mm512_mul_ps(ns, _mm512_div_ps(mv, den))));
    _mm512_storeu_ps(m + i, mv);
    _mm512_storeu_ps(v + i, vv);
    _mm512_storeu_ps(p + i, pv);
  }
#elif defined(__AVX2__) && defined(__FMA__)
  const __m256 dm = _mm256_set1_ps(c.decay_mul), b1 = _mm256_set1_ps(c.b1), omb1 = _mm256_set1_ps(c.omb1),
               b2 = _mm256_set1_ps(c.b2), omb2 = _mm256_set1_ps(c.omb2), bc2 = _mm256_set1_ps(c.bc2_sqrt),
               eps = _mm256_set1_ps(c.eps), ns = _mm256_set1_ps(c.neg_step);
  for (; i + 8 <= n; i += 8) {
    __m256 gv = _mm256_loadu_ps(g + i);
    __m256 mv = _mm256_fmadd_ps(gv, omb1, rounded(_mm256_mul_ps(_mm256_loadu_ps(m + i), b1)));
    __m256 vv = _mm256_add_ps(rounded(_mm256_mul_ps(_mm256_loadu_ps(v + i), b2)),
                              rounded(_mm256_mul_ps(_mm256_mul_ps(omb2, gv), gv)));
    __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vv), bc2), eps);
    __m256 pv = rounded(_mm256_mul_ps(_mm256_loadu_ps(p + i), dm));
    pv = _mm256_add_ps(pv, rounded(_mm256_mul_ps(ns, _mm256_div_ps(mv, den))));
    _mm256_storeu_ps(m + i, mv);
    _mm256_storeu_ps(v + i, vv);
    _mm256_storeu_ps(p + i, pv);
  }
#endif
  for (; i < n; i++) {
    float mv = std::fma(g[i], c.omb1, rounded(m[i] * c.b1));
    float vv = rounded(v[i] * c.b2) + rounded(c.omb2 * g[i] * g[i]);
    float den = std::sqrt(vv) / c.bc2_sqrt + c.eps;
    m[i] = mv;
    v[i] = vv;
    p[i] = rounded(p[i] * c.decay_mul) + rounded(c.neg_step * (mv / den));
  }
}

// sum of x^2 over n floats, in double.
double sum_squares(const float* x, int64_t n) {
  int64_t i = 0;
  double s = 0;
#if defined(__AVX512F__)
  __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd();
  for (; i + 16 <= n; i += 16) {
    __m512d lo = _mm512_cvtps_pd(_mm256_loadu_ps(x + i)), hi = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
    a0 = _mm512_fmadd_pd(lo, lo, a0);
    a1 = _mm512_fmadd_pd(hi, hi, a1);
  }
  s = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
#endif
  for (; i < n; i++) s += double(x[i]) * x[i];
  return s;
}

// Calls fn(param index, element begin, element end) for the pieces of the global element range [lo, hi), where
// the parameters are laid end to end in order; `offset` holds their prefix sums.
template <class F>
void for_pieces(const std::vector<int64_t>& offset, int64_t lo, int64_t hi, F&& fn) {
  size_t i = size_t(std::upper_bound(offset.begin(), offset.end(), lo) - offset.begin()) - 1;
  for (; lo < hi && i + 1 < offset.size(); i++) {
    int64_t end = std::min(hi, offset[i + 1]);
    if (end > lo) fn(i, lo - offset[i], end - offset[i]);
    lo = std::max(lo, end);
  }
}

std::vector<int64_t> prefix_sums(const std::vector<OptimizerParam>& params) {
  std::vector<int64_t> off(params.size() + 1, 0);
  for (size_t i = 0; i < params.size(); i++) off[i + 1] = off[i] + params[i].numel;
  return off;
}

// Below this many elements per thread, waking the pool costs more than the pass itself.
constexpr int64_t kMinPerThread = 1 << 15;

}  // namespace

bool default_decay(const std::string& hf_name, int ndim) {
  if (ndim <= 1) return false;
  return !ends_with(hf_name, "norm.weight") && !ends_with(hf_name, ".bias");
}

AdamW::AdamW(AdamWConfig config, const std::vector<OptimizerParam>& params) : config_(config), params_(params) {
  auto in01 = [](double b) { return b >= 0 && b < 1; };
  check(in01(config.beta1), "AdamW: beta1 = " + std::to_string(config.beta1) + " is outside [0, 1)");
  check(in01(config.beta2), "AdamW: beta2 = " + std::to_string(config.beta2) + " is outside [0, 1)");
  check(config.eps >= 0 && std::isfinite(config.eps), "AdamW: eps = " + std::to_string(config.eps) + " must be >= 0");
  check(config.weight_decay >= 0 && std::isfinite(config.weight_decay),
        "AdamW: weight_decay = " + std::to_string(config.weight_decay) + " must be >= 0");
  for (size_t i = 0; i < params_.size(); i++) {
    const OptimizerParam& p = params_[i];
    check(p.numel >= 0, "AdamW: parameter '" + p.name + "' has numel " + std::to_string(p.numel));
    check(p.numel == 0 || (p.data && p.grad), "AdamW: parameter '" + p.name + "' has no data or gradient buffer");
    check(index_.emplace(p.name, i).second, "AdamW: parameter name '" + p.name + "' appears twice");
    m_.push_back(Tensor::zeros(DType::F32, {p.numel}));
    v_.push_back(Tensor::zeros(DType::F32, {p.numel}));
  }
  offset_ = prefix_sums(params_);
}

void AdamW::set_steps(int64_t t) {
  check(t >= 0, "AdamW: step count " + std::to_string(t) + " is negative");
  steps_ = t;
}

size_t AdamW::index_of(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw Error("AdamW: no parameter named '" + name + "'");
  return it->second;
}

Tensor AdamW::exp_avg(const std::string& name) const { return m_[index_of(name)]; }
Tensor AdamW::exp_avg_sq(const std::string& name) const { return v_[index_of(name)]; }

void AdamW::step(double lr) {
  check(std::isfinite(lr) && lr >= 0, "AdamW: learning rate " + std::to_string(lr) + " must be finite and >= 0");
  steps_++;
  const double t = double(steps_);
  // The scalars as PyTorch forms them (in double, from Python floats) before applying them to f32 tensors.
  Coefs base;
  base.b1 = float(config_.beta1);
  base.omb1 = float(1 - config_.beta1);
  base.b2 = float(config_.beta2);
  base.omb2 = float(1 - config_.beta2);
  base.bc2_sqrt = float(std::sqrt(1 - std::pow(config_.beta2, t)));
  base.eps = float(config_.eps);
  base.neg_step = float(-(lr / (1 - std::pow(config_.beta1, t))));
  Coefs with_decay = base, no_decay = base;
  with_decay.decay_mul = float(1 - lr * config_.weight_decay);
  no_decay.decay_mul = 1.0f;
  parallel_ranges(
      offset_.back(),
      [&](int64_t lo, int64_t hi, int) {
        for_pieces(offset_, lo, hi, [&](size_t i, int64_t b, int64_t e) {
          const OptimizerParam& p = params_[i];
          adamw_span(p.data + b, p.grad + b, m_[i].ptr<float>() + b, v_[i].ptr<float>() + b, e - b,
                     p.decay ? with_decay : no_decay);
        });
      },
      kMinPerThread);
}

double global_grad_norm(const std::vector<OptimizerParam>& params) {
  std::vector<int64_t> offset = prefix_sums(params);
  std::vector<double> partial(size_t(std::max(1, num_threads())), 0.0);
  parallel_ranges(
      offset.back(),
      [&](int64_t lo, int64_t hi, int chunk) {
        double s = 0;
        for_pieces(offset, lo, hi,
                   [&](size_t i, int64_t b, int64_t e) { s += sum_squares(params[i].grad + b, e - b); });
        partial[size_t(chunk)] = s;
      },
      kMinPerThread);
  double total = 0;
  for (double s : partial) total += s;
  return std::sqrt(total);
}

double clip_grad_norm(const std::vector<OptimizerParam>& params, double max_norm) {
  check(max_norm > 0, "clip_grad_norm: max_norm = " + std::to_string(max_norm) + " must be > 0");
  double norm = global_grad_norm(params);
  double coef = max_norm / (norm + 1e-6);
  if (coef < 1) {
    const float c = float(coef);
    std::vector<int64_t> offset = prefix_sums(params);
    parallel_ranges(
        offset.back(),
        [&](int64_t lo, int64_t hi, int) {
          for_pieces(offset, lo, hi, [&](size_t i, int64_t b, int64_t e) {
            float* g = params[i].grad;
            for (int64_t k = b; k < e; k++) g[k] *= c;
          });
        },
        kMinPerThread);
  }
  return norm;
}

}  // namespace seek
