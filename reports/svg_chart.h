// Inline SVG charts for report.html, drawn in C++ so the report needs no script, font or
// network fetch. Each function returns one <svg> element (with a <title> for accessibility)
// sized by `width` x `height` user units and scaled by CSS; an empty input draws an "no data"
// placeholder rather than nothing.
#pragma once

#include <string>
#include <vector>

namespace agentstorm::reports {

struct Series {
  std::string name;
  std::string color;           // CSS colour
  std::vector<double> values;  // one per x step
  bool dashed = false;
};

// Lines over x = 0..n-1 (e.g. seconds), y from 0 to the largest value.
std::string LineChart(const std::string& title, const std::string& x_label,
                      const std::string& y_label, const std::vector<Series>& series, int width,
                      int height);

struct Bar {
  std::string label;
  double value = 0;
  std::string color;
  std::string tooltip;  // <title> of the bar; "" = label and value
};

// Vertical bars, labels under each bar (a histogram when labels are bucket bounds).
std::string ColumnChart(const std::string& title, const std::vector<Bar>& bars, int width,
                        int height);
// Horizontal bars with labels on the left (long names such as finding IDs).
std::string BarChart(const std::string& title, const std::vector<Bar>& bars, int width);

struct StackedRow {
  std::string label;
  std::vector<Bar> parts;  // drawn left to right, scaled to the row total
};
// One 100% stacked horizontal bar per row, with a legend from the first row's parts.
std::string StackedBars(const std::string& title, const std::vector<StackedRow>& rows, int width);

struct Interval {
  std::string label;
  double value = 0, low = 0, high = 0;  // in [0, 1]
  double expected = -1;                 // < 0: none
  bool passed = true;
};
// Points with interval whiskers on a 0..1 scale, with the expected value as a tick.
std::string IntervalChart(const std::string& title, const std::vector<Interval>& rows, int width);

struct Timeline {
  std::string label;
  double pending = -1, firing = -1, resolved = -1, deadline = -1;  // seconds; < 0: none
  bool passed = true;
};
// One lane per alert over [0, end] seconds: pending then firing segments, deadline marker.
std::string TimelineChart(const std::string& title, const std::vector<Timeline>& rows, double end,
                          int width);

}  // namespace agentstorm::reports
