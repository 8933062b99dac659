// Parsing of the human units used by scenarios and flags: durations ("800ms", "1.5s", "2m"),
// byte sizes ("4KB", "1.5MiB") and rates ("500/s", "200k spans/s", "max").
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "scenario/load_profile.h"

namespace agentstorm {

// ParseDuration (core/duration.h, the one duration grammar: "800ms", "1m30s", a bare number is
// seconds) in seconds, for the scenario loader's numeric fields.
absl::StatusOr<double> ParseDurationSeconds(std::string_view text);

// Units: B, KB/K (1000), MB/M, KiB (1024), MiB. A bare number is bytes.
absl::StatusOr<double> ParseByteSize(std::string_view text);

struct Rate {
  double per_second = 0;
  RateUnit unit = RateUnit::kTracesPerSecond;
  bool max = false;  // "max": as fast as the endpoints accept
};
// "500", "500/s", "500 traces/s", "30/m", "200k spans/s", "1.5M spans/s", "max".
absl::StatusOr<Rate> ParseRate(std::string_view text);

}  // namespace agentstorm
