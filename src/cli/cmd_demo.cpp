#include "cli/commands.h"
#include "core/error.h"

namespace seek::cli {
void register_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "(being written)");
  cmd->callback([] { throw Error("demo: not implemented yet"); });
}
}  // namespace seek::cli
