// "Did you mean ...?" for mistyped names: flags, subcommands, bundled scenario names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace agentstorm {

// Levenshtein distance: insertions, deletions and substitutions between `a` and `b`.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` (ignoring case), when it is close enough to be a likely typo
// of it (at most
// one edit for a word of up to four characters, two up to eight, three beyond), else "".
// Ties go to the earlier candidate.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace agentstorm
