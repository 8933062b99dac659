#include "scenario/rate_parser.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "scenario/units.h"

namespace agentstorm {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return std::string(s);
}

absl::Status Bad(std::string_view part, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrFormat("bad --rate \"%s\": %s", std::string(part), std::string(why)));
}

// Splits `s` at the first occurrence of `word`; false when absent.
bool SplitAt(const std::string& s, std::string_view word, std::string* left, std::string* right) {
  const size_t at = s.find(word);
  if (at == std::string::npos) return false;
  *left = Trim(std::string_view(s).substr(0, at));
  *right = Trim(std::string_view(s).substr(at + word.size()));
  return true;
}

bool MentionsSpans(const std::string& s) { return s.find("span") != std::string::npos; }
bool MentionsTraces(const std::string& s) { return s.find("trace") != std::string::npos; }

absl::StatusOr<Rate> ParseOneRate(const std::string& text) {
  auto r = ParseRate(text);
  if (!r.ok()) return Bad(text, std::string(r.status().message()));
  if (r->max) return Bad(text, "\"max\" cannot be combined with other segments");
  if (!std::isfinite(r->per_second)) return Bad(text, "rate is not finite");
  return *r;
}

absl::StatusOr<double> ParseSeconds(const std::string& text, const std::string& whole) {
  auto d = ParseDurationSeconds(text);
  if (!d.ok()) return Bad(whole, std::string(d.status().message()));
  return *d;
}

// One comma-separated segment. `open` is set when it has no duration (a constant step without
// "for"), which only the last segment may be.
absl::StatusOr<RatePhase> ParseSegment(const std::string& seg, bool* open) {
  RatePhase phase;
  std::string from, rest;
  *open = false;
  if (SplitAt(seg, "->", &from, &rest)) {
    std::string to, over;
    if (!SplitAt(rest, " over ", &to, &over) && !SplitAt(rest, "over", &to, &over))
      return Bad(seg, "a ramp needs \"over DURATION\", e.g. \"0 -> 5000/s over 30s\"");
    auto a = ParseOneRate(from);
    if (!a.ok()) return a.status();
    auto b = ParseOneRate(to);
    if (!b.ok()) return b.status();
    if ((MentionsSpans(from) && MentionsTraces(to)) || (MentionsTraces(from) && MentionsSpans(to)))
      return Bad(seg, "a ramp cannot mix traces/s and spans/s");
    phase.unit = (MentionsSpans(from) || MentionsSpans(to)) ? RateUnit::kSpansPerSecond
                                                            : RateUnit::kTracesPerSecond;
    phase.start_rate = a->per_second;
    phase.end_rate = b->per_second;
    auto d = ParseSeconds(over, seg);
    if (!d.ok()) return d.status();
    if (*d <= 0) return Bad(seg, "a ramp needs a positive duration");
    phase.duration_seconds = *d;
    return phase;
  }
  std::string rate_text = seg, for_text;
  if (SplitAt(seg, " for ", &rate_text, &for_text)) {
    auto d = ParseSeconds(for_text, seg);
    if (!d.ok()) return d.status();
    if (*d <= 0) return Bad(seg, "a step needs a positive duration");
    phase.duration_seconds = *d;
  } else {
    *open = true;
  }
  auto r = ParseOneRate(rate_text);
  if (!r.ok()) return r.status();
  phase.unit = r->unit;
  phase.start_rate = phase.end_rate = r->per_second;
  return phase;
}

// "B with burst X for D every P" -> repeated [B for P-D, X for D] covering `seconds`.
absl::StatusOr<std::vector<RatePhase>> ParseBurst(const std::string& text, double seconds) {
  std::string base_text, rest, burst_text, tail, dur_text, every_text;
  SplitAt(text, "with burst", &base_text, &rest);
  if (!SplitAt(rest, " for ", &burst_text, &tail) ||
      !SplitAt(tail, "every", &dur_text, &every_text))
    return Bad(text, "want \"RATE with burst RATE for DURATION every DURATION\"");
  auto base = ParseOneRate(base_text);
  if (!base.ok()) return base.status();
  auto burst = ParseOneRate(burst_text);
  if (!burst.ok()) return burst.status();
  if (base->unit != burst->unit) return Bad(text, "base and burst rates must use the same unit");
  auto burst_seconds = ParseSeconds(dur_text, text);
  if (!burst_seconds.ok()) return burst_seconds.status();
  auto period = ParseSeconds(every_text, text);
  if (!period.ok()) return period.status();
  if (*burst_seconds <= 0 || *period <= *burst_seconds)
    return Bad(text, "the burst must be shorter than its period and longer than zero");
  if (seconds <= 0) return Bad(text, "a burst profile needs --duration");
  std::vector<RatePhase> phases;
  for (double t = 0; t < seconds;) {
    RatePhase normal;
    normal.duration_seconds = *period - *burst_seconds;
    normal.start_rate = normal.end_rate = base->per_second;
    normal.unit = base->unit;
    RatePhase peak = normal;
    peak.name = "burst";
    peak.duration_seconds = *burst_seconds;
    peak.start_rate = peak.end_rate = burst->per_second;
    phases.push_back(normal);
    phases.push_back(peak);
    t += *period;
  }
  return phases;
}

