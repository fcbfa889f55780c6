// LR schedules against the reference formulas evaluated by tools/reference/make_optimizer_fixture.py (see the
// formulas there and in src/train/lr_schedule.h) and against their closed-form landmarks.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "train/lr_schedule.h"

using namespace seek;
using json = nlohmann::json;

TEST(LrSchedule, MatchesReferenceFormulas) {
  json cases =
      json::parse(std::ifstream(std::filesystem::path(SEEK_SOURCE_DIR) / "tests/fixtures/optimizer/schedules.json"));
  ASSERT_GE(cases.size(), 5u);
  for (auto& c : cases) {
    LrSchedule s = parse_lr_schedule(c["schedule"], "schedules.json");
    for (size_t i = 0; i < c["lr"].size(); i++) {
      double want = c["lr"][i];
      EXPECT_NEAR(s.lr(int64_t(i)), want, 1e-12 * s.peak_lr) << c["schedule"].dump() << " step " << i;
    }
  }
}

TEST(LrSchedule, ClosedFormLandmarks) {
  LrSchedule c = parse_lr_schedule(
      json{{"type", "cosine"}, {"peak_lr", 1.0}, {"min_lr", 0.1}, {"warmup_steps", 10}, {"total_steps", 110}}, "t");
  EXPECT_EQ(c.lr(0), 0.0);
  EXPECT_DOUBLE_EQ(c.lr(5), 0.5);
  EXPECT_DOUBLE_EQ(c.lr(10), 1.0);
  EXPECT_NEAR(c.lr(60), 0.55, 1e-15);                                  // halfway: (peak + min) / 2
  EXPECT_NEAR(c.lr(35), 0.1 + 0.9 * (1 + std::sqrt(0.5)) / 2, 1e-15);  // a quarter: cos(pi/4)
  EXPECT_DOUBLE_EQ(c.lr(110), 0.1);
  EXPECT_DOUBLE_EQ(c.lr(1000), 0.1);

  LrSchedule w = parse_lr_schedule(json{{"type", "wsd"},
                                        {"peak_lr", 2.0},
                                        {"min_lr", 0.0},
                                        {"warmup_steps", 4},
                                        {"total_steps", 100},
                                        {"decay_steps", 20}},
                                   "t");
  EXPECT_DOUBLE_EQ(w.lr(2), 1.0);
  EXPECT_DOUBLE_EQ(w.lr(4), 2.0);
  EXPECT_DOUBLE_EQ(w.lr(79), 2.0);
  EXPECT_DOUBLE_EQ(w.lr(80), 2.0);
  EXPECT_DOUBLE_EQ(w.lr(90), 1.0);  // linear: halfway down
  EXPECT_DOUBLE_EQ(w.lr(95), 0.5);
  EXPECT_DOUBLE_EQ(w.lr(100), 0.0);
  w.decay = LrSchedule::Decay::Cosine;
  EXPECT_NEAR(w.lr(90), 1.0, 1e-15);
  EXPECT_NEAR(w.lr(85), 1.0 + std::sqrt(0.5), 1e-15);

  LrSchedule k = parse_lr_schedule(json{{"type", "constant"}, {"peak_lr", 3e-4}}, "t");
  EXPECT_EQ(k.lr(0), 3e-4);
  EXPECT_EQ(k.lr(1000000), 3e-4);
}

TEST(LrSchedule, JsonRoundTrip) {
  for (json j : {json{{"type", "cosine"}, {"peak_lr", 1e-3}, {"min_lr", 1e-4}, {"warmup_steps", 3}, {"total_steps", 9}},
                 json{{"type", "wsd"},
                      {"peak_lr", 1e-3},
                      {"min_lr", 0.0},
                      {"warmup_steps", 3},
                      {"total_steps", 9},
                      {"decay_steps", 4},
                      {"decay", "cosine"}},
                 json{{"type", "constant"}, {"peak_lr", 1e-3}, {"warmup_steps", 0}}}) {
    LrSchedule s = parse_lr_schedule(j, "t");
    LrSchedule r = parse_lr_schedule(s.to_json(), "t");
    for (int i = 0; i < 12; i++) EXPECT_EQ(s.lr(i), r.lr(i)) << j.dump();
  }
}

TEST(LrSchedule, BadJsonIsAClearError) {
  auto msg = [](const json& j) {
    try {
      parse_lr_schedule(j, "train.json: lr_schedule");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto has = [&](const json& j, const std::string& part) {
    std::string m = msg(j);
    EXPECT_NE(m.find(part), std::string::npos) << j.dump() << " -> " << m;
    EXPECT_EQ(m.rfind("train.json: lr_schedule: ", 0), 0u) << m;
  };
  has(json::array(), "expected a JSON object");
  has(json{{"peak_lr", 1}}, "missing string field 'type'");
  has(json{{"type", "step"}, {"peak_lr", 1}}, "field 'type' is \"step\"");
  has(json{{"type", "constant"}}, "missing field 'peak_lr'");
  has(json{{"type", "cosine"}, {"peak_lr", 1}}, "missing field 'total_steps'");
  has(json{{"type", "cosine"}, {"peak_lr", 1}, {"total_steps", 10}, {"warmup_step", 2}}, "unknown field 'warmup_step'");
  has(json{{"type", "constant"}, {"peak_lr", 1}, {"decay_steps", 2}}, "unknown field 'decay_steps'");
  has(json{{"type", "constant"}, {"peak_lr", "1e-3"}}, "field 'peak_lr' is \"1e-3\", expected a number");
  has(json{{"type", "constant"}, {"peak_lr", -1}}, "peak_lr = ");
  has(json{{"type", "constant"}, {"peak_lr", 1}, {"warmup_steps", -3}}, "field 'warmup_steps' is -3");
  has(json{{"type", "constant"}, {"peak_lr", 1}, {"warmup_steps", 2.5}}, "expected a non-negative integer");
  has(json{{"type", "cosine"}, {"peak_lr", 1}, {"min_lr", 2}, {"total_steps", 10}}, "min_lr = ");
  has(json{{"type", "cosine"}, {"peak_lr", 1}, {"warmup_steps", 20}, {"total_steps", 10}}, "is less than warmup_steps");
  has(json{{"type", "wsd"}, {"peak_lr", 1}, {"warmup_steps", 5}, {"total_steps", 10}, {"decay_steps", 6}},
      "exceeds total_steps");
  has(json{{"type", "wsd"}, {"peak_lr", 1}, {"total_steps", 10}, {"decay_steps", 0}}, "decay_steps = 0");
  has(json{{"type", "wsd"}, {"peak_lr", 1}, {"total_steps", 10}, {"decay_steps", 5}, {"decay", "exp"}},
      "field 'decay' is \"exp\"");
}
