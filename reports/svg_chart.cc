#include "reports/svg_chart.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "reports/text_format.h"

namespace agentstorm::reports {
namespace {

constexpr const char* kAxis = "#9aa3ae";
constexpr const char* kGrid = "#e6e9ee";
constexpr const char* kText = "#3b4452";

std::string F(double v) { return absl::StrFormat("%.1f", v); }

// A "nice" axis maximum >= v and its tick step (1, 2, 2.5, 5 x 10^k).
std::pair<double, double> NiceAxis(double v) {
  if (v <= 0) return {1, 0.25};
  double raw = v / 4;
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  double step = p;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  }
  return {step * std::ceil(v / step - 1e-9), step};
}

std::string Open(const std::string& title, int width, int height) {
  return absl::StrFormat(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
      "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\"><title>%s</title>\n",
      width, height, width, height, XmlEscape(title), XmlEscape(title));
}

std::string Text(double x, double y, const std::string& text, const char* anchor = "start",
                 const char* extra = "") {
  return absl::StrFormat("<text x=\"%s\" y=\"%s\" text-anchor=\"%s\" fill=\"%s\" %s>%s</text>\n",
                         F(x), F(y), anchor, kText, extra, XmlEscape(text));
}

std::string NoData(const std::string& title, int width) {
  std::string s = Open(title, width, 60);
  absl::StrAppend(&s, Text(width / 2.0, 34, "no data", "middle", "class=\"muted\""), "</svg>\n");
  return s;
}

std::string Truncate(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 1) + "…";
}

}  // namespace

std::string LineChart(const std::string& title, const std::string& x_label,
                      const std::string& y_label, const std::vector<Series>& series, int width,
                      int height) {
  size_t n = 0;
  double top = 0;
  for (const Series& s : series) {
    n = std::max(n, s.values.size());
    for (double v : s.values) top = std::max(top, v);
  }
  if (n == 0) return NoData(title, width);
  auto [ymax, step] = NiceAxis(top);
  const double left = 56, right = 16, upper = 28, bottom = 40;
  const double pw = width - left - right, ph = height - upper - bottom;
  auto X = [&](double i) { return left + (n > 1 ? pw * i / static_cast<double>(n - 1) : pw / 2); };
  const double y_top = ymax;  // clang 14 cannot capture a structured binding
  auto Y = [&](double v) { return upper + ph * (1 - v / y_top); };
  std::string s = Open(title, width, height);
  for (double v = 0; v <= ymax + step / 2; v += step) {
    absl::StrAppend(&s, "<line x1=\"", F(left), "\" x2=\"", F(left + pw), "\" y1=\"", F(Y(v)),
                    "\" y2=\"", F(Y(v)), "\" stroke=\"", kGrid, "\"/>\n");
    absl::StrAppend(&s, Text(left - 6, Y(v) + 4, ShortNumber(v), "end"));
  }
  size_t xticks = n - 1 <= 12 ? n - 1 : 8;
  for (size_t k = 0; k <= xticks && n > 1; ++k) {
    double i = std::round(static_cast<double>(k) * static_cast<double>(n - 1) /
                          static_cast<double>(std::max<size_t>(xticks, 1)));
    absl::StrAppend(&s, Text(X(i), upper + ph + 16, ShortNumber(i), "middle"));
  }
  absl::StrAppend(&s, "<line x1=\"", F(left), "\" x2=\"", F(left + pw), "\" y1=\"", F(upper + ph),
                  "\" y2=\"", F(upper + ph), "\" stroke=\"", kAxis, "\"/>\n");
  absl::StrAppend(&s, Text(left + pw / 2, height - 6, x_label, "middle", "class=\"muted\""));
  absl::StrAppend(&s, Text(left, 16, y_label, "start", "class=\"muted\""));
  double lx = left + pw;
  for (auto it = series.rbegin(); it != series.rend(); ++it) {
    lx -= 14 + 7.0 * static_cast<double>(it->name.size()) + 16;
    absl::StrAppend(&s, "<rect x=\"", F(lx), "\" y=\"8\" width=\"12\" height=\"4\" fill=\"",
                    it->color, "\"/>", Text(lx + 16, 14, it->name));
  }
  for (const Series& ser : series) {
    if (ser.values.empty()) continue;
    std::string points;
    for (size_t i = 0; i < ser.values.size(); ++i) {
      absl::StrAppend(&points, i ? " " : "", F(X(static_cast<double>(i))), ",",
                      F(Y(ser.values[i])));
    }
    absl::StrAppend(&s, "<polyline class=\"series\" fill=\"none\" stroke=\"", ser.color,
                    "\" stroke-width=\"2\"", ser.dashed ? " stroke-dasharray=\"6 4\"" : "",
                    " points=\"", points, "\"><title>", XmlEscape(ser.name),
                    "</title></polyline>\n");
  }
  absl::StrAppend(&s, "</svg>\n");
  return s;
}

