#include "cli/commands.h"
#include "core/error.h"

namespace seek::cli {
void register_forward(CLI::App& app) {
  auto* cmd = app.add_subcommand("forward", "(being written)");
  cmd->callback([] { throw Error("forward: not implemented yet"); });
}
}  // namespace seek::cli
