// Packing (V3's post-training, `seek sft`): two samples packed into one row (segment ids 0 | 1, no target across the
// boundary or in the padding) give the same summed loss and the same gradients as the two run as rows of their own,
// for every trainable architecture (TrainableLM): the dense Llama/Qwen2 form and the DeepSeek V3/V2 form (MLA with
// attention restarting per sample, MoE per token). Rope positions restart per sample too (batch_positions), but
// no loss can show it: rotary attention depends only on the difference of two positions, so it is checked on its own.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/deepseek_train.h"
#include "model/dense_config.h"
#include "model/dense_train.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<TrainableLM> load_trainable(const std::string& name) {
  const std::string dir = (fs::path(SEEK_SOURCE_DIR) / "tests/fixtures" / name).string();
  if (name.find("-v") != std::string::npos) {  // train-v3, train-v2
    auto m = std::make_unique<TrainableDeepSeek>(load_deepseek_config(dir));
    m->load(dir);
    return m;
  }
  auto m = std::make_unique<TrainableDense>(load_dense_config(dir));
  m->load(dir);
  return m;
}

double rel(double a, double b) { return std::fabs(a - b) / std::max(1e-12, std::fabs(b)); }

class Packing : public ::testing::TestWithParam<std::string> {};

TEST_P(Packing, PackedSamplesEqualSeparateOnes) {
  const std::vector<int32_t> s1 = {3, 17, 5, 9, 60, 2, 44}, s2 = {8, 1, 30, 30, 12};
  auto a = load_trainable(GetParam()), b = load_trainable(GetParam());
  // apart: each sample its own batch, next-token targets within it
  double apart = 0;
  for (const auto* s : {&s1, &s2}) {
    TrainBatch tb;
    tb.tokens = s->data();
    tb.B = 1;
    tb.T = int64_t(s->size());
    apart += a->forward(tb, Precision::F32, 1.0, true).sum;
    a->backward();
  }
  // packed: one row [s1 | s2 | 2 pad tokens]
  std::vector<int32_t> tokens = s1, seg(s1.size(), 0), targets;
  tokens.insert(tokens.end(), s2.begin(), s2.end());
  seg.insert(seg.end(), s2.size(), 1);
  for (int i = 0; i < 2; i++) tokens.push_back(0), seg.push_back(2);
  for (size_t r = 0; r < tokens.size(); r++)
    targets.push_back(r + 1 < tokens.size() && seg[r + 1] == seg[r] && seg[r] < 2 ? tokens[r + 1] : -1);
  const TrainBatch tb{tokens.data(), targets.data(), seg.data(), 1, int64_t(tokens.size())};
  const TrainLoss L = b->forward(tb, Precision::F32, 1.0, true);
  b->backward();
  EXPECT_EQ(L.count, int64_t(s1.size() + s2.size() - 2));
  EXPECT_LT(rel(L.sum, apart), 1e-6);
  int checked = 0;
  for (size_t i = 0; i < a->params().all().size(); i++) {
    const Param &pa = a->params().all()[i], &pb = b->params().all()[i];
    double mx = 0, err = 0;
    for (size_t j = 0; j < pa.grad.size(); j++) {
      mx = std::max(mx, double(std::fabs(pa.grad[j])));
      err = std::max(err, double(std::fabs(pa.grad[j] - pb.grad[j])));
    }
    EXPECT_LE(err, 1e-5 * std::max(mx, 1e-6)) << pa.name;
    checked += mx > 0;
  }
  EXPECT_GT(checked, 10);
  // without the segment ids the second sample sees the first: the loss moves (so the check above can fail)
  const TrainBatch unseg{tokens.data(), targets.data(), nullptr, 1, int64_t(tokens.size())};
  EXPECT_GT(rel(b->forward(unseg, Precision::F32, 1.0, false).sum, apart), 1e-3);
}

TEST(Packing, PositionsRestartAtEachSample) {
  const std::vector<int32_t> tokens(12, 5), seg = {0, 0, 0, 1, 1, 2, 4, 4, 4, 4, 7, 7};
  EXPECT_EQ(batch_positions(TrainBatch{tokens.data(), nullptr, seg.data(), 2, 6}),
            (std::vector<int32_t>{0, 1, 2, 0, 1, 0, 0, 1, 2, 3, 0, 1}));
  EXPECT_EQ(batch_positions(TrainBatch{tokens.data(), nullptr, nullptr, 2, 6}),
            (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Packing, ::testing::Values("train-llama", "train-qwen2", "train-v3", "train-v2"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
