// The checkpoint folders of a training run, in its output folder OUT:
//   OUT/step-N/        one complete checkpoint (a Hugging Face model folder plus trainer_state.*)
//   OUT/latest         a relative symlink to the newest committed step-N
//   OUT/.tmp-*         work in progress or debris of a crash; never read, removed by the next commit
// A step-N folder appears under its name only once every file in it is written and fsync'd, and `latest` is
// repointed by renaming a new symlink over it, so a crash at any moment leaves `latest` naming a complete
// checkpoint. One process commits to a given OUT at a time.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace seek {

// Writes a new checkpoint: `write(tmp_dir)` fills a fresh temp folder (OUT/.tmp-step-N-PID), which is then
// fsync'd (files and folders), renamed to OUT/step-N (replacing an older step-N atomically), and OUT/latest is
// repointed to it. Then, when keep > 0, only this step and the keep - 1 highest steps below it are kept: older
// ones and any numbered above it (an abandoned future, after resuming from an earlier checkpoint) are removed,
// renamed to .tmp-* first so none is ever seen half-deleted; keep <= 0 keeps all. Stale .tmp-* entries from a
// crash are removed first. Returns OUT/step-N. If `write` throws, the temp folder is removed, OUT is as before, and
// the exception propagates.
std::string commit_checkpoint(const std::string& out, int64_t step, int keep,
                              const std::function<void(const std::string& tmp_dir)>& write);

// OUT/step-N of OUT/latest, or nullopt when there is no OUT/latest (nothing committed yet). Throws Error naming
// OUT/latest when it is not a symlink or does not point at a step-N folder inside OUT.
std::optional<std::string> latest_checkpoint(const std::string& out);

// The committed step-N folders in OUT, by increasing N (empty when OUT does not exist).
std::vector<std::pair<int64_t, std::string>> list_checkpoints(const std::string& out);

// N for a folder name "step-N" (decimal digits, no sign or padding beyond what was written), else nullopt.
std::optional<int64_t> parse_step_dir_name(const std::string& name);

}  // namespace seek
