// Checkpoint folders survive being killed at any moment: a child process commits checkpoints in a loop and is
// SIGKILLed at random (seeded) moments; after each kill, OUT/latest must name a complete checkpoint and no step-N
// folder may be partial. Plus pruning, re-commits, bad `latest` links, the trainer-state files and
// resolve_model_dir.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "core/error.h"
#include "formats/checkpoint.h"
#include "formats/safetensors.h"
#include "formats/safetensors_write.h"
#include "model/language_model.h"
#include "model/synthetic.h"
#include "train/checkpoint_dir.h"
#include "train/trainer_state.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("seek-ckpt-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

std::string str(const char* a, int64_t n) {  // a + n, built with += (GCC 12 misreports "lit" + string&&)
  std::string s = a;
  s += std::to_string(n);
  return s;
}

constexpr int64_t kWords = (2 << 20) / 8;  // data.bin: 2 MB of words that encode the step
uint64_t word(int64_t step, int64_t i) { return uint64_t(step) * 0x9E3779B97F4A7C15ull ^ uint64_t(i); }

std::mt19937_64 step_rng(int64_t step) {
  std::mt19937_64 r(uint64_t(step) + 1);
  r.discard(uint64_t(step % 5));
  return r;
}

TrainerState step_state(int64_t step) {
  TrainerState s;
  s.step = step;
  s.tokens_seen = step * 4096;
  s.optimizer_steps = step;
  s.rng = step_rng(step);
  s.data = {step / 7, step % 7};
  s.extra = {{"note", str("step ", step)}};
  Tensor m = Tensor::empty(DType::F32, {257}), v = Tensor::empty(DType::F32, {257});
  for (int i = 0; i < 257; i++) {
    m.f32()[i] = float(step) + float(i);
    v.f32()[i] = float(step) * 2.0f;
  }
  s.exp_avg["w"] = m;
  s.exp_avg_sq["w"] = v;
  return s;
}

// What the child writes into each checkpoint: a big plain file (buffered, never fsync'd by the writer itself), a
// safetensors file and the trainer state.
void write_step(const std::string& dir, int64_t step) {
  {
    std::ofstream f(fs::path(dir) / "data.bin", std::ios::binary);
    std::vector<uint64_t> buf(1 << 14);
    for (int64_t i = 0; i < kWords; i += int64_t(buf.size())) {
      for (size_t k = 0; k < buf.size(); k++) buf[k] = word(step, i + int64_t(k));
      f.write(reinterpret_cast<const char*>(buf.data()), std::streamsize(buf.size() * 8));
    }
  }
  Tensor w = Tensor::empty(DType::F32, {1000});
  for (int i = 0; i < 1000; i++) w.f32()[i] = float(step) + float(i) * 0.5f;
  SafetensorsWriteOptions o;
  o.metadata["step"] = std::to_string(step);
  save_safetensors((fs::path(dir) / "model.safetensors").string(), {{"w", w}}, o);
  write_trainer_state(dir, step_state(step));
}