std::string FormatRate(double v) { return absl::StrFormat("%g", v); }

}  // namespace

double ProfileSeconds(const LoadProfile& profile) {
  double total = 0;
  for (const RatePhase& p : profile.phases) total += p.duration_seconds;
  return total;
}

void FitProfileToDuration(LoadProfile* profile, double seconds) {
  auto& phases = profile->phases;
  double t = 0;
  for (size_t i = 0; i < phases.size(); ++i) {
    RatePhase& p = phases[i];
    if (t + p.duration_seconds >= seconds) {
      const double keep = seconds - t;
      if (p.duration_seconds > 0)
        p.end_rate = p.start_rate + (p.end_rate - p.start_rate) * keep / p.duration_seconds;
      p.duration_seconds = keep;
      phases.resize(i + 1);
      if (keep <= 0 && phases.size() > 1) phases.pop_back();
      return;
    }
    t += p.duration_seconds;
  }
  if (phases.empty()) return;
  RatePhase& last = phases.back();
  if (last.start_rate == last.end_rate || last.duration_seconds <= 0) {
    last.duration_seconds += seconds - t;
  } else {
    RatePhase hold = last;
    hold.name = last.name;
    hold.start_rate = last.end_rate;
    hold.duration_seconds = seconds - t;
    phases.push_back(hold);
  }
}

absl::StatusOr<LoadProfile> ParseLoadProfile(std::string_view rate, double duration_seconds,
                                             uint64_t traces) {
  std::string text = absl::AsciiStrToLower(Trim(rate));
  LoadProfile profile;
  if (text.empty()) return Bad(rate, "empty");
  const bool bounded_by_flags = duration_seconds > 0 || traces > 0;
  if (text == "max") {
    if (!bounded_by_flags) return Bad(rate, "--rate max needs --duration or --traces");
    profile.max_rate = true;
    RatePhase all;
    all.duration_seconds = duration_seconds > 0 ? duration_seconds : 0;
    profile.phases.push_back(all);
    return profile;
  }
  ArrivalProcess arrivals = ArrivalProcess::kConstant;
  if (text.rfind("poisson:", 0) == 0) {
    arrivals = ArrivalProcess::kPoisson;
    text = Trim(std::string_view(text).substr(8));
  }
  bool last_open = false;
  if (text.find("with burst") != std::string::npos) {
    if (text.find(',') != std::string::npos)
      return Bad(rate, "a burst profile cannot be combined with steps");
    auto phases = ParseBurst(text, duration_seconds);
    if (!phases.ok()) return phases.status();
    profile.phases = std::move(*phases);
  } else {
    std::vector<std::string> segments;
    size_t start = 0;
    for (size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
      segments.push_back(Trim(std::string_view(text).substr(start, comma - start)));
    segments.push_back(Trim(std::string_view(text).substr(start)));
    for (size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].empty()) return Bad(rate, "empty segment");
      bool open = false;
      auto phase = ParseSegment(segments[i], &open);
      if (!phase.ok()) return phase.status();
      if (open && i + 1 < segments.size())
        return Bad(segments[i], "every step but the last needs \"for DURATION\"");
      last_open = open;
      profile.phases.push_back(*phase);
    }
  }
  bool any_positive = false;
  for (RatePhase& p : profile.phases) {
    p.arrivals = arrivals;
    any_positive |= p.start_rate > 0 || p.end_rate > 0;
  }
  if (!any_positive) return Bad(rate, "the rate is zero throughout");
  if (duration_seconds > 0) {
    FitProfileToDuration(&profile, duration_seconds);
  } else if (traces == 0 && last_open) {
    return Bad(rate, "give --duration or --traces (or \"for DURATION\" on the last step)");
  }
  if (profile.phases.back().end_rate <= 0 && traces > 0 && duration_seconds <= 0)
    return Bad(rate,
               "the profile ends at rate 0, so --traces could never be reached; add --duration");
  return profile;
}

std::string DescribeLoadProfile(const LoadProfile& profile) {
  if (profile.max_rate) {
    const double s = ProfileSeconds(profile);
    return s > 0 ? absl::StrFormat("max for %gs", s) : "max";
  }
  std::string out;
  for (const RatePhase& p : profile.phases) {
    if (!out.empty()) out += ", ";
    if (!p.name.empty()) out += p.name + ": ";
    const char* unit = p.unit == RateUnit::kSpansPerSecond ? " spans/s" : " traces/s";
    if (p.start_rate == p.end_rate) {
      out += FormatRate(p.start_rate) + unit;
      if (p.duration_seconds > 0) out += absl::StrFormat(" for %gs", p.duration_seconds);
    } else {
      out += FormatRate(p.start_rate) + " -> " + FormatRate(p.end_rate) + unit +
             absl::StrFormat(" over %gs", p.duration_seconds);
    }
  }
  if (!profile.phases.empty() && profile.phases.front().arrivals == ArrivalProcess::kPoisson)
    out += " (poisson)";
  return out;
}

}  // namespace agentstorm
