#include "generator/progress_line.h"

#include <gtest/gtest.h>

#include <string>

#include "nlohmann/json.hpp"

namespace agentstorm {
namespace {

ProgressFigures Midway() {
  ProgressFigures f;
  f.elapsed_seconds = 12;
  f.planned_seconds = 30;
  f.traces_sent = 1'234'567;
  f.spans_sent = 9'876'543;
  f.spans_acknowledged = 9'000'000;
  f.traces_per_second = 102'345;
  f.spans_per_second = 818'760;
  f.latency_p99_ns = 12'300'000;
  f.lag_p99_ns = 850'000;
  return f;
}

TEST(ProgressLine, FitsTheTerminalByDroppingTheLeastUsefulFiguresFirst) {
  const ProgressFigures f = Midway();
  const std::string wide = FormatProgressLine(f, 0);
  EXPECT_NE(wide.find("lag p99 850us"), std::string::npos) << wide;
  EXPECT_NE(wide.find("ETA 18s"), std::string::npos) << wide;
  EXPECT_NE(wide.find("40%"), std::string::npos) << wide;
  EXPECT_NE(wide.find("acked 91%"), std::string::npos) << wide;
  EXPECT_GT(wide.size(), 79u) << "the case this test is about: a line wider than 80 columns";
  for (int width : {120, 80, 60, 40}) {
    const std::string line = FormatProgressLine(f, width);
    EXPECT_LE(line.size(), static_cast<size_t>(width - 1)) << width << ": " << line;
    EXPECT_NE(line.find("12s/30s"), std::string::npos) << line;
    EXPECT_NE(line.find("traces/s"), std::string::npos) << line;
  }
  const std::string eighty = FormatProgressLine(f, 80);
  EXPECT_EQ(eighty.find("lag p99"), std::string::npos) << "lag goes first: " << eighty;
  EXPECT_NE(eighty.find("40%"), std::string::npos) << eighty;
  EXPECT_NE(eighty.find("sent 1.23M"), std::string::npos) << eighty;
}

TEST(ProgressLine, ErrorsStayWhenThereAreAny) {
  ProgressFigures f = Midway();
  f.spans_failed = 12;
  EXPECT_NE(FormatProgressLine(f, 50).find("errors 12"), std::string::npos)
      << FormatProgressLine(f, 50);
  f.spans_failed = 0;
  EXPECT_EQ(FormatProgressLine(f, 50).find("errors"), std::string::npos)
      << FormatProgressLine(f, 50);
}

TEST(ProgressLine, TraceCountRunShowsItsShareAndTimeLeftAtTheIntendedRate) {
  ProgressFigures f;
  f.elapsed_seconds = 2;
  f.traces_target = 100;
  f.traces_sent = 40;
  f.spans_sent = 160;
  f.intended_traces_per_second = 20;
  f.traces_per_second = 10;  // behind: the ETA follows the schedule, not the last second
  const std::string line = FormatProgressLine(f, 0);
  EXPECT_NE(line.find("40%"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 3s"), std::string::npos) << line;
  EXPECT_NE(line.find("sent 40/100"), std::string::npos) << line;
  EXPECT_NE(line.find("acked 0%"), std::string::npos) << line;
  f.state = ProgressState::kFlushing;
  const std::string flushing = FormatProgressLine(f, 0);
  EXPECT_EQ(flushing.find("ETA"), std::string::npos) << flushing;
  EXPECT_NE(flushing.find("flushing"), std::string::npos) << flushing;
  EXPECT_LT(ProgressFraction(ProgressFigures{}), 0) << "unbounded: no percentage";
}

TEST(ProgressLine, FinalLineSaysWhatWasAcknowledged) {
  ProgressFigures f;
  f.state = ProgressState::kDone;
  f.elapsed_seconds = 8.04;
  f.traces_sent = 32;
  f.spans_sent = 128;
  f.spans_scheduled = 240;
  f.spans_failed = 128;
  f.spans_not_sent = 112;
  f.traces_per_second = 10.7;
  f.spans_per_second = 42.7;
  f.latency_p99_ns = 7'920'000'000;
  f.lag_p99_ns = 279'000;
  const std::string lost = FormatFinalProgressLine(f);
  EXPECT_EQ(lost.rfind("finished in 8.0s", 0), 0u) << lost;
  EXPECT_EQ(lost.find("done"), std::string::npos) << lost;
  EXPECT_NE(lost.find("acknowledged 0 of 240 spans (failed 128, not sent 112)"), std::string::npos)
      << lost;
  EXPECT_NE(lost.find("p99 7.92s"), std::string::npos) << lost;
  EXPECT_EQ(lost.find(" 0ns"), std::string::npos) << lost;

  f.spans_failed = f.spans_not_sent = 0;
  f.spans_acknowledged = f.spans_sent = f.spans_scheduled = 240;
  const std::string all = FormatFinalProgressLine(f);
  EXPECT_EQ(all.rfind("done in 8.0s", 0), 0u) << all;
  EXPECT_NE(all.find("acknowledged 240 of 240 spans;"), std::string::npos) << all;
}

TEST(ProgressLine, JsonLinesCarryEveryFigure) {
  ProgressFigures f = Midway();
  nlohmann::json j = nlohmann::json::parse(FormatProgressJson(f));
  EXPECT_EQ(j["state"], "sending");
  EXPECT_DOUBLE_EQ(j["percent"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(j["eta_seconds"].get<double>(), 18);
  EXPECT_EQ(j["spans_acknowledged"], 9'000'000);
  EXPECT_DOUBLE_EQ(j["latency_p99_ms"].get<double>(), 12.3);
  EXPECT_FALSE(j.contains("spans_not_sent")) << "known only at the end";
  f.state = ProgressState::kDone;
  f.spans_scheduled = 9'876'543;
  j = nlohmann::json::parse(FormatProgressJson(f));
  EXPECT_EQ(j["state"], "done");
  EXPECT_EQ(j["spans_scheduled"], 9'876'543);
  EXPECT_FALSE(j.contains("eta_seconds"));
  EXPECT_EQ(FormatProgressJson(f).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace agentstorm
