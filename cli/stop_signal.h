// SIGINT and SIGTERM for the long-running subcommands (`sink`, `provider`): they serve until one
// arrives, then shut down in order.
#pragma once

namespace agentstorm::cli {

// Installs the handlers; false (with errno set) when the self-pipe cannot be made.
bool InstallStopSignalHandlers();

// Blocks until SIGINT or SIGTERM arrives; returns which.
int WaitForStopSignal();

}  // namespace agentstorm::cli
