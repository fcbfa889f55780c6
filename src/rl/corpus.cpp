#include "rl/corpus.h"

#include <cmath>

#include "core/error.h"
#include "rl/prompt.h"

namespace seek {

std::string CorpusItem::text() const { return prompt + completion; }

std::vector<CorpusItem> make_corpus(const Task& task, const CorpusOptions& o) {
  if (o.n < 1) throw Error("corpus size --n must be >= 1");
  if (!(o.wrong_fraction >= 0 && o.wrong_fraction <= 1)) throw Error("--wrong-fraction must be in [0, 1]");
  if (!task.generated()) throw Error("task " + task.spec() + " cannot write worked solutions (use a synthetic task)");
  Rng rng(derive_seed(o.seed, 0xC0));
  // which documents are wrong: exactly round(n * f) of them, a random subset (partial Fisher-Yates)
  const int64_t n_wrong = int64_t(std::llround(double(o.n) * o.wrong_fraction));
  std::vector<int64_t> order(size_t(o.n));
  for (int64_t i = 0; i < o.n; i++) order[size_t(i)] = i;
  std::vector<bool> wrong(size_t(o.n), false);
  for (int64_t i = 0; i < n_wrong; i++) {
    std::swap(order[size_t(i)], order[size_t(i + int64_t(rng.below(uint64_t(o.n - i))))]);
    wrong[size_t(order[size_t(i)])] = true;
  }
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
    it.prompt = r1_zero_prompt(it.problem.question, o.open_think);
    it.completion = o.open_think ? sol->substr(7) : " " + *sol;  // with open_think the prompt opened "<think>"
    out.push_back(std::move(it));
  }
  return out;
}

}  // namespace seek
