#include "generator/progress_line.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/load_summary.h"
#include "nlohmann/json.hpp"

namespace agentstorm {
namespace {

// "45s", "3m05s", "2h07m".
std::string ClockTime(double seconds) {
  const auto s = static_cast<uint64_t>(std::max(0.0, std::round(seconds)));
  if (s < 60) return absl::StrFormat("%us", s);
  if (s < 3600) return absl::StrFormat("%um%02us", s / 60, s % 60);
  return absl::StrFormat("%uh%02um", s / 3600, s % 3600 / 60);
}

// Seconds left, or a negative number when unknown.
double SecondsLeft(const ProgressFigures& f) {
  if (f.planned_seconds > 0) return std::max(0.0, f.planned_seconds - f.elapsed_seconds);
  if (f.traces_target == 0) return -1;
  const double left =
      static_cast<double>(f.traces_target - std::min(f.traces_target, f.traces_sent));
  const double rate =
      f.intended_traces_per_second > 0 ? f.intended_traces_per_second : f.traces_per_second;
  return rate > 0 ? left / rate : -1;
}

struct Field {
  std::string text;
  int drop_order;  // 0: always shown; higher numbers go first when the line is too wide
};

}  // namespace

double ProgressFraction(const ProgressFigures& f) {
  if (f.state == ProgressState::kDone) return 1;
  if (f.traces_target > 0)
    return std::min(1.0, static_cast<double>(f.traces_sent) / static_cast<double>(f.traces_target));
  if (f.planned_seconds > 0) return std::min(1.0, f.elapsed_seconds / f.planned_seconds);
  return -1;
}

std::string FormatProgressLine(const ProgressFigures& f, int width) {
  std::vector<Field> fields;
  fields.push_back({f.planned_seconds > 0 ? absl::StrCat(ClockTime(f.elapsed_seconds), "/",
                                                         ClockTime(f.planned_seconds))
                                          : ClockTime(f.elapsed_seconds),
                    0});
  const double fraction = ProgressFraction(f);
  if (fraction >= 0) fields.push_back({absl::StrFormat("%.0f%%", 100 * fraction), 0});
  const double left = SecondsLeft(f);
  if (f.state == ProgressState::kSending && left >= 0)
    fields.push_back({"ETA " + ClockTime(left), 3});
  fields.push_back({HumanCount(f.traces_per_second) + " traces/s", 0});
  fields.push_back({HumanCount(f.spans_per_second) + " spans/s", 5});
  std::string sent = "sent " + HumanCount(static_cast<double>(f.traces_sent));
  if (f.traces_target > 0) sent += "/" + HumanCount(static_cast<double>(f.traces_target));
  fields.push_back({sent, 1});
  // Acknowledged of what was handed to the exporters: retries and refusals show here long
  // before they end as errors.
  fields.push_back(
      {f.spans_sent > 0
           ? absl::StrFormat("acked %.0f%%", 100.0 * static_cast<double>(f.spans_acknowledged) /
                                                 static_cast<double>(f.spans_sent))
           : std::string("acked -"),
       1});
  const uint64_t errors = f.spans_rejected + f.spans_failed;
  fields.push_back({"errors " + HumanCount(static_cast<double>(errors)), errors > 0 ? 0 : 2});
  fields.push_back({"p99 " + (f.latency_p99_ns > 0 ? HumanNanos(f.latency_p99_ns) : "-"), 4});
  fields.push_back({"lag p99 " + HumanNanos(f.lag_p99_ns), 6});
  if (f.state == ProgressState::kFlushing) fields.push_back({"flushing", 0});

  auto join = [&] {
    std::string line;
    for (const Field& x : fields) {
      if (!line.empty()) line += "  ";
      line += x.text;
    }
    return line;
  };
  std::string line = join();
  while (width > 0 && static_cast<int>(line.size()) > width - 1) {
    auto worst = std::max_element(fields.begin(), fields.end(), [](const Field& a, const Field& b) {
      return a.drop_order < b.drop_order;
    });
    if (worst == fields.end() || worst->drop_order == 0) {
      line.resize(static_cast<size_t>(std::max(0, width - 1)));  // nothing optional left
      break;
    }
    fields.erase(worst);
    line = join();
  }
  return line;
}

std::string FormatFinalProgressLine(const ProgressFigures& f) {
  const bool all = f.spans_scheduled > 0 && f.spans_acknowledged == f.spans_scheduled;
  std::string line = absl::StrCat(
      all ? "done" : "finished", " in ", absl::StrFormat("%.1fs", f.elapsed_seconds), ": sent ",
      HumanCount(static_cast<double>(f.traces_sent)), " traces at ",
      HumanCount(f.traces_per_second), " traces/s (", HumanCount(f.spans_per_second),
      " spans/s); acknowledged ", HumanCount(static_cast<double>(f.spans_acknowledged)), " of ",
      HumanCount(static_cast<double>(f.spans_scheduled)), " spans");
  if (!all) {
    std::vector<std::string> lost;
    if (f.spans_rejected > 0)
      lost.push_back("rejected " + HumanCount(static_cast<double>(f.spans_rejected)));
    if (f.spans_failed > 0)
      lost.push_back("failed " + HumanCount(static_cast<double>(f.spans_failed)));
    if (f.spans_not_sent > 0)
      lost.push_back("not sent " + HumanCount(static_cast<double>(f.spans_not_sent)));
    if (!lost.empty()) {
      line += " (";
      for (size_t i = 0; i < lost.size(); ++i) absl::StrAppend(&line, i ? ", " : "", lost[i]);
      line += ")";
    }
  }
  if (f.latency_p99_ns > 0) absl::StrAppend(&line, "; p99 ", HumanNanos(f.latency_p99_ns));
  absl::StrAppend(&line, ", lag p99 ", HumanNanos(f.lag_p99_ns));
  return line;
}

std::string FormatProgressJson(const ProgressFigures& f) {
  nlohmann::json j;
  j["state"] = f.state == ProgressState::kSending    ? "sending"
               : f.state == ProgressState::kFlushing ? "flushing"
                                                     : "done";
  j["elapsed_seconds"] = f.elapsed_seconds;
  if (f.planned_seconds > 0) j["planned_seconds"] = f.planned_seconds;
  if (f.traces_target > 0) j["traces_target"] = f.traces_target;
  const double fraction = ProgressFraction(f);
  if (fraction >= 0) j["percent"] = 100 * fraction;
  const double left = SecondsLeft(f);
  if (f.state == ProgressState::kSending && left >= 0) j["eta_seconds"] = left;
  j["traces_sent"] = f.traces_sent;
  j["spans_sent"] = f.spans_sent;
  j["spans_acknowledged"] = f.spans_acknowledged;
  j["spans_rejected"] = f.spans_rejected;
  j["spans_failed"] = f.spans_failed;
  if (f.state == ProgressState::kDone) {
    j["spans_scheduled"] = f.spans_scheduled;
    j["spans_not_sent"] = f.spans_not_sent;
  }
  j["traces_per_second"] = f.traces_per_second;
  j["spans_per_second"] = f.spans_per_second;
  j["latency_p99_ms"] = static_cast<double>(f.latency_p99_ns) / 1e6;
  j["lag_p99_ms"] = static_cast<double>(f.lag_p99_ns) / 1e6;
  return j.dump();
}

int TerminalWidth(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  int columns = 0;
  const char* env = std::getenv("COLUMNS");
  if (env != nullptr && absl::SimpleAtoi(env, &columns) && columns > 0) return columns;
  return 80;
}

}  // namespace agentstorm