// "" when `dir` is a complete, consistent checkpoint of `step`, else what is wrong.
std::string check_step(const std::string& dir, int64_t step) {
  try {
    std::ifstream f(fs::path(dir) / "data.bin", std::ios::binary);
    std::vector<uint64_t> buf(static_cast<size_t>(kWords));
    f.read(reinterpret_cast<char*>(buf.data()), kWords * 8);
    if (f.gcount() != kWords * 8 || f.peek() != EOF) return "data.bin has the wrong size";
    for (int64_t i = 0; i < kWords; i++)
      if (buf[size_t(i)] != word(step, i)) return str("data.bin differs at word ", i);
    SafetensorsFile st = SafetensorsFile::open((fs::path(dir) / "model.safetensors").string());
    if (st.metadata().at("step") != std::to_string(step)) return "model.safetensors metadata";
    Tensor w = st.tensor("w");
    for (int i = 0; i < 1000; i++)
      if (w.f32()[i] != float(step) + float(i) * 0.5f) return "model.safetensors values";
    TrainerState s = read_trainer_state(dir), want = step_state(step);
    if (s.step != step || s.tokens_seen != want.tokens_seen || s.optimizer_steps != step) return "trainer state counts";
    if (s.rng != want.rng) return "trainer state rng";
    if (s.data.epoch != want.data.epoch || s.data.position != want.data.position) return "trainer state data";
    if (s.extra != want.extra) return "trainer state extra";
    if (std::memcmp(s.exp_avg.at("w").data, want.exp_avg.at("w").data, 257 * 4) != 0 ||
        std::memcmp(s.exp_avg_sq.at("w").data, want.exp_avg_sq.at("w").data, 257 * 4) != 0)
      return "trainer state moments";
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

int64_t step_of(const std::string& dir) { return *parse_step_dir_name(fs::path(dir).filename().string()); }

int count_tmp(const fs::path& out) {
  int n = 0;
  for (auto& e : fs::directory_iterator(out)) n += e.path().filename().string().rfind(".tmp-", 0) == 0;
  return n;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(CheckpointDir, SurvivesSigkillAtRandomMoments) {
  const fs::path out = temp_dir("crash");
  const int keep = 3, rounds = 20;
  std::mt19937 rng(20240917);
  int debris_seen = 0, commits_seen = 0;
  // Two commits here first: `latest` exists from the start, and their duration on this disk sets the time scale,
  // so the kills (uniform over about four commit cycles) hit every phase of a commit however fast the disk is.
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < 2; s++)
    commit_checkpoint(out.string(), s, keep, [&](const std::string& d) { write_step(d, s); });
  const int64_t cycle_us = std::max<int64_t>(
      5000, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count() / 2);
  int64_t last = 1;
  for (int round = 0; round < rounds; round++) {
    const int64_t start = last + 1;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::alarm(30);  // never outlive a parent that died
      try {
        for (int64_t step = start;; step++)
          commit_checkpoint(out.string(), step, keep, [&](const std::string& d) { write_step(d, step); });
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
      }
      ::_exit(3);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(int64_t(rng() % uint64_t(4 * cycle_us))));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child stopped by itself: " << status;

    std::optional<std::string> latest = latest_checkpoint(out.string());
    ASSERT_TRUE(latest.has_value()) << "round " << round;
    int64_t step = step_of(*latest);
    EXPECT_GE(step, last) << "latest went backwards";
    commits_seen += int(step - last);
    last = step;
    EXPECT_EQ(check_step(*latest, step), "") << "latest " << *latest;
    auto all = list_checkpoints(out.string());
    // (More than `keep` folders may be visible here: each kill between a commit's rename and its pruning leaves one
    // extra, until a commit completes.)
    // Killed between moving step-N into place and repointing `latest`, step-N is complete but not yet latest
    // (the restarted child commits it again); nothing further ahead can exist.
    EXPECT_LE(all.back().first, step + 1);
    for (auto& [n, dir] : all) EXPECT_EQ(check_step(dir, n), "") << dir;  // no partial step-N, ever
    debris_seen += count_tmp(out) > 0;
  }
  // The next commit, in this process, clears the debris of the killed ones.
  commit_checkpoint(out.string(), last + 1, keep, [&](const std::string& d) { write_step(d, last + 1); });
  EXPECT_EQ(count_tmp(out), 0);
  EXPECT_EQ(step_of(*latest_checkpoint(out.string())), last + 1);
  auto all = list_checkpoints(out.string());
  EXPECT_LE(all.size(), size_t(keep));
  EXPECT_EQ(all.back().first, last + 1);
  std::printf("%d kills: %d commits completed, %d kills left temp debris (a commit took ~%lld ms)\n", rounds,
              commits_seen, debris_seen, (long long)(cycle_us / 1000));
  fs::remove_all(out);
}

TEST(CheckpointDir, KeepPrunesAndRecommitReplaces) {
  const fs::path out = temp_dir("keep");
  auto commit = [&](int64_t step, int keep, int64_t content) {
    return commit_checkpoint(out.string(), step, keep, [&](const std::string& d) { write_step(d, content); });
  };
  EXPECT_EQ(latest_checkpoint(out.string()), std::nullopt);
  for (int64_t s = 1; s <= 5; s++) EXPECT_EQ(commit(s, 2, s), (out / str("step-", s)).string());
  auto all = list_checkpoints(out.string());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, 4);
  EXPECT_EQ(all[1].first, 5);
  EXPECT_EQ(*latest_checkpoint(out.string()), (out / "step-5").string());
  EXPECT_EQ(fs::read_symlink(out / "latest"), fs::path("step-5"));  // relative: the folder can be moved

  // The same step again (resumed from it): replaced atomically, with the new content.
  commit(5, 2, 77);
  EXPECT_EQ(check_step((out / "step-5").string(), 77), "");
  // Resumed from step 4: a new step 5 replaces it, and nothing above the latest stays.
  commit(7, 0, 7);  // keep 0: keeps all
  EXPECT_EQ(list_checkpoints(out.string()).size(), 3u);
  commit(5, 2, 5);
  all = list_checkpoints(out.string());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, 4);
  EXPECT_EQ(all[1].first, 5);
  EXPECT_EQ(count_tmp(out), 0);

  // A writer that fails leaves everything as it was.
  EXPECT_THROW(commit_checkpoint(out.string(), 6, 2,
                                 [](const std::string& d) {
                                   std::ofstream(fs::path(d) / "half") << "x";
                                   throw Error("disk full");
                                 }),
               Error);
  EXPECT_EQ(*latest_checkpoint(out.string()), (out / "step-5").string());
  EXPECT_EQ(list_checkpoints(out.string()).size(), 2u);
  EXPECT_EQ(count_tmp(out), 0);
  fs::remove_all(out);
}

