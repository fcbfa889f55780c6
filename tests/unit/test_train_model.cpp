// The training model against references we did not write:
//   - its forward loss on the official implementation's fixture (shared/fixtures/deepseek-v3-tiny) and on the
//     generated inference fixtures equals their recorded next-token cross-entropy;
//   - its gradients, MTP and balance losses, and ten AdamW steps against the PyTorch autograd reference
//     (tests/fixtures/train-*, written by tools/reference/make_train_fixtures.py) — in test_train_reference.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/deepseek_train.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string dir;
};

class TrainForwardLoss : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainForwardLoss, MatchesReferenceLoss) {
  const fs::path dir = GetParam();
  nlohmann::json expected = nlohmann::json::parse(std::ifstream(dir / "expected.json"));
  std::vector<int32_t> tokens = expected["tokens"].get<std::vector<int32_t>>();
  const DeepSeekConfig c = load_deepseek_config(dir.string());
  TrainableDeepSeek m(c);
  m.load(dir.string());
  LossOptions opt;
  opt.mtp_depth = 0;
  opt.balance_alpha = 0;
  const Losses L = m.step(tokens.data(), 1, int64_t(tokens.size()), opt, 1.0, /*forward_only=*/true);
  EXPECT_NEAR(L.main, expected["loss"].get<double>(), 2e-5) << dir;
  EXPECT_EQ(L.main_tokens, int64_t(tokens.size()) - 1);
}

std::vector<std::string> loss_fixtures() {
  std::vector<std::string> dirs = {std::string(SEEK_SHARED_DIR) + "/fixtures/deepseek-v3-tiny"};
  for (const char* name : {"v2-lite-like", "v2-grouped", "fp8-ragged", "no-yarn", "v3-mtp"})
    dirs.push_back(std::string(SEEK_SOURCE_DIR) + "/tests/fixtures/" + name);
  return dirs;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TrainForwardLoss, ::testing::ValuesIn(loss_fixtures()), [](const auto& info) {
  std::string n = fs::path(info.param).filename().string();
  for (auto& ch : n)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
});

}  // namespace
