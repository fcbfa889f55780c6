// MTP module 1 in the fast form: what speculative decoding drafts with. The same computation as the trainable form's
// mtp_fwd (model/deepseek_train.cpp), over a cache of its own instead of a whole sequence.
#include <cstring>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/rowops.h"
#include "model/deepseek.h"

namespace seek {

void DeepSeekModel::mtp_forward(const float* h, const int32_t* next, int64_t n, KVCache& cache,
                                const ForwardOptions& opt, float* logits) const {
  if (w_->mtp.empty()) throw Error("this model has no MTP module (num_nextn_predict_layers is 0)");
  const DeepSeekConfig& c = cfg();
  const MtpWeights& m = w_->mtp[0];
  const int64_t D = c.hidden_size;
  const bool bf = opt.precision == Precision::BF16;
  check_forward_input(next, n, cache.len(), c.vocab_size, c.max_position_embeddings);
  std::vector<float> e(size_t(n * D)), cat(size_t(n * 2 * D)), x(size_t(n * D));
  for (int64_t j = 0; j < n; j++) w_->embed.w.row_f32(next[j], &e[size_t(j * D)], false);
  std::vector<float> en(size_t(n * D)), hn(size_t(n * D)), f(size_t(n * D));
  cpu::rmsnorm_forward(en.data(), e.data(), m.enorm.w, n, D, c.rms_norm_eps, (float*)nullptr, bf);
  cpu::rmsnorm_forward(hn.data(), h, m.hnorm.w, n, D, c.rms_norm_eps, (float*)nullptr, bf);
  for (int64_t j = 0; j < n; j++) {  // [enorm(emb) ; hnorm(h)]
    std::memcpy(&cat[size_t(j * 2 * D)], &en[size_t(j * D)], size_t(D) * 4);
    std::memcpy(&cat[size_t(j * 2 * D + D)], &hn[size_t(j * D)], size_t(D) * 4);
  }
  linear_forward(m.eh_proj, cat.data(), n, x.data(), opt.precision);
  std::vector<int32_t> pos(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; j++) pos[size_t(j)] = int32_t(cache.len() + j);
  RopeTable rope;
  rope.build(rope_, pos.data(), n);
  const std::vector<SeqRows> seqs{SeqRows{&cache, 0, n}};
  block_forward(m.block, c, 0, rope, x.data(), en.data(), f.data(), n, seqs, opt, nullptr, c.num_hidden_layers);
  cache.extend_to(cache.len() + n);
  const BatchItem item{&cache, next, n, logits, opt.all_logits};
  head_logits(*w_, m.has_own_head ? m.head : w_->head, m.head_norm, {item}, seqs, x.data(), opt.precision);
}

}  // namespace seek
