// The one duration grammar of agentstorm. Every duration a user writes goes through
// ParseDuration: the command-line flags (--wait, --since, --duration, --metrics-interval,
// --probe-duration, --slo-p99, bench --duration, ...), the scenario language (latencies,
// phases, deadlines) and the sink's fault specs (delay-export=2s).
//
//   duration := number                  a bare number is seconds: "30" = 30s
//             | (number unit)+          "500ms", "1.5s", "2m", "1m30s", "1h 30m"
//   number   := digits ["." digits] [exponent] | "." digits [exponent]     ("1e-3s")
//   unit     := ns | us | µs | ms | s | m | min | h
//
// Whitespace around the whole text and between a number and its unit is ignored. Rejected
// (InvalidArgument, the message quotes the text): "", a sign ("-1s", "+1s"), an unknown unit
// ("10x"), a bare number followed by more segments ("1 30s"), and a value that does not fit
// in absl::Duration ("1e400", "99999999999999999999h").
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace agentstorm {

absl::StatusOr<absl::Duration> ParseDuration(std::string_view text);

}  // namespace agentstorm