std::string ColumnChart(const std::string& title, const std::vector<Bar>& bars, int width,
                        int height) {
  if (bars.empty()) return NoData(title, width);
  double top = 0;
  for (const Bar& b : bars) top = std::max(top, b.value);
  auto [ymax, step] = NiceAxis(top);
  const double left = 56, right = 12, upper = 16, bottom = 44;
  const double pw = width - left - right, ph = height - upper - bottom;
  const double slot = pw / static_cast<double>(bars.size());
  std::string s = Open(title, width, height);
  for (double v = 0; v <= ymax + step / 2; v += step) {
    double y = upper + ph * (1 - v / ymax);
    absl::StrAppend(&s, "<line x1=\"", F(left), "\" x2=\"", F(left + pw), "\" y1=\"", F(y),
                    "\" y2=\"", F(y), "\" stroke=\"", kGrid, "\"/>\n",
                    Text(left - 6, y + 4, ShortNumber(v), "end"));
  }
  size_t label_every = std::max<size_t>(1, static_cast<size_t>(std::ceil(bars.size() * 60.0 / pw)));
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double h = ph * b.value / ymax;
    double x = left + slot * static_cast<double>(i) + slot * 0.1;
    std::string tip = b.tooltip.empty() ? b.label + ": " + ShortNumber(b.value) : b.tooltip;
    absl::StrAppend(&s, "<rect class=\"bar\" x=\"", F(x), "\" y=\"", F(upper + ph - h),
                    "\" width=\"", F(slot * 0.8), "\" height=\"", F(h), "\" rx=\"2\" fill=\"",
                    b.color.empty() ? "#4c78a8" : b.color, "\"><title>", XmlEscape(tip),
                    "</title></rect>\n");
    if (i % label_every == 0) {
      absl::StrAppend(&s, Text(x + slot * 0.4, upper + ph + 16, Truncate(b.label, 14), "middle"));
    }
  }
  absl::StrAppend(&s, "<line x1=\"", F(left), "\" x2=\"", F(left + pw), "\" y1=\"", F(upper + ph),
                  "\" y2=\"", F(upper + ph), "\" stroke=\"", kAxis, "\"/>\n</svg>\n");
  return s;
}

std::string BarChart(const std::string& title, const std::vector<Bar>& bars, int width) {
  if (bars.empty()) return NoData(title, width);
  double top = 0;
  for (const Bar& b : bars) top = std::max(top, b.value);
  const double left = 300, right = 70, row = 24;
  const double pw = width - left - right;
  const int height = static_cast<int>(row * static_cast<double>(bars.size()) + 12);
  std::string s = Open(title, width, height);
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double y = 6 + row * static_cast<double>(i);
    double w = top > 0 ? std::max(2.0, pw * b.value / top) : 2.0;
    std::string tip = b.tooltip.empty() ? b.label + ": " + ShortNumber(b.value) : b.tooltip;
    absl::StrAppend(&s, Text(left - 8, y + 15, Truncate(b.label, 44), "end", "class=\"mono\""));
    absl::StrAppend(&s, "<rect class=\"bar\" x=\"", F(left), "\" y=\"", F(y + 3), "\" width=\"",
                    F(w), "\" height=\"", F(row - 8), "\" rx=\"2\" fill=\"",
                    b.color.empty() ? "#4c78a8" : b.color, "\"><title>", XmlEscape(tip),
                    "</title></rect>\n");
    absl::StrAppend(&s, Text(left + w + 6, y + 15, Thousands(static_cast<uint64_t>(b.value))));
  }
  absl::StrAppend(&s, "</svg>\n");
  return s;
}

