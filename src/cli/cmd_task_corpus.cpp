// seek task-corpus: worked problems of a synthetic task (rl/corpus.h) as a pretraining corpus, some of them wrong.
// .jsonl: one {"text", "prompt", "completion", "correct", "id", "answer"} per line (`seek data` reads "text");
// any other extension: one document per line. --chat: one conversational SFT sample per line ({"messages", "correct",
// "id", "answer"}: R1's cold-start shape, rl/corpus.h chat_sample).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "rl/corpus.h"
#include "rl/prompt.h"

namespace seek::cli {

namespace {
struct CorpusArgs {
  std::string task, out, split = "train";
  int64_t n = 1000;
  double wrong_fraction = 0.0, untagged_fraction = 0.0;
  uint64_t seed = 0;
  bool open_think = false, chat = false;
  std::string instruction = kR1MathInstruction;
};

bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

void run_task_corpus(const CorpusArgs& a) {
  auto task = make_task(a.task);
  CorpusOptions o;
  o.n = a.n;
  o.wrong_fraction = a.wrong_fraction;
  o.untagged_fraction = a.untagged_fraction;
  o.seed = a.seed;
  o.split = parse_task_split(a.split);
  o.open_think = a.open_think;
  std::vector<CorpusItem> items = make_corpus(*task, o);
  const bool jsonl = ends_with(a.out, ".jsonl");
  check(!a.chat || jsonl, "--chat writes JSONL: give --out FILE.jsonl");
  check(!a.chat || !a.open_think, "--chat and --open-think: the chat template decides how a reply opens");
  std::string text;
  int64_t wrong = 0;
  for (const CorpusItem& it : items) {
    wrong += it.correct ? 0 : 1;
    if (a.chat) {
      nlohmann::json j = chat_sample(it, a.instruction);
      j["correct"] = it.correct;
      j["id"] = it.problem.id;
      j["answer"] = it.problem.answer;
      text += j.dump() + "\n";
    } else if (jsonl)
      text += nlohmann::json{{"text", it.text()},     {"prompt", it.prompt}, {"completion", it.completion},
                             {"correct", it.correct}, {"tagged", it.tagged}, {"id", it.problem.id}, {"answer", it.problem.answer}}
                  .dump() +
              "\n";
    else
      text += it.text() + "\n";
  }
  write_file_atomic(a.out, text.data(), text.size());
  std::fprintf(stderr, "wrote %zu documents (%lld wrong) of %s (%s split) to %s\n", items.size(), (long long)wrong,
               task->spec().c_str(), a.split.c_str(), a.out.c_str());
}
}  // namespace

void register_task_corpus(CLI::App& app) {
  auto a = std::make_shared<CorpusArgs>();
  auto* cmd = app.add_subcommand("task-corpus", "write worked problems of a synthetic task (some wrong) as a corpus");
  cmd->add_option("--task", a->task, "a synthetic task spec: arithmetic[:digits=2,terms=2,ops=+-*], countdown[:...]")
      ->required();
  cmd->add_option("--n", a->n, "number of documents")->capture_default_str();
  cmd->add_option("--wrong-fraction", a->wrong_fraction, "fraction of solutions with an arithmetic slip")
      ->capture_default_str();
  cmd->add_option("--untagged-fraction", a->untagged_fraction,
                  "fraction whose answer is in words (\"The answer is x.\"), not inside <answer> tags")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "random seed")->capture_default_str();
  cmd->add_option("--split", a->split, "train or test problems (held-out problems are the test split)")
      ->capture_default_str();
  cmd->add_flag("--open-think", a->open_think, "end each prompt with \" <think>\" (the completion starts inside it)");
  cmd->add_flag("--chat", a->chat,
                "conversational SFT samples ({\"messages\"}: question + instruction, then <think>steps</think> and "
                "the boxed answer), R1's cold-start data");
  cmd->add_option("--instruction", a->instruction, "--chat: appended to the question (\"\" for none)")
      ->capture_default_str();
  cmd->add_option("--out", a->out, "FILE.jsonl (one {\"text\", ...} per line) or FILE.txt (one document per line)")
      ->required();
  cmd->callback([a] { run_task_corpus(*a); });
}

}  // namespace seek::cli
