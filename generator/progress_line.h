// What `generate` and `run` print while they send: a live line that fits the terminal, plain
// periodic lines, or JSON lines for CI; and the final line, which says what was acknowledged.
//
// The live line drops its least useful figures first when the terminal is narrow (lag, spans/s,
// latency, ETA), so it never wraps: a wrapped line cannot be rewritten in place and leaves a stale
// copy at every update.
#pragma once

#include <cstdint>
#include <string>

namespace agentstorm {

enum class ProgressState { kSending, kFlushing, kDone };

struct ProgressFigures {
  double elapsed_seconds = 0;
  double planned_seconds = 0;  // the schedule's length; 0 when only a trace count bounds it
  uint64_t traces_target = 0;  // this process's trace count (0: bounded by time only)
  uint64_t traces_sent = 0;
  uint64_t spans_sent = 0;
  uint64_t spans_scheduled = 0;
  // Of the endpoint that got the fewest acknowledged: every endpoint has at least this many.
  uint64_t spans_acknowledged = 0;
  uint64_t spans_rejected = 0;  // of the endpoint with the most errors
  uint64_t spans_failed = 0;
  uint64_t spans_not_sent = 0;
  double traces_per_second = 0;  // the last whole second (live), the run's average (final)
  double spans_per_second = 0;
  double intended_traces_per_second = 0;  // for the ETA of a trace-count run (0: closed loop)
  uint64_t latency_p99_ns = 0;            // 0: nothing answered yet
  uint64_t lag_p99_ns = 0;
  ProgressState state = ProgressState::kSending;
};

// Fraction of the run done in [0, 1], or a negative number when it cannot be known.
double ProgressFraction(const ProgressFigures& f);

// One line, at most `width - 1` columns (width <= 0: no limit), without a newline.
std::string FormatProgressLine(const ProgressFigures& f, int width);

// The last line, once the run has flushed: how long, how much, how fast, and how much of it
// was acknowledged (never "done" when spans were lost).
std::string FormatFinalProgressLine(const ProgressFigures& f);

// One JSON object (one line, no newline) with every figure, for `--progress json`.
std::string FormatProgressJson(const ProgressFigures& f);

// Columns of the terminal behind `fd`: the kernel's answer, else $COLUMNS, else 80.
int TerminalWidth(int fd);

}  // namespace agentstorm
