// The pieces of seek rl that are not the objective itself (test_grpo.cpp checks that against PyTorch): how a step's
// rollouts become the policy's batch (which rows count, what they predict), and the config's rules.
#include <gtest/gtest.h>

#include "core/error.h"
#include "rl/policy_batch.h"
#include "rl/rl_config.h"

using namespace seek;
using namespace seek::rl;

TEST(PolicyBatch, RowsPredictTheCompletionTokensOnly) {
  const std::vector<int32_t> p1 = {5, 6, 7}, c1 = {8, 9}, p2 = {5, 6}, c2 = {3, 4, 2}, c3 = {1};
  const PolicyBatch b = make_policy_batch({{&p1, &c1, false}, {&p2, &c2, false}, {&p1, &c3, true}}, {0.5, -0.5, 0});
  ASSERT_EQ(b.S, 3);
  ASSERT_EQ(b.T, 5);  // the longest prompt + completion
  // Sequence 0: tokens 5 6 7 8 9; rows 2 and 3 predict 8 and 9.
  EXPECT_EQ(std::vector<int32_t>(b.tokens.begin(), b.tokens.begin() + 5), (std::vector<int32_t>{5, 6, 7, 8, 9}));
  EXPECT_EQ(std::vector<int32_t>(b.targets.begin(), b.targets.begin() + 5), (std::vector<int32_t>{-1, -1, 8, 9, -1}));
  // Sequence 1: 5 6 3 4 2; rows 1..3 predict 3 4 2.
  EXPECT_EQ(std::vector<int32_t>(b.targets.begin() + 5, b.targets.begin() + 10),
            (std::vector<int32_t>{-1, 3, 4, 2, -1}));
  // Sequence 2 is excluded (e.g. truncated): nothing counts, its tokens are still laid out (padded with 0).
  EXPECT_EQ(std::vector<int32_t>(b.tokens.begin() + 10, b.tokens.end()), (std::vector<int32_t>{5, 6, 7, 1, 0}));
  for (int i = 10; i < 15; i++) EXPECT_EQ(b.targets[size_t(i)], -1);
  EXPECT_EQ(b.counted_tokens(), 5);
  for (size_t i = 0; i < b.targets.size(); i++) EXPECT_EQ(b.grpo.mask[i] != 0, b.targets[i] >= 0) << i;
  EXPECT_EQ(b.grpo.adv, (std::vector<double>{0.5, -0.5, 0}));
}

TEST(PolicyBatch, AdvantagesMustMatchTheSamples) {
  const std::vector<int32_t> p = {1}, c = {2};
  EXPECT_THROW(make_policy_batch({{&p, &c, false}}, {1.0, 2.0}), Error);
}

TEST(RlConfig, RoundTripsAndNamesBadFields) {
  RlConfig c = parse_rl_config({{"model", "m"}, {"group_size", 4}, {"loss_type", "dr_grpo"}, {"beta", 0.04}}, "t");
  EXPECT_EQ(c.group_size, 4);
  EXPECT_EQ(c.objective.loss_type, GrpoLossType::dr_grpo);
  const RlConfig back = parse_rl_config(rl_config_json(c), "t");
  EXPECT_EQ(rl_config_json(back), rl_config_json(c));
  auto message = [](const nlohmann::json& j) {
    try {
      validate_rl_config(parse_rl_config(j, "cfg.json"));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{"model", "m"}, {"group_size", 1}}).find("'group_size' must be >= 2"), std::string::npos);
  EXPECT_NE(message({{"model", "m"}, {"grup_size", 4}}).find("unknown key 'grup_size'"), std::string::npos);
  EXPECT_NE(message({{"model", "m"}, {"steps", "ten"}}).find("'steps' must be a number"), std::string::npos);
  EXPECT_NE(message(nlohmann::json::object()).find("'model' is required"), std::string::npos);
  EXPECT_NE(message({{"model", "m"}, {"truncated", "drop"}}).find("'truncated'"), std::string::npos);
  EXPECT_EQ(message({{"model", "m"}}), "no error");
  for (const auto& name : rl_preset_names()) EXPECT_NO_THROW(parse_rl_config(rl_preset(name), name));
  EXPECT_THROW(rl_preset("nope"), Error);
}
