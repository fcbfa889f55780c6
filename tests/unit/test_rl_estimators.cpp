// The evaluation statistics (rl/estimators.h) against values computed by hand: the unbiased pass@k from its
// combinatorial definition 1 - C(n-c, k) / C(n, k) (binomials counted here directly), the standard error of the
// mean over problems, and majority voting with ties.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "rl/estimators.h"

using namespace seek;

namespace {
double binom(int n, int k) {
  if (k < 0 || k > n) return 0;
  double r = 1;
  for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
  return r;
}
}  // namespace

TEST(RlEstimators, PassAtKHandValues) {
  // n = 4, c = 1: pass@1 = 1/4, pass@2 = 1 - C(3,2)/C(4,2) = 1 - 3/6 = 1/2, pass@4 = 1
  EXPECT_DOUBLE_EQ(pass_at_k(4, 1, 1), 0.25);
  EXPECT_DOUBLE_EQ(pass_at_k(4, 1, 2), 0.5);
  EXPECT_DOUBLE_EQ(pass_at_k(4, 1, 4), 1.0);
  // n = 5, c = 2, k = 2: 1 - C(3,2)/C(5,2) = 1 - 3/10
  EXPECT_NEAR(pass_at_k(5, 2, 2), 0.7, 1e-15);
  EXPECT_DOUBLE_EQ(pass_at_k(5, 0, 3), 0.0);
  EXPECT_DOUBLE_EQ(pass_at_k(5, 5, 1), 1.0);
  EXPECT_DOUBLE_EQ(pass_at_k(5, 3, 3), 1.0);  // n - c < k: every k-subset holds a correct sample
  for (int n = 1; n <= 16; n++)
    for (int c = 0; c <= n; c++)
      for (int k = 1; k <= n; k++)
        EXPECT_NEAR(pass_at_k(n, c, k), 1 - binom(n - c, k) / binom(n, k), 1e-12) << n << " " << c << " " << k;
  EXPECT_THROW(pass_at_k(4, 5, 1), Error);
  EXPECT_THROW(pass_at_k(4, 1, 5), Error);
  EXPECT_THROW(pass_at_k(4, 1, 0), Error);
}

TEST(RlEstimators, MeanAndStandardErrorOverProblems) {
  // per-problem means 1, 0.5, 0, 0.5: mean 0.5, sample variance (0.25 + 0 + 0.25 + 0) / 3 = 1/6,
  // stderr = sqrt(1/6) / 2
  MeanStderr m = mean_stderr({1.0, 0.5, 0.0, 0.5});
  EXPECT_DOUBLE_EQ(m.mean, 0.5);
  ASSERT_TRUE(m.stderr_);
  EXPECT_NEAR(*m.stderr_, std::sqrt(1.0 / 6.0) / 2.0, 1e-15);
  EXPECT_FALSE(mean_stderr({0.7}).stderr_);
  EXPECT_DOUBLE_EQ(*mean_stderr({0.25, 0.25, 0.25}).stderr_, 0.0);
}

TEST(RlEstimators, MajorityVoteWithTies) {
  using K = std::optional<std::string>;
  // "7" twice beats "5" once
  Vote v = majority_vote({K("5"), K("7"), K("7")}, {1, 0, 0});
  EXPECT_EQ(v.key, "7");
  EXPECT_EQ(v.votes, 2);
  EXPECT_FALSE(v.correct);
  // a tie: the answer whose first vote came first wins ("9" at sample 0, "3" at sample 1)
  v = majority_vote({K("9"), K("3"), K("3"), K("9")}, {0, 1, 1, 0});
  EXPECT_EQ(v.key, "9");
  EXPECT_FALSE(v.correct);
  v = majority_vote({K("3"), K("9"), K("9"), K("3")}, {1, 0, 0, 1});
  EXPECT_EQ(v.key, "3");
  EXPECT_TRUE(v.correct);
  // samples without an answer do not vote; "b" sorts before "z" but "z" came first
  v = majority_vote({K(), K("z"), K(), K("b")}, {0, 1, 0, 0});
  EXPECT_EQ(v.key, "z");
  EXPECT_TRUE(v.correct);
  v = majority_vote({K(), K()}, {0, 0});
  EXPECT_FALSE(v.key);
  EXPECT_FALSE(v.correct);
}
