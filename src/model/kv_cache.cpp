#include "model/kv_cache.h"

namespace seek {

namespace {
int64_t row_a_of(const DeepSeekConfig& c, AttnForm f) {
  return f == AttnForm::Absorb ? c.kv_lora_rank : c.num_attention_heads * c.qk_head_dim();
}
int64_t row_b_of(const DeepSeekConfig& c, AttnForm f) {
  return f == AttnForm::Absorb ? c.qk_rope_head_dim : c.num_attention_heads * c.v_head_dim;
}
const char* kind_of(AttnForm f) { return f == AttnForm::Absorb ? "mla-absorb" : "mla-naive"; }
}  // namespace

KVCache::KVCache(const DeepSeekConfig& c, AttnForm form) : KVCache(c, form, c.num_hidden_layers) {}

KVCache::KVCache(const DeepSeekConfig& c, AttnForm form, int64_t layers)
    : KVCache(form, layers, row_a_of(c, form), row_b_of(c, form)) {}

KVCache::KVCache(AttnForm form, int64_t layers, int64_t row_a, int64_t row_b)
    : KVStore(kind_of(form), layers, row_a, row_b), form_(form) {}

std::unique_ptr<SequenceCache> KVCache::clone(int64_t n) const {
  std::unique_ptr<KVCache> c(new KVCache(form_, layers(), row_a(), row_b()));
  copy_prefix_to(*c, n);
  return c;
}

}  // namespace seek
