#include "core/did_you_mean.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"

namespace agentstorm {

int EditDistance(std::string_view a, std::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  const int allowed = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  const std::string lower = absl::AsciiStrToLower(absl::string_view(word.data(), word.size()));
  std::string best;
  int best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    const int d = EditDistance(lower, absl::AsciiStrToLower(candidate));
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

}  // namespace agentstorm
