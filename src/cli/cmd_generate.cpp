#include "cli/commands.h"
#include "core/error.h"

namespace seek::cli {
void register_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "(being written)");
  cmd->callback([] { throw Error("generate: not implemented yet"); });
}
}  // namespace seek::cli
