#include "cli/stop_signal.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace agentstorm::cli {
namespace {

// Self-pipe: the handler may run on any thread (gRPC and libmicrohttpd start their own before and
// after us), so it only writes a byte that the main thread waits for.
int g_stop_pipe[2] = {-1, -1};
volatile sig_atomic_t g_stop_signal = 0;

void OnStopSignal(int signal_number) {
  g_stop_signal = signal_number;
  const char byte = 1;
  [[maybe_unused]] ssize_t n = write(g_stop_pipe[1], &byte, 1);
}

}  // namespace

bool InstallStopSignalHandlers() {
  if (pipe(g_stop_pipe) != 0) return false;
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return true;
}

int WaitForStopSignal() {
  char byte;
  while (read(g_stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  return g_stop_signal;
}

}  // namespace agentstorm::cli
