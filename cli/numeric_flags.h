// The one validator of agentstorm's integer flags (--traces, --seed, --batch-spans, --limit,
// --concurrency, --max-spans, ...). CLI11 converts "-5" into a uint64_t by wrapping it to
// 18446744073709551611 and lets "99999999999999999999" through; checked on the text before
// conversion, a flag must be a whole number in digits (no sign, fraction or exponent) between `min`
// and `max`, or the command is a usage error (exit 2) that names the flag and the range.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>

namespace agentstorm::cli {

CLI::Validator WholeNumber(uint64_t min = 0, uint64_t max = std::numeric_limits<uint64_t>::max());

// The range of an integer type T, from `min`.
template <typename T>
CLI::Validator WholeNumberOf(uint64_t min = 0) {
  return WholeNumber(min, static_cast<uint64_t>(std::numeric_limits<T>::max()));
}

}  // namespace agentstorm::cli
