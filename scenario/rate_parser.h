// Turns `--rate` (plus `--duration` / `--traces`) into a LoadProfile.
//
// Grammar (case-insensitive, spaces optional around symbols):
//   rate     := "max" | ["poisson:"] segments | ["poisson:"] burst
//   segments := segment ("," segment)*
//   segment  := RATE ["for" DURATION]                  constant step
//             | RATE "->" RATE "over" DURATION         linear ramp
//   burst    := RATE "with burst" RATE "for" DURATION "every" DURATION
//   RATE     := as scenario/units.h ParseRate: "500", "500/s", "500 traces/s", "30/m",
//               "200k spans/s", "1.5M/s". A bare number is traces per second.
//   DURATION := "500ms", "30s", "2m", "1h".
// Examples:
//   500/s                              500 traces/s, constant spacing
//   poisson:500/s                      Poisson arrivals averaging 500 traces/s
//   200k spans/s                       converted to traces/s with the scenario's mean trace size
//   0 -> 5000/s over 30s               linear ramp; then 5000/s for the rest of --duration
//   100/s for 10s, 500/s for 10s       steps; the last step lasts the rest of --duration
//   100/s with burst 2000/s for 2s every 10s   100/s for 8s, then 2000/s for 2s, repeated
//   max                                as fast as the endpoints accept (closed loop)
//
// How the length of the run is settled:
//   - with --duration D, the profile is cut or extended to exactly D (the last step, or the end
//     rate of a final ramp, continues);
//   - with --traces only, the profile's own durations apply and the last rate continues until
//     that many traces were scheduled (a last step without "for" runs until then);
//   - with neither, every segment must have a duration and the run lasts their sum.
//   - bursts need --duration (the pattern repeats over it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "scenario/load_profile.h"

namespace agentstorm {

// `duration_seconds` <= 0 means no --duration; `traces` == 0 means no --traces.
// InvalidArgument with a message quoting the offending part of `rate` otherwise.
absl::StatusOr<LoadProfile> ParseLoadProfile(std::string_view rate, double duration_seconds,
                                             uint64_t traces);

// Total length of the profile in seconds (sum of its phases).
double ProfileSeconds(const LoadProfile& profile);

// Cuts or extends `profile` to exactly `seconds`: a ramp cut short ends at its interpolated
// rate; an extension lengthens a constant last phase or appends one at the last end rate.
void FitProfileToDuration(LoadProfile* profile, double seconds);

// "500 traces/s for 30s, 0 -> 100 traces/s over 10s (poisson)", for summaries.
std::string DescribeLoadProfile(const LoadProfile& profile);

}  // namespace agentstorm
