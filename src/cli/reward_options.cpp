#include "cli/reward_options.h"

namespace seek::cli {

void RewardFlags::add_to(CLI::App* cmd) {
  cmd->add_option("--accuracy-weight", config.accuracy_weight, "reward for a correct answer")->capture_default_str();
  cmd->add_option("--format-weight", config.format_weight, "reward for a well-formed completion")
      ->capture_default_str();
  cmd->add_flag("--gate-on-format", config.gate_on_format, "count accuracy only when the format is right");
  cmd->add_option("--length-max", config.length_max,
                  "length penalty: completions longer than this many tokens "
                  "get -length-weight (0 = off)")
      ->capture_default_str();
  cmd->add_option("--length-buffer", config.length_buffer, "length penalty: the soft zone before --length-max")
      ->capture_default_str();
  cmd->add_option("--length-weight", config.length_weight, "length penalty: its full size")->capture_default_str();
}

RewardConfig RewardFlags::get() const {
  config.validate();
  return config;
}

}  // namespace seek::cli
