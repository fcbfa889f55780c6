#include "rl/corpus.h"

#include <cmath>

#include "core/error.h"
#include "rl/prompt.h"

namespace seek {

std::string CorpusItem::text() const { return prompt + completion; }

namespace {

// Exactly round(n * f) of n positions, a random subset (partial Fisher-Yates).
std::vector<bool> random_subset(int64_t n, double f, Rng& rng) {
  const int64_t k = int64_t(std::llround(double(n) * f));
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) order[size_t(i)] = i;
  std::vector<bool> in(static_cast<size_t>(n), false);
  for (int64_t i = 0; i < k; i++) {
    std::swap(order[size_t(i)], order[size_t(i + int64_t(rng.below(uint64_t(n - i))))]);
    in[size_t(order[size_t(i)])] = true;
  }
  return in;
}

// "... <answer>x</answer>" -> "... The answer is x.": the answer in words, where the checker does not read it.
std::string untag(const std::string& sol) {
  const size_t a = sol.rfind(" <answer>"), e = sol.rfind("</answer>");
  if (a == std::string::npos || e == std::string::npos || e < a) return sol;
  return sol.substr(0, a) + " The answer is " + sol.substr(a + 9, e - a - 9) + ".";
}

}  // namespace

std::vector<CorpusItem> make_corpus(const Task& task, const CorpusOptions& o) {
  if (o.n < 1) throw Error("corpus size --n must be >= 1");
  if (!(o.wrong_fraction >= 0 && o.wrong_fraction <= 1)) throw Error("--wrong-fraction must be in [0, 1]");
  if (!task.generated()) throw Error("task " + task.spec() + " cannot write worked solutions (use a synthetic task)");
  if (!(o.untagged_fraction >= 0 && o.untagged_fraction <= 1)) throw Error("--untagged-fraction must be in [0, 1]");
  Rng rng(derive_seed(o.seed, 0xC0));
  const std::vector<bool> wrong = random_subset(o.n, o.wrong_fraction, rng);
  Rng tag_rng(derive_seed(o.seed, 0x7A6));  // its own stream: corpora without untagged documents stay as they were
  const std::vector<bool> untagged = random_subset(o.n, o.untagged_fraction, tag_rng);
  std::vector<Problem> problems = task.problems(o.seed, o.n, o.split, /*distinct=*/false);
  std::vector<CorpusItem> out;
  for (int64_t i = 0; i < o.n; i++) {
    CorpusItem it;
    it.problem = problems[size_t(i)];
    it.correct = !wrong[size_t(i)];
    std::optional<std::string> sol = task.worked_solution(it.problem, rng, it.correct);
    if (!sol && !it.correct) {  // no wrong variant for this problem: keep the document, correct
      it.correct = true;
      sol = task.worked_solution(it.problem, rng, true);
    }
    if (!sol) throw Error("task " + task.spec() + ": no worked solution for problem " + it.problem.id);
    it.tagged = !untagged[size_t(i)];
    if (!it.tagged) sol = untag(*sol);
    it.prompt = r1_zero_prompt(it.problem.question, o.open_think);
    it.completion = o.open_think ? sol->substr(7) : " " + *sol;  // with open_think the prompt opened "<think>"
    out.push_back(std::move(it));
  }
  return out;
}

nlohmann::json chat_sample(const CorpusItem& item, const std::string& instruction) {
  const std::string full = item.completion.rfind(" <think>", 0) == 0 ? item.completion.substr(1)
                           : item.completion.rfind("<think>", 0) == 0 ? item.completion
                                                                       : "<think>" + item.completion;
  const size_t end = full.find("</think>");
  if (end == std::string::npos) throw Error("problem " + item.problem.id + ": its worked solution has no </think>");
  std::string steps = full.substr(7, end - 7), answer = full.substr(end + 8);
  auto trim = [](std::string t) {
    const size_t a = t.find_first_not_of(" \n"), b = t.find_last_not_of(" \n");
    return a == std::string::npos ? std::string() : t.substr(a, b - a + 1);
  };
  answer = trim(answer);
  if (answer.rfind("<answer>", 0) == 0 && answer.size() >= 17 && answer.compare(answer.size() - 9, 9, "</answer>") == 0)
    answer = "\\boxed{" + trim(answer.substr(8, answer.size() - 17)) + "}";
  const std::string user = instruction.empty() ? item.problem.question : item.problem.question + "\n" + instruction;
  return {{"messages",
           nlohmann::json::array({{{"role", "user"}, {"content", user}},
                                  {{"role", "assistant"}, {"content", "<think>\n" + trim(steps) + "\n</think>\n\n" + answer}}})}};
}

}  // namespace seek
