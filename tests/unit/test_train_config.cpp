// The training configuration: every key survives the round trip through what a checkpoint records, ranges are
// checked with the key (and its flag) named, and a resumed run takes the recorded configuration, accepting only the
// keys that do not change the steps both runs take.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "train/train_config.h"

using namespace seek;
using namespace seek::train;
using json = nlohmann::json;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TrainConfig some_config() {
  TrainConfig c;
  c.model = {{"model_type", "deepseek_v3"}, {"hidden_size", 48}};
  c.data = "/data/shards";
  c.out = "/runs/a";
  c.seq_len = 32, c.batch_size = 4, c.grad_accum = 3, c.max_steps = 77;
  c.optimizer.beta2 = 0.99;
  c.lr_schedule = {{"type", "constant"}, {"peak_lr", 1e-3}};
  c.grad_clip = 0.5, c.mtp_lambda = 0.1, c.balance_alpha = 0, c.bias_update_speed = 1e-3, c.init_std = 0.01;
  c.seed = 12345678901234ull;
  c.precision = "bf16";
  c.recompute = true;
  c.eval_every = 7, c.eval_windows = 3, c.sample_every = 9, c.sample_tokens = 0;
  c.checkpoint_every = 11, c.keep_checkpoints = 0, c.log_every = 2, c.price_per_hour = 2.5, c.threads = 1;
  return c;
}

}  // namespace

TEST(TrainConfig, EveryKeyRoundTripsThroughTheRecord) {
  const TrainConfig c = some_config();
  const json j = train_config_json(c);
  EXPECT_FALSE(j.contains("out"));  // a run folder may move
  const TrainConfig back = parse_train_config(j, "record");
  EXPECT_EQ(train_config_json(back), j);
  // Every key of the record is one parse_train_config knows, and every field differs from its default (so a key
  // the record forgot would show up as a default above).
  const json defaults = train_config_json(TrainConfig{});
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "preset") {
      EXPECT_NE(defaults.value(it.key(), json()), it.value()) << it.key();
    }
  }
}

TEST(TrainConfig, RangesNameTheKeyAndItsFlag) {
  auto bad = [](auto edit) {
    TrainConfig c = some_config();
    edit(c);
    return error_of([&] { validate_train_config(c); });
  };
  EXPECT_NE(bad([](TrainConfig& c) { c.max_steps = 0; }).find("'max_steps' (--max-steps) must be >= 1, got 0"),
            std::string::npos);
  EXPECT_NE(bad([](TrainConfig& c) { c.max_steps = -5; }).find("got -5"), std::string::npos);
  EXPECT_NE(bad([](TrainConfig& c) { c.batch_size = 0; }).find("(--batch)"), std::string::npos);
  EXPECT_NE(bad([](TrainConfig& c) { c.price_per_hour = -1; }).find("'price_per_hour' (--price-per-hour)"),
            std::string::npos);
  EXPECT_NE(bad([](TrainConfig& c) { c.grad_clip = NAN; }).find("grad_clip"), std::string::npos);
  EXPECT_NE(bad([](TrainConfig& c) { c.threads = 100000; }).find("100000"), std::string::npos);
  EXPECT_NE(bad([](TrainConfig& c) { c.eval_windows = 0; }).find("eval_windows"), std::string::npos);
  EXPECT_NE(bad([](TrainConfig& c) { c.preset = "tiny"; }).find("not both"), std::string::npos);
  EXPECT_EQ(bad([](TrainConfig&) {}), "");
  EXPECT_NE(error_of([] { parse_train_config(json{{"seed", -1}}, "f.json"); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([] {
              parse_train_config(json{{"max_steps", 1.5}}, "f.json");
            }).find("integer"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_train_config(json{{"max_step", 1}}, "f.json");
            }).find("unknown field 'max_step'"),
            std::string::npos);
}

TEST(TrainConfig, CompletingFillsInWhatARunRecords) {
  TrainConfig c;
  c.data = "relative/shards";
  c.max_steps = 200;
  complete_train_config(c);
  EXPECT_EQ(c.preset, "tiny");
  EXPECT_TRUE(std::filesystem::path(c.data).is_absolute());
  EXPECT_EQ(c.lr_schedule["total_steps"], 200);
  EXPECT_EQ(c.lr_schedule["warmup_steps"], 10);
}

TEST(TrainConfig, ResumeTakesTheRecordAndOnlyHarmlessOverrides) {
  const json recorded = train_config_json(some_config());
  const std::string ck = "/runs/a/step-20";
  // Nothing given but the folder: exactly the recorded run.
  ResumedConfig r = resume_train_config(recorded, {{"out", "/runs/a"}}, ck);
  EXPECT_EQ(train_config_json(r.config), recorded);
  EXPECT_EQ(r.config.out, "/runs/a");
  EXPECT_TRUE(r.overrides.empty());
  // Repeating recorded values (as a --config file does) is no override.
  r = resume_train_config(recorded, {{"out", "/runs/a"}, {"seq_len", 32}, {"model", recorded["model"]}}, ck);
  EXPECT_TRUE(r.overrides.empty());
  // max_steps, cadences, threads and price may change, and each change is reported.
  r = resume_train_config(recorded, {{"out", "/x"}, {"max_steps", 100}, {"threads", 2}, {"eval_every", 7}}, ck);
  EXPECT_EQ(r.config.max_steps, 100);
  EXPECT_EQ(r.config.threads, 2);
  ASSERT_EQ(r.overrides.size(), 2u);
  EXPECT_EQ(r.overrides[0], "max_steps = 100 (recorded: 77)");
  // Anything that changes the math is an error naming the checkpoint, the key and both values.
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, json>>{{"seq_len", 64},
                                                 {"batch_size", 8},
                                                 {"seed", 2},
                                                 {"precision", "f32"},
                                                 {"lr_schedule", {{"type", "constant"}, {"peak_lr", 1}}},
                                                 {"mtp_lambda", 0.3},
                                                 {"grad_accum", 1},
                                                 {"model", {{"model_type", "deepseek_v2"}}}}) {
    const std::string e = error_of([&] { resume_train_config(recorded, {{"out", "/x"}, {key, value}}, ck); });
    EXPECT_NE(e.find(ck + ": the run being resumed has '" + key + "'"), std::string::npos) << key << ": " << e;
  }
  EXPECT_NE(error_of([&] {
              resume_train_config(recorded, {{"out", "/x"}, {"seq_len", 64}}, ck);
            }).find("(--seq-len) = 32"),
            std::string::npos);
  // Null values mean "not set" (a whole TrainConfig passed as settings).
  r = resume_train_config(recorded, {{"out", "/x"}, {"lr_schedule", nullptr}}, ck);
  EXPECT_EQ(r.config.lr_schedule, recorded["lr_schedule"]);
}
