// Dataset tasks (gsm8k, jsonl): the shared GSM8K files load with the reference after "####"; bad files give one
// error naming file:line (missing fields, non-UTF-8 lines, bad JSON); draws are deterministic and distinct.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include "core/error.h"
#include "rl/task.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {
std::string temp_file(const std::string& name, const std::string& body) {
  fs::path dir = fs::temp_directory_path() / ("seek_rl_dataset_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << body;
  return p.string();
}

void expect_error(const std::string& spec, const std::string& needle) {
  try {
    make_task(spec)->problems(0, 0, TaskSplit::test);
    ADD_FAILURE() << spec << ": no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(RlDataset, Gsm8kLoads) {
  auto t = make_task(std::string("gsm8k:") + SEEK_SHARED_DIR + "/data/gsm8k");
  auto all = t->problems(0, 0, TaskSplit::test);
  ASSERT_EQ(all.size(), 1319u);
  EXPECT_EQ(all[0].answer, "18");  // Janet's ducks
  EXPECT_EQ(all[2].answer, "70000");
  EXPECT_NE(all[0].question.find("Janet"), std::string::npos);
  EXPECT_EQ(all[0].id, "test:1");
  EXPECT_EQ(t->problems(0, 0, TaskSplit::train).size(), 7473u);
  auto a = t->problems(5, 50, TaskSplit::test), b = t->problems(5, 50, TaskSplit::test);
  std::set<std::string> ids;
  for (size_t i = 0; i < a.size(); i++) {
    EXPECT_EQ(a[i].id, b[i].id);
    ids.insert(a[i].id);
  }
  EXPECT_EQ(ids.size(), 50u);
  // every GSM8K reference answer is a number under the task's own rules
  for (const Problem& p : all) EXPECT_TRUE(parse_number(p.answer, true)) << p.id << ": " << p.answer;
  RewardConfig r;
  EXPECT_EQ(t->grade("She makes 9 * 2 = $18 every day.", all[0], r).accuracy, 1);
  EXPECT_EQ(t->grade("The answer is \\boxed{18}.", all[0], r).accuracy, 1);
  EXPECT_EQ(t->grade("The answer is \\boxed{16}.", all[0], r).accuracy, 0);
  EXPECT_THROW(t->problems(0, 5000, TaskSplit::test), Error);
}

TEST(RlDataset, JsonlAndItsErrors) {
  std::string ok = temp_file("ok.jsonl",
                             "{\"question\": \"2+2?\", \"answer\": 4}\n\n{\"question\": \"Capital of France?\", "
                             "\"answer\": \"Paris\", \"id\": \"geo-1\"}\n");
  auto t = make_task("jsonl:" + ok);
  auto ps = t->problems(0, 0, TaskSplit::test);
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].answer, "4");
  EXPECT_EQ(ps[0].id, "ok:1");
  EXPECT_EQ(ps[1].id, "geo-1");
  RewardConfig r;
  EXPECT_EQ(t->grade("It is \\boxed{paris}", ps[1], r).accuracy, 1);

  std::string f = temp_file("noanswer.jsonl", "{\"question\": \"a\", \"answer\": \"1\"}\n{\"question\": \"b\"}\n");
  expect_error("jsonl:" + f, f + ":2: missing field \"answer\"");
  f = temp_file("noquestion.jsonl", "{\"answer\": \"1\"}\n");
  expect_error("jsonl:" + f, f + ":1: missing field \"question\"");
  f = temp_file("badjson.jsonl", "{\"question\": \"a\", \"answer\": \"1\"}\n{\"question\": \"a\",\n");
  expect_error("jsonl:" + f, f + ":2: not valid JSON");
  f = temp_file("latin1.jsonl", "{\"question\": \"caf\xE9\", \"answer\": \"1\"}\n");
  expect_error("jsonl:" + f, f + ":1: not valid UTF-8");
  f = temp_file("array.jsonl", "[1, 2]\n");
  expect_error("jsonl:" + f, f + ":1: expected a JSON object");
  f = temp_file("empty.jsonl", "\n\n");
  expect_error("jsonl:" + f, "no problems");
  f = temp_file("nomark.jsonl", "{\"question\": \"a\", \"answer\": \"it is 5\"}\n");
  expect_error("gsm8k:" + f, f + ":1: the answer has no \"####\"");
  expect_error("jsonl:/nonexistent/x.jsonl", "/nonexistent/x.jsonl: cannot open");
}
