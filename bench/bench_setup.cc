// What the agentstorm binary sets before it does anything (cli/main.cc), set for the
// micro-benchmarks too, so they measure the locks the binary takes: Debian's abseil is built with
// its deadlock detector on, a lock-graph update per absl::Mutex acquisition.
#include "absl/synchronization/mutex.h"

namespace {

const bool kDeadlockDetectionOff = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();

}  // namespace
