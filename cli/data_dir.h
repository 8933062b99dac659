// Where the bundled data is: scenarios (with their semconv profiles, alert rules and check
// configs) and the bench files. Found at run time, never at a path compiled in:
//   1. $AGENTSTORM_DATA_DIR, when set (it must hold scenarios/);
//   2. <the executable's folder>/../share/agentstorm, an installed layout (cmake --install,
//      the Debian package, the container image);
//   3. <the executable's folder>/share/agentstorm, the build tree's (CMake links it to the
//      source tree's folders when it configures).
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace agentstorm::cli {

// The data folder, or FailedPrecondition naming every place tried and AGENTSTORM_DATA_DIR.
// Looked up once; thread-safe.
const absl::StatusOr<std::string>& DataDir();

// DataDir() when found, else "" (the callers then report the scenario or profile they could not
// read, which names the path and so the problem); for flag defaults and messages.
std::string DataDirOrEmpty();

// Where agentstorm keeps what it installs for itself (the bench peer's npm packages):
// $XDG_CACHE_HOME/agentstorm, else $HOME/.cache/agentstorm, the XDG base directory rule; never
// beside the binary, which an installed tool cannot write (/usr/bin). InvalidArgument when
// neither variable is set to an absolute path.
absl::StatusOr<std::string> CacheDir();

}  // namespace agentstorm::cli
