#include "cli/data_dir.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace agentstorm::cli {
namespace {

namespace fs = std::filesystem;

bool HoldsData(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "scenarios", ec);
}

absl::StatusOr<std::string> FindDataDir() {
  if (const char* env = std::getenv("AGENTSTORM_DATA_DIR"); env != nullptr && *env != '\0') {
    if (HoldsData(env)) return std::string(env);
    return absl::FailedPreconditionError(
        absl::StrCat("AGENTSTORM_DATA_DIR=", env,
                     " holds no scenarios/ folder (it names agentstorm's data "
                     "folder, e.g. /usr/share/agentstorm)"));
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<std::string> tried;
  if (!ec) {
    for (const fs::path& dir : {exe.parent_path().parent_path() / "share" / "agentstorm",
                                exe.parent_path() / "share" / "agentstorm"}) {
      if (HoldsData(dir)) return dir.lexically_normal().string();
      tried.push_back(dir.lexically_normal().string());
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "agentstorm's data folder (bundled scenarios and semconv profiles) is not where it was "
      "looked for (",
      tried.empty() ? "the executable's path is unknown" : absl::StrJoin(tried, ", "),
      "): install agentstorm with its data (cmake --install, or the package), or set "
      "AGENTSTORM_DATA_DIR to the folder holding scenarios/"));
}

}  // namespace

const absl::StatusOr<std::string>& DataDir() {
  static const absl::StatusOr<std::string>* const dir =
      new absl::StatusOr<std::string>(FindDataDir());
  return *dir;
}

std::string DataDirOrEmpty() {
  const absl::StatusOr<std::string>& dir = DataDir();
  return dir.ok() ? *dir : std::string();
}

absl::StatusOr<std::string> CacheDir() {
  // The XDG base directory rule: a relative $XDG_CACHE_HOME is invalid and ignored.
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && fs::path(xdg).is_absolute())
    return (fs::path(xdg) / "agentstorm").lexically_normal().string();
  const char* home = std::getenv("HOME");
  if (home != nullptr && fs::path(home).is_absolute())
    return (fs::path(home) / ".cache" / "agentstorm").lexically_normal().string();
  return absl::InvalidArgumentError(
      "no cache folder: neither XDG_CACHE_HOME nor HOME is set to an absolute path");
}

}  // namespace agentstorm::cli
