// FLOPs per token: a tiny config counted by hand, the causal attention average against a brute-force count over
// positions, the matmul parameters against DeepSeekModel::count_params, and the published V3 shape (37B active).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "model/config.h"
#include "model/deepseek.h"
#include "model/schema.h"
#include "train/flops.h"

using namespace seek;
using json = nlohmann::json;

namespace {

DeepSeekConfig tiny() {
  json j = {{"model_type", "deepseek_v3"},
            {"vocab_size", 100},
            {"hidden_size", 16},
            {"intermediate_size", 40},
            {"moe_intermediate_size", 8},
            {"num_hidden_layers", 3},
            {"first_k_dense_replace", 1},
            {"num_attention_heads", 2},
            {"n_routed_experts", 4},
            {"n_shared_experts", 1},
            {"num_experts_per_tok", 2},
            {"n_group", 1},
            {"topk_group", 1},
            {"topk_method", "noaux_tc"},
            {"scoring_func", "sigmoid"},
            {"q_lora_rank", 12},
            {"kv_lora_rank", 8},
            {"qk_nope_head_dim", 4},
            {"qk_rope_head_dim", 2},
            {"v_head_dim", 4},
            {"max_position_embeddings", 64},
            {"num_nextn_predict_layers", 1}};
  return parse_deepseek_config(j, "tiny");
}

DeepSeekConfig v3() {
  std::ifstream f(std::string(SEEK_SOURCE_DIR) + "/tests/data/deepseek-v3-config.json");
  return parse_deepseek_config(json::parse(f), "v3");
}

// Norm weights and the selection bias: parameters count_params includes that are not matmul weights.
int64_t non_matmul_params(const DeepSeekConfig& c) {
  int64_t n = c.hidden_size;  // final norm
  for (int64_t l = 0; l < c.num_hidden_layers; l++) {
    n += 2 * c.hidden_size + c.q_lora_rank + c.kv_lora_rank;  // attn_norm, ffn_norm, q_norm, kv_norm
    if (c.is_moe_layer(l) && c.uses_selection_bias()) n += c.n_routed_experts;
  }
  return n;
}

}  // namespace

TEST(Flops, TinyConfigByHand) {
  const FlopsPerToken f = flops_per_token(tiny(), 8, 1);
  // D=16, H=2, qk_head_dim=4+2=6, v=4.
  // Attention Linears: wq_a 12*16=192, wq_b 2*6*12=144, wkv_a (8+2)*16=160, wkv_b 2*(4+4)*8=128, wo 16*2*4=128 = 752.
  // Dense layer 0: + 3*16*40 = 1920 -> 2672.
  // MoE layers 1, 2: + gate 4*16=64, shared 3*16*8=384, 2 routed 2*384=768 -> 752+1216 = 1968 each.
  const DeepSeekSchema s = deepseek_schema(tiny());
  EXPECT_EQ(active_matmul_params(s.blocks[0]), 2672);
  EXPECT_EQ(active_matmul_params(s.blocks[1]), 1968);
  EXPECT_EQ(f.active_matmul_params, 2672 + 2 * 1968);  // 6608
  EXPECT_DOUBLE_EQ(f.matmul, 2.0 * 6608);
  // Head 100*16 = 1600.
  EXPECT_EQ(f.head_params, 1600);
  EXPECT_DOUBLE_EQ(f.head, 3200);
  // Attention, S=8: positions see 1..8 keys, 36 in all; per key and head 2*(6+4) = 20 FLOPs, 2 heads:
  // 36*20*2 / 8 = 180 per token per layer, 3 layers.
  EXPECT_DOUBLE_EQ(f.attention, 540);
  // MTP: eh_proj 2*16*16=512 + MoE block 1968 + shared head 1600 = 4080 params; + one layer of attention 180.
  EXPECT_EQ(f.mtp_active_matmul_params, 4080);
  EXPECT_DOUBLE_EQ(f.mtp, 2.0 * 4080 + 180);
  EXPECT_DOUBLE_EQ(f.forward, 13216 + 540 + 3200 + 8340);  // 25296
  EXPECT_DOUBLE_EQ(f.training, 3 * 25296.0);
}

TEST(Flops, NoMtpAndDepthTwo) {
  const FlopsPerToken f0 = flops_per_token(tiny(), 8, 0);
  EXPECT_EQ(f0.mtp, 0);
  EXPECT_DOUBLE_EQ(f0.forward, 13216 + 540 + 3200);
  const FlopsPerToken f2 = flops_per_token(tiny(), 8, 2);
  EXPECT_DOUBLE_EQ(f2.mtp, 2 * 8340.0);
}

TEST(Flops, CausalAttentionAverageMatchesCountOverPositions) {
  const DeepSeekConfig c = tiny();
  for (int64_t S : {1, 2, 7, 64, 1000}) {
    // Count every (query, key) pair the causal mask allows: q.k over qk_head_dim and p*v over v_head_dim,
    // a multiply and an add each, per head.
    double total = 0;
    for (int64_t i = 0; i < S; i++)
      for (int64_t t = 0; t <= i; t++)
        total += double(c.num_attention_heads) * 2.0 * double(c.qk_head_dim() + c.v_head_dim);
    EXPECT_NEAR(attention_flops_per_token(c, S), total / double(S), 1e-9 * total) << "S=" << S;
  }
}

TEST(Flops, MatmulParamsAgreeWithParameterCount) {
  for (const DeepSeekConfig& c : {tiny(), v3()}) {
    const ParamCounts p = count_params(c);
    const FlopsPerToken f = flops_per_token(c, 4096, 0);
    // Active parameters = the embedding table (a lookup) + norms/bias + the matmul weights a token passes.
    EXPECT_EQ(f.active_matmul_params + f.head_params, p.active - p.embedding - non_matmul_params(c));
  }
}

TEST(Flops, PublishedV3Shape) {
  const DeepSeekConfig c = v3();
  const FlopsPerToken f = flops_per_token(c, 4096, 1);
  // V3 report: 37B activated parameters per token, of which ~0.93B is the embedding table (a lookup, no FLOPs).
  const double matmul_params = double(f.active_matmul_params + f.head_params);
  EXPECT_NEAR(matmul_params / 1e9, 37.0 - 0.93, 0.7);
  EXPECT_NEAR((f.matmul + f.head) / 1e9, 2 * 36.6, 1.5);
  // Attention: 61 layers x 2*(192+128)*128 heads x 4097/2 keys on average.
  EXPECT_NEAR(f.attention, 61.0 * 2 * 320 * 128 * 4097 / 2, 1.0);
  EXPECT_GT(f.attention / f.forward, 0.10);
  EXPECT_LT(f.attention / f.forward, 0.14);
  // MTP module: the report's 2.4B activated includes the 0.93B embedding table it shares.
  EXPECT_NEAR((double(f.mtp_active_matmul_params) + double(c.vocab_size * c.hidden_size)) / 1e9, 2.4, 0.2);
  // Forward ~ 2 x 37B + attention + MTP; training = 3 x forward.
  EXPECT_NEAR(f.forward / 1e9, 73.2 + 10.2 + 3.4, 1.0);
  EXPECT_DOUBLE_EQ(f.training, 3 * f.forward);
}

TEST(Flops, BadArguments) {
  EXPECT_THROW(flops_per_token(tiny(), 0, 0), Error);
  EXPECT_THROW(flops_per_token(tiny(), 8, -1), Error);
  EXPECT_THROW(flops_per_token(DeepSeekConfig{}, 8, 0), Error);
}
