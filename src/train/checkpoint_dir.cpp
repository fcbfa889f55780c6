#include "train/checkpoint_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "formats/safetensors_write.h"

namespace seek {

namespace fs = std::filesystem;

namespace {

const char* kTmpPrefix = ".tmp-";

std::string sys_error() { return std::strerror(errno); }

void fsync_file(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(p.string() + ": cannot open to sync it: " + sys_error());
  int rc = ::fsync(fd);
  std::string err = rc != 0 ? sys_error() : "";
  ::close(fd);
  if (rc != 0) throw Error(p.string() + ": fsync failed: " + err);
}

// fsync every regular file and folder under `dir`, and `dir` itself: whatever the writer did (buffered streams,
// no syncs of its own), the contents are on disk before the folder is given its final name.
void sync_tree(const fs::path& dir) {
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_symlink()) continue;
    if (e.is_regular_file())
      fsync_file(e.path());
    else if (e.is_directory())
      fsync_directory(e.path().string());
  }
  fsync_directory(dir.string());
}

// Moves `p` out of sight (to a .tmp- name, atomically), then deletes it: a crash midway leaves only debris that
// the next commit clears, never a half-deleted checkpoint under a real name.
void remove_out_of_sight(const fs::path& out, const fs::path& p) {
  fs::path hidden = out / (std::string(kTmpPrefix) + "old-" + p.filename().string() + "-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(hidden, ec);
  fs::rename(p, hidden, ec);
  if (ec) throw Error(p.string() + ": cannot remove old checkpoint: " + ec.message());
  fs::remove_all(hidden, ec);
  if (ec) throw Error(hidden.string() + ": cannot remove: " + ec.message());
}

}  // namespace

std::optional<int64_t> parse_step_dir_name(const std::string& name) {
  if (name.size() < 6 || name.size() > 5 + 18 || name.compare(0, 5, "step-") != 0) return std::nullopt;
  int64_t n = 0;
  for (size_t i = 5; i < name.size(); i++) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    n = n * 10 + (name[i] - '0');
  }
  if ("step-" + std::to_string(n) != name) return std::nullopt;  // no leading zeros: one name per step
  return n;
}

std::vector<std::pair<int64_t, std::string>> list_checkpoints(const std::string& out) {
  std::vector<std::pair<int64_t, std::string>> r;
  std::error_code ec;
  if (!fs::is_directory(out, ec)) return r;
  for (auto& e : fs::directory_iterator(out)) {
    auto n = parse_step_dir_name(e.path().filename().string());
    if (n && !e.is_symlink() && e.is_directory()) r.push_back({*n, e.path().string()});
  }
  std::sort(r.begin(), r.end());
  return r;
}

std::string commit_checkpoint(const std::string& out, int64_t step, int keep,
                              const std::function<void(const std::string& tmp_dir)>& write) {
  check(step >= 0, out + ": checkpoint step " + std::to_string(step) + " is negative");
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out)) throw Error(out + ": cannot create the output folder: " + ec.message());
  const fs::path dir(out);

  // Debris of a crashed commit or prune (ours, from an earlier process).
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(kTmpPrefix, 0) == 0) fs::remove_all(e.path(), ec);

  const std::string name = "step-" + std::to_string(step);
  const std::string pid = std::to_string(::getpid());
  const fs::path tmp = dir / (std::string(kTmpPrefix) + name + "-" + pid);
  const fs::path final_dir = dir / name;
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec)) throw Error(tmp.string() + ": cannot create: " + ec.message());
  try {
    write(tmp.string());
    sync_tree(tmp);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }

  // Into place. A step-N that already exists (the run was resumed from an earlier checkpoint) is swapped out in
  // one atomic exchange, so OUT/latest never points at a missing folder, then deleted from its temp name.
  if (std::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    int err = errno;
    if ((err == ENOTEMPTY || err == EEXIST) &&
        ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
      fs::remove_all(tmp, ec);
    } else {
      fs::remove_all(tmp, ec);
      throw Error(final_dir.string() + ": cannot move the new checkpoint into place: " + std::strerror(err));
    }
  }
  fsync_directory(out);

  // Repoint OUT/latest: a new relative symlink beside it, renamed over it (rename replaces atomically).
  const fs::path link_tmp = dir / (std::string(kTmpPrefix) + "latest-" + pid);
  fs::remove(link_tmp, ec);
  if (::symlink(name.c_str(), link_tmp.c_str()) != 0)
    throw Error(link_tmp.string() + ": cannot create symlink: " + sys_error());
  if (std::rename(link_tmp.c_str(), (dir / "latest").c_str()) != 0) {
    std::string err = sys_error();
    fs::remove(link_tmp, ec);
    throw Error((dir / "latest").string() + ": cannot repoint to " + name + ": " + err +
                " (is it a folder rather than a symlink?)");
  }
  fsync_directory(out);

  if (keep > 0) {
    // Keep this step and the keep - 1 highest below it. Folders numbered above it are an abandoned future (the
    // run was resumed from an earlier checkpoint) and go first, so the highest step-N is always the latest.
    std::vector<std::pair<int64_t, std::string>> older;
    for (auto& c : list_checkpoints(out)) {
      if (c.first < step)
        older.push_back(c);
      else if (c.first > step)
        remove_out_of_sight(dir, c.second);
    }
    std::sort(older.rbegin(), older.rend());
    for (size_t i = size_t(keep - 1); i < older.size(); i++) remove_out_of_sight(dir, older[i].second);
  }
  return final_dir.string();
}

std::optional<std::string> latest_checkpoint(const std::string& out) {
  const fs::path link = fs::path(out) / "latest";
  std::error_code ec;
  fs::file_status st = fs::symlink_status(link, ec);
  if (!fs::exists(st)) return std::nullopt;
  if (!fs::is_symlink(st)) throw Error(link.string() + ": expected a symlink to the newest step-N folder");
  fs::path target = fs::read_symlink(link, ec);
  if (ec) throw Error(link.string() + ": cannot read the symlink: " + ec.message());
  if (target.has_parent_path() || !parse_step_dir_name(target.string()))
    throw Error(link.string() + ": points to '" + target.string() + "', expected a step-N folder beside it");
  fs::path dir = fs::path(out) / target;
  if (!fs::is_directory(dir, ec))
    throw Error(link.string() + ": points to '" + target.string() + "', which is not a folder (deleted?)");
  return dir.string();
}

}  // namespace seek
