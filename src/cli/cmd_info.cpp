#include "cli/commands.h"
#include "core/error.h"

namespace seek::cli {
void register_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "(being written)");
  cmd->callback([] { throw Error("info: not implemented yet"); });
}
}  // namespace seek::cli
