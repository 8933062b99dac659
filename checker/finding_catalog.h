// Every finding ID a check can report, so that a check config naming one (`levels:`,
// `expected_violations:`) is checked: a typo there would otherwise silently keep a level or a
// suppression from applying. tests/checker/finding_catalog_test.cc scans the rooms' sources for
// ID literals and fails when one is missing here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace agentstorm {

// Sorted, "<family>.<name>".
const std::vector<std::string>& KnownFindingIds();

// What the finding means in a few words ("a span whose parent is not in the trace"); "" for an
// unknown ID.
std::string FindingSummary(std::string_view id);

// "" when `id` names a known finding, a known family ("semconv.*"), or is a pattern with '*'
// over a known family (or "*"); otherwise a message with the closest known ID or family.
std::string UnknownFindingIdError(std::string_view id);

}  // namespace agentstorm
