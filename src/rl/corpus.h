// A pretraining corpus of worked problems for a synthetic task: each document is an R1-Zero prompt followed by a
// worked solution (task.h worked_solution), a given fraction of them wrong (an arithmetic slip in one step), so
// that a model pretrained on it is imperfect in a way RL can fix.
//
// Document text = prompt + completion, where prompt = r1_zero_prompt(question) ("... Assistant:") and the
// completion is " <think>steps</think> <answer>x</answer>"; with open_think the prompt ends in " <think>" and the
// completion is "steps</think> <answer>x</answer>" (grade it with started_in_think). Problems come from `split` (train
// by default, so held-out problems are never in a corpus), drawn with repeats allowed; exactly round(n *
// wrong_fraction) documents are wrong, at positions chosen by the seed; independently, exactly round(n *
// untagged_fraction) give their answer in words ("The answer is x.") instead of inside <answer> tags.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rl/task.h"

namespace seek {

struct CorpusOptions {
  int64_t n = 1000;
  double wrong_fraction = 0.0;
  // Documents whose final answer is written in words ("The answer is x.") instead of inside <answer> tags: a base
  // model that learned from them often answers where the task's checker does not look (R1-Zero's format reward).
  double untagged_fraction = 0.0;
  uint64_t seed = 0;
  TaskSplit split = TaskSplit::train;
  bool open_think = false;
};

struct CorpusItem {
  Problem problem;
  std::string prompt, completion;
  bool correct = true;
  bool tagged = true;  // the answer inside <answer> tags
  std::string text() const;  // prompt + completion as one document
};

// Throws Error naming the task when it cannot write worked solutions (datasets).
std::vector<CorpusItem> make_corpus(const Task& task, const CorpusOptions& o);

// The item as a conversational SFT sample (R1's cold-start shape, `seek sft` reads it):
//   {"messages": [{"role": "user", "content": question + "\n" + instruction},
//                 {"role": "assistant", "content": "<think>\nsteps\n</think>\n\n\\boxed{x}"}]}
// the user turn as a chat prompt built with the same instruction asks it (rl/prompt.h), the answer boxed as R1's
// math instruction asks (an untagged item keeps its answer sentence).
nlohmann::json chat_sample(const CorpusItem& item, const std::string& instruction);

}  // namespace seek