TEST(CheckpointDir, BadLatestIsAClearError) {
  const fs::path out = temp_dir("bad");
  fs::create_directories(out / "step-3");
  fs::create_directory_symlink("step-9", out / "latest");
  EXPECT_NE(error_of([&] { latest_checkpoint(out.string()); }).find("points to 'step-9', which is not a folder"),
            std::string::npos);
  fs::remove(out / "latest");
  fs::create_directory_symlink("../elsewhere", out / "latest");
  EXPECT_NE(error_of([&] { latest_checkpoint(out.string()); }).find("expected a step-N folder"), std::string::npos);
  fs::remove(out / "latest");
  fs::create_directory(out / "latest");
  EXPECT_NE(error_of([&] { latest_checkpoint(out.string()); }).find("latest: expected a symlink"), std::string::npos);
  // and a commit refuses to replace a real folder named latest
  EXPECT_NE(error_of([&] {
              commit_checkpoint(out.string(), 4, 0, [](const std::string&) {});
            }).find("cannot repoint to step-4"),
            std::string::npos);
  EXPECT_EQ(parse_step_dir_name("step-12"), 12);
  EXPECT_EQ(parse_step_dir_name("step-012"), std::nullopt);
  EXPECT_EQ(parse_step_dir_name("step-"), std::nullopt);
  EXPECT_EQ(parse_step_dir_name("step-1x"), std::nullopt);
  fs::remove_all(out);
}

TEST(CheckpointDir, ResolveModelDirFollowsLatest) {
  const fs::path out = temp_dir("resolve");
  fs::create_directories(out);
  EXPECT_EQ(resolve_model_dir(out.string()), out.string());  // nothing to follow
  commit_checkpoint(out.string(), 2, 0,
                    [](const std::string& d) { std::ofstream(fs::path(d) / "config.json") << "{}"; });
  EXPECT_EQ(resolve_model_dir(out.string()), (out / "step-2").string());
  EXPECT_EQ(resolve_model_dir((out / "step-2").string()), (out / "step-2").string());
  std::ofstream(out / "config.json") << "{}";  // a model folder that happens to have a `latest` stays itself
  EXPECT_EQ(resolve_model_dir(out.string()), out.string());
  fs::remove(out / "config.json");
  fs::remove_all(out / "step-2");
  EXPECT_NE(error_of([&] { resolve_model_dir(out.string()); }).find("which is not a folder"), std::string::npos);
  fs::remove_all(out);
}

TEST(CheckpointDir, LoadModelAcceptsATrainingOutputFolder) {
  // `--model OUT` for a run's output folder loads OUT/latest.
  const fs::path out = temp_dir("load");
  nlohmann::json config =
      nlohmann::json::parse(std::ifstream(std::string(SEEK_SHARED_DIR) + "/fixtures/deepseek-v3-tiny/config.json"));
  commit_checkpoint(out.string(), 1, 0,
                    [&](const std::string& d) { write_synthetic_checkpoint(d, config, SyntheticOptions{}); });
  auto model = load_model(out.string());
  ASSERT_TRUE(model);
  EXPECT_EQ(model->vocab_size(), config["vocab_size"].get<int64_t>());
  fs::remove_all(out);
}

TEST(TrainerState, BadFilesNameTheFileAndField) {
  const fs::path d = temp_dir("state");
  fs::create_directories(d);
  write_trainer_state(d.string(), step_state(3));
  EXPECT_EQ(check_step(d.string(), 3).find("trainer state"), std::string::npos);  // state part reads back
  const fs::path js = d / "trainer_state.json";
  auto good = read_text_file(js.string());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    std::ofstream(js) << t;
    return error_of([&] { read_trainer_state(d.string()); });
  };
  auto has = [&](const std::string& msg, const std::string& part) {
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
    EXPECT_NE(msg.find("trainer_state."), std::string::npos) << msg;
  };
  has(with("\"tokens_seen\": 12288", "\"tokens_seen\": -1"), "field 'tokens_seen' is -1");
  has(with("\"epoch\": 0", "\"epoch\": \"x\""), "field 'data.epoch' is \"x\"");
  has(with("\"steps\": 3", "\"stepz\": 3"), "missing field 'optimizer.steps'");
  has(with("\"rng\": \"", "\"rng\": \"x"), "field 'rng' is not a saved mt19937_64 state");
  has(with("\"version\": 1", "\"version\": 2"), "field 'version' is 2");
  has(with("{", "["), "not valid JSON");
  std::ofstream(js) << good;
  // moments: an m without its v
  Tensor t = Tensor::zeros(DType::F32, {4});
  save_safetensors((d / "trainer_state.safetensors").string(), {{"m.a", t}});
  has(error_of([&] { read_trainer_state(d.string()); }), "has 'm.a' but no 'v.a'");
  save_safetensors((d / "trainer_state.safetensors").string(), {{"q.a", t}});
  has(error_of([&] { read_trainer_state(d.string()); }), "tensor 'q.a' is neither");
  fs::remove(js);
  has(error_of([&] { read_trainer_state(d.string()); }), "trainer_state.json: missing");
  fs::remove_all(d);
}