std::string StackedBars(const std::string& title, const std::vector<StackedRow>& rows, int width) {
  if (rows.empty()) return NoData(title, width);
  const double left = 220, right = 16, row = 30;
  const double pw = width - left - right;
  const int height = static_cast<int>(row * static_cast<double>(rows.size()) + 40);
  std::string s = Open(title, width, height);
  for (size_t i = 0; i < rows.size(); ++i) {
    const StackedRow& r = rows[i];
    double total = 0;
    for (const Bar& p : r.parts) total += p.value;
    double y = 8 + row * static_cast<double>(i);
    absl::StrAppend(&s, Text(left - 8, y + 16, Truncate(r.label, 30), "end", "class=\"mono\""));
    double x = left;
    if (total <= 0) {
      absl::StrAppend(&s, "<rect x=\"", F(left), "\" y=\"", F(y + 4), "\" width=\"", F(pw),
                      "\" height=\"", F(row - 10), "\" fill=\"", kGrid, "\"/>\n");
      continue;
    }
    for (const Bar& p : r.parts) {
      double w = pw * p.value / total;
      if (w <= 0) continue;
      std::string tip = absl::StrCat(p.label, ": ", Thousands(static_cast<uint64_t>(p.value)), " (",
                                     PercentText(p.value, total), ")");
      absl::StrAppend(&s, "<rect class=\"bar\" x=\"", F(x), "\" y=\"", F(y + 4), "\" width=\"",
                      F(w), "\" height=\"", F(row - 10), "\" fill=\"", p.color, "\"><title>",
                      XmlEscape(tip), "</title></rect>\n");
      x += w;
    }
  }
  double lx = left, ly = static_cast<double>(height) - 14;
  for (const Bar& p : rows.front().parts) {
    absl::StrAppend(&s, "<rect x=\"", F(lx), "\" y=\"", F(ly - 9),
                    "\" width=\"10\" height=\"10\" fill=\"", p.color, "\"/>",
                    Text(lx + 14, ly, p.label));
    lx += 14 + 7.5 * static_cast<double>(p.label.size()) + 18;
  }
  absl::StrAppend(&s, "</svg>\n");
  return s;
}

std::string IntervalChart(const std::string& title, const std::vector<Interval>& rows, int width) {
  if (rows.empty()) return NoData(title, width);
  const double left = 220, right = 24, row = 30;
  const double pw = width - left - right;
  const int height = static_cast<int>(row * static_cast<double>(rows.size()) + 34);
  auto X = [&](double v) { return left + pw * std::clamp(v, 0.0, 1.0); };
  std::string s = Open(title, width, height);
  for (double v = 0; v <= 1.0001; v += 0.25) {
    absl::StrAppend(&s, "<line x1=\"", F(X(v)), "\" x2=\"", F(X(v)), "\" y1=\"4\" y2=\"",
                    F(height - 24), "\" stroke=\"", kGrid, "\"/>\n",
                    Text(X(v), height - 8, ShortNumber(v), "middle"));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const Interval& r = rows[i];
    double y = 8 + row * static_cast<double>(i) + 10;
    const char* color = r.passed ? "#2e7d32" : "#c62828";
    absl::StrAppend(&s, Text(left - 8, y + 4, Truncate(r.label, 30), "end", "class=\"mono\""));
    absl::StrAppend(&s, "<line x1=\"", F(X(r.low)), "\" x2=\"", F(X(r.high)), "\" y1=\"", F(y),
                    "\" y2=\"", F(y), "\" stroke=\"", color, "\" stroke-width=\"3\"/>\n");
    for (double v : {r.low, r.high}) {
      absl::StrAppend(&s, "<line x1=\"", F(X(v)), "\" x2=\"", F(X(v)), "\" y1=\"", F(y - 6),
                      "\" y2=\"", F(y + 6), "\" stroke=\"", color, "\" stroke-width=\"2\"/>\n");
    }
    absl::StrAppend(
        &s, "<circle cx=\"", F(X(r.value)), "\" cy=\"", F(y), "\" r=\"5\" fill=\"", color,
        "\"><title>",
        XmlEscape(absl::StrCat(r.label, ": observed ", ShortNumber(r.value), ", interval [",
                               ShortNumber(r.low), ", ", ShortNumber(r.high), "]")),
        "</title></circle>\n");
    if (r.expected >= 0) {
      absl::StrAppend(&s, "<path d=\"M", F(X(r.expected)), " ", F(y - 10),
                      " l-5 -6 h10 z\" fill=\"", kText, "\"><title>expected ",
                      ShortNumber(r.expected), "</title></path>\n");
    }
  }
  absl::StrAppend(&s, "</svg>\n");
  return s;
}

