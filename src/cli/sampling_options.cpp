#include "cli/sampling_options.h"

#include <cmath>
#include <random>

#include "core/error.h"

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
  cmd->add_option("--stop", stop, "stop string (repeatable); generation ends before it");
}

SamplingParams SamplingFlags::apply(SamplingParams p) const {
  auto take = [](const std::optional<float>& flag, const char* name, float& dst) {
    if (!flag) return;
    if (!std::isfinite(*flag))
      throw Error(std::string(name) + ": " + std::to_string(*flag) + " is not a finite number");
    dst = *flag;
  };
  take(temperature, "--temperature", p.temperature);
  take(top_p, "--top-p", p.top_p);
  take(min_p, "--min-p", p.min_p);
  take(repetition_penalty, "--repetition-penalty", p.repetition_penalty);
  take(presence_penalty, "--presence-penalty", p.presence_penalty);
  take(frequency_penalty, "--frequency-penalty", p.frequency_penalty);
  if (top_k) p.top_k = *top_k;
  p.seed = seed ? *seed : std::random_device{}();
  p.validate();
  return p;
}

const std::vector<std::string>& SamplingFlags::stop_strings() const {
  for (const std::string& s : stop)
    if (s.empty()) throw Error("--stop: an empty stop string (it would end every reply before its first token)");
  return stop;
}

}  // namespace seek::cli
