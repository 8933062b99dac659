#include "core/run_id.h"

#include <optional>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "core/ids.h"
#include "core/rng.h"

namespace agentstorm {

uint64_t NewRunId() {
  std::random_device device;
  uint64_t id = 0;
  while (id == 0) id = (uint64_t{device()} << 32) ^ device();
  return id;
}

std::string FormatRunId(uint64_t run_id) { return absl::StrFormat("%016x", run_id); }

absl::StatusOr<uint64_t> ParseRunId(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("the run ID is empty");
  if (text.size() > 256)
    return absl::InvalidArgumentError("the run ID is longer than 256 characters");
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
      return absl::InvalidArgumentError(
          "the run ID has a space or a non-printable character; use the 16 hex digits a run "
          "printed, or a name such as a Kubernetes Job's UID");
  if (text.size() == 16) {
    if (std::optional<std::string> bytes = HexDecode(text)) {
      uint64_t id = 0;
      for (char c : *bytes) id = (id << 8) | static_cast<uint8_t>(c);
      return id;
    }
  }
  uint64_t id = Mix64(HashName(text));
  return id == 0 ? 1 : id;
}

}  // namespace agentstorm
