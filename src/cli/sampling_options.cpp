#include "cli/sampling_options.h"

#include <random>

namespace seek::cli {

void SamplingFlags::add_to(CLI::App* cmd) {
  cmd->add_option("--temperature", temperature, "0 = greedy (default: the model's)");
  cmd->add_option("--top-k", top_k, "keep the k most likely tokens (0 = off)");
  cmd->add_option("--top-p", top_p, "nucleus sampling mass (1 = off)");
  cmd->add_option("--min-p", min_p, "drop tokens below min_p x the top probability (0 = off)");
  cmd->add_option("--repetition-penalty", repetition_penalty, "divide logits of tokens already present (1 = off)");
  cmd->add_option("--presence-penalty", presence_penalty, "subtract once from generated tokens (0 = off)");
  cmd->add_option("--frequency-penalty", frequency_penalty, "subtract per repetition (0 = off)");
  cmd->add_option("--seed", seed, "random seed: same seed, same output (default: random)");
}

SamplingParams SamplingFlags::apply(SamplingParams p) const {
  if (temperature) p.temperature = *temperature;
  if (top_k) p.top_k = *top_k;
  if (top_p) p.top_p = *top_p;
  if (min_p) p.min_p = *min_p;
  if (repetition_penalty) p.repetition_penalty = *repetition_penalty;
  if (presence_penalty) p.presence_penalty = *presence_penalty;
  if (frequency_penalty) p.frequency_penalty = *frequency_penalty;
  p.seed = seed ? *seed : std::random_device{}();
  p.validate();
  return p;
}

}  // namespace seek::cli