std::string TimelineChart(const std::string& title, const std::vector<Timeline>& rows, double end,
                          int width) {
  if (rows.empty()) return NoData(title, width);
  for (const Timeline& r : rows) {
    for (double v : {r.pending, r.firing, r.resolved, r.deadline}) end = std::max(end, v);
  }
  if (end <= 0) end = 1;
  auto [xmax, step] = NiceAxis(end);
  const double left = 220, right = 24, row = 30;
  const double pw = width - left - right;
  const int height = static_cast<int>(row * static_cast<double>(rows.size()) + 34);
  const double x_end = xmax;  // clang 14 cannot capture a structured binding
  auto X = [&](double v) { return left + pw * v / x_end; };
  std::string s = Open(title, width, height);
  for (double v = 0; v <= xmax + step / 2; v += step) {
    absl::StrAppend(&s, "<line x1=\"", F(X(v)), "\" x2=\"", F(X(v)), "\" y1=\"4\" y2=\"",
                    F(height - 24), "\" stroke=\"", kGrid, "\"/>\n",
                    Text(X(v), height - 8, ShortNumber(v) + "s", "middle"));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const Timeline& r = rows[i];
    double y = 8 + row * static_cast<double>(i);
    absl::StrAppend(&s, Text(left - 8, y + 15, Truncate(r.label, 30), "end", "class=\"mono\""));
    absl::StrAppend(&s, "<rect x=\"", F(left), "\" y=\"", F(y + 6), "\" width=\"", F(pw),
                    "\" height=\"12\" fill=\"#f4f6f8\"/>\n");
    double firing_end = r.resolved >= 0 ? r.resolved : xmax;
    if (r.pending >= 0) {
      double pend_end = r.firing >= 0 ? r.firing : firing_end;
      absl::StrAppend(&s, "<rect x=\"", F(X(r.pending)), "\" y=\"", F(y + 6), "\" width=\"",
                      F(std::max(1.0, X(pend_end) - X(r.pending))),
                      "\" height=\"12\" fill=\"#f0b429\"><title>pending from ",
                      ShortNumber(r.pending), "s</title></rect>\n");
    }
    if (r.firing >= 0) {
      absl::StrAppend(&s, "<rect x=\"", F(X(r.firing)), "\" y=\"", F(y + 6), "\" width=\"",
                      F(std::max(1.0, X(firing_end) - X(r.firing))),
                      "\" height=\"12\" fill=\"#d64545\"><title>firing from ",
                      ShortNumber(r.firing), "s</title></rect>\n");
    }
    if (r.deadline >= 0) {
      absl::StrAppend(&s, "<line x1=\"", F(X(r.deadline)), "\" x2=\"", F(X(r.deadline)), "\" y1=\"",
                      F(y + 2), "\" y2=\"", F(y + 22),
                      "\" stroke=\"#1f2933\" stroke-width=\"2\" stroke-dasharray=\"3 2\"><title>"
                      "deadline ",
                      ShortNumber(r.deadline), "s</title></line>\n");
    }
  }
  absl::StrAppend(&s, "</svg>\n");
  return s;
}

}  // namespace agentstorm::reports
