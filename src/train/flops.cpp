#include "train/flops.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "model/schema.h"

namespace seek {

double attention_flops_per_token(const DeepSeekConfig& c, int64_t seq_len) {
  const double mean_keys = (double(seq_len) + 1.0) / 2.0;
  return 2.0 * double(c.qk_head_dim() + c.v_head_dim) * double(c.num_attention_heads) * mean_keys;
}

FlopsPerToken flops_per_token(const DeepSeekConfig& c, int64_t seq_len, int64_t mtp_depth) {
  check(seq_len >= 1, "flops: sequence length must be at least 1, got " + std::to_string(seq_len));
  check(mtp_depth >= 0, "flops: MTP depth must be >= 0, got " + std::to_string(mtp_depth));
  check(c.hidden_size > 0 && c.num_hidden_layers > 0 && c.num_attention_heads > 0 && c.vocab_size > 0,
        "flops: config lacks hidden_size, num_hidden_layers, num_attention_heads or vocab_size");
  FlopsPerToken f;
  const double attn_layer = attention_flops_per_token(c, seq_len);
  DeepSeekConfig cm = c;  // the schema of the modules actually run: mtp_depth of them
  cm.num_nextn_predict_layers = std::max(c.num_nextn_predict_layers, mtp_depth);
  const DeepSeekSchema s = deepseek_schema(cm);
  for (const BlockSpec& b : s.blocks) f.active_matmul_params += active_matmul_params(b);
  f.head_params = s.embed.numel();  // tied or not, the head is a matmul every token passes through
  f.matmul = 2.0 * double(f.active_matmul_params);
  f.attention = attn_layer * double(c.num_hidden_layers);
  f.head = 2.0 * double(f.head_params);
  double mtp_attention = 0;
  for (int64_t k = 0; k < mtp_depth; k++) {
    // eh_proj [D, 2D] on [enorm(emb) ; hnorm(h)], one block (stored as layer num_hidden_layers + k), shared head.
    const MtpSpec& m = s.mtp[size_t(k)];
    f.mtp_active_matmul_params += m.eh_proj.numel() + active_matmul_params(m.block) + f.head_params;
    mtp_attention += attn_layer;
  }
  f.mtp = 2.0 * double(f.mtp_active_matmul_params) + mtp_attention;
  f.forward = f.matmul + f.attention + f.head + f.mtp;
  f.training = 3.0 * f.forward;
  return f;
}

}  // namespace seek
