#include "generator/scheduler.h"

#include <cmath>
#include <limits>

namespace agentstorm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Tolerance for "at the end": an arrival exactly at the end of the run belongs to the next run.
constexpr double kEpsilonSeconds = 1e-9;

double Area(double r0, double r1, double duration) { return 0.5 * (r0 + r1) * duration; }

}  // namespace

Scheduler::Scheduler(const LoadProfile& profile, const SchedulerOptions& options)
    : profile_(profile),
      options_(options),
      gaps_(CounterRng(options.seed).Fork("scheduler.arrivals")) {
  double start = 0, count = 0;
  for (size_t i = 0; i < profile_.phases.size(); ++i) {
    const RatePhase& p = profile_.phases[i];
    const double scale = p.unit == RateUnit::kSpansPerSecond && options_.mean_spans_per_trace > 0
                             ? 1.0 / options_.mean_spans_per_trace
                             : 1.0;
    Segment s;
    s.start = start;
    s.duration = std::max(0.0, p.duration_seconds);
    s.r0 = std::max(0.0, p.start_rate * scale);
    s.r1 = std::max(0.0, p.end_rate * scale);
    s.count_before = count;
    s.poisson = p.arrivals == ArrivalProcess::kPoisson;
    s.phase = static_cast<int>(i);
    if (s.duration > 0) segments_.push_back(s);
    start += s.duration;
    count += Area(s.r0, s.r1, s.duration);
    if (i + 1 == profile_.phases.size()) {
      Segment hold = s;
      hold.start = start;
      hold.duration = kInf;
      hold.r0 = hold.r1 = s.r1;
      hold.count_before = count;
      segments_.push_back(hold);
    }
  }
  if (options_.max_seconds > 0) {
    end_seconds_ = options_.max_seconds;
  } else {
    end_seconds_ = options_.max_traces == 0 ? start : kInf;
  }
}

int Scheduler::SegmentAt(double x) const {
  for (int i = segment_; i < static_cast<int>(segments_.size()); ++i) {
    const Segment& s = segments_[i];
    if (std::isinf(s.duration)) return s.r0 > 0 ? i : -1;
    if (x < s.count_before + Area(s.r0, s.r1, s.duration)) return i;
  }
  return -1;
}

double Scheduler::TimeOf(int segment, double x) const {
  const Segment& s = segments_[segment];
  const double local = x - s.count_before;
  if (local <= 0) return s.start;
  if (std::isinf(s.duration) || std::abs(s.r1 - s.r0) < 1e-12) return s.start + local / s.r0;
  // Solve r0*τ + a*τ² = local with a = (r1 - r0) / (2 * duration); this form avoids the
  // cancellation of (-r0 + sqrt(...)) / 2a.
  const double a = (s.r1 - s.r0) / (2 * s.duration);
  const double disc = std::max(0.0, s.r0 * s.r0 + 4 * a * local);
  return s.start + 2 * local / (s.r0 + std::sqrt(disc));
}

int Scheduler::PhaseAtTime(double seconds) const {
  if (segments_.empty()) return profile_.phases.empty() ? -1 : 0;
  for (const Segment& s : segments_)
    if (seconds < s.start + s.duration) return s.phase;
  return segments_.back().phase;
}

std::optional<Arrival> Scheduler::Next(std::chrono::nanoseconds now) {
  for (;;) {
    if (options_.max_traces > 0 && next_global_ >= options_.max_traces) return std::nullopt;
    Arrival a;
    if (profile_.max_rate) {
      const double t = std::chrono::duration<double>(now).count();
      if (t >= end_seconds_ - kEpsilonSeconds && end_seconds_ > 0) return std::nullopt;
      a.index = next_global_++;
      a.offset = now;
      a.phase = PhaseAtTime(t);
    } else {
      const int seg = SegmentAt(x_);
      if (seg < 0) return std::nullopt;
      segment_ = seg;
      const double t = TimeOf(seg, x_);
      if (t >= end_seconds_ - kEpsilonSeconds) return std::nullopt;
      a.index = next_global_++;
      a.offset = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(t * 1e9)));
      a.phase = segments_[seg].phase;
      if (segments_[seg].poisson) {
        const double u = static_cast<double>(gaps_.At(a.index) >> 11) * 0x1.0p-53;
        x_ += -std::log1p(-u);
      } else {
        x_ += 1;
      }
    }
    if (options_.shard.Owns(a.index)) return a;
  }
}

double Scheduler::RateAt(double seconds) const {
  if (profile_.max_rate) return 0;
  for (const Segment& s : segments_) {
    if (seconds < s.start + s.duration) {
      if (std::isinf(s.duration)) return s.r0;
      return s.r0 + (s.r1 - s.r0) * (seconds - s.start) / s.duration;
    }
  }
  return 0;
}

double Scheduler::IntendedCount(double seconds) const {
  if (profile_.max_rate) return 0;
  for (const Segment& s : segments_) {
    if (seconds < s.start + s.duration) {
      const double tau = std::max(0.0, seconds - s.start);
      if (std::isinf(s.duration)) return s.count_before + s.r0 * tau;
      return s.count_before + s.r0 * tau + (s.r1 - s.r0) * tau * tau / (2 * s.duration);
    }
  }
  return segments_.empty() ? 0 : segments_.back().count_before;
}

}  // namespace agentstorm
