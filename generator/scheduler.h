// The scheduler owns the clock (wrk2-style): it says when each trace *should* be sent, so a slow
// endpoint shows up as lateness measured from that intended time, never as a lower rate.
//
// Arrivals follow the LoadProfile: the cumulative intended count Λ(t) = ∫ rate is integrated
// piecewise (constant phases and linear ramps), and arrival k happens where Λ reaches x_k, with
// x_{k+1} = x_k + 1 for constant spacing or x_k + Exp(1) for Poisson arrivals (a time-changed unit
// Poisson process; the exponential gaps come from a counter-based RNG keyed by the seed, so the
// schedule is deterministic). After the last phase the last end rate continues (used when a trace
// count, not a duration, ends the run).
//
// The schedule is global: shard i of N yields only the global indices it owns (ShardSpec::Owns),
// at their global intended times, so N shards together send exactly the unsharded run and
// `--rate` is the rate of the whole run.
//
// `max` profiles are closed loop: the intended time of an arrival is the moment it is asked for
// (the caller passes "now"), the caller bounds the pace by its in-flight capacity.
//
// Not thread-safe: callers serialize Next().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/rng.h"
#include "core/shard.h"
#include "scenario/load_profile.h"

namespace agentstorm {

struct SchedulerOptions {
  // Converts spans/s phases into traces/s. REQUIRES: > 0 when a phase uses spans/s.
  double mean_spans_per_trace = 1;
  uint64_t seed = 0;
  ShardSpec shard;
  // The run ends after this many global traces (0 = no limit) ...
  uint64_t max_traces = 0;
  // ... or when intended times pass this (<= 0: the profile's length when max_traces == 0,
  // unbounded otherwise).
  double max_seconds = 0;
};

struct Arrival {
  uint64_t index = 0;                  // global trace index
  std::chrono::nanoseconds offset{0};  // intended send time, from the run's start
  int phase = -1;                      // index into profile.phases (-1 when there are none)
};

class Scheduler {
 public:
  Scheduler(const LoadProfile& profile, const SchedulerOptions& options);

  // The next arrival of this shard, or nullopt once the run's schedule is complete.
  // `now` (elapsed since the start) is only used by closed-loop (`max`) profiles.
  std::optional<Arrival> Next(std::chrono::nanoseconds now = std::chrono::nanoseconds{0});

  // Seconds at which the schedule ends (+inf when only a trace count bounds it).
  double end_seconds() const { return end_seconds_; }
  bool closed_loop() const { return profile_.max_rate; }
  // Traces per second intended at `seconds` from the start (0 for closed loop).
  double RateAt(double seconds) const;
  // Intended traces in [0, seconds] (the integral of RateAt), for "intended rate" reports.
  double IntendedCount(double seconds) const;

 private:
  struct Segment {
    double start = 0, duration = 0;  // seconds; duration +inf for the hold after the last phase
    double r0 = 0, r1 = 0;           // traces/s at the segment's start and end
    double count_before = 0;         // Λ at the segment's start
    bool poisson = false;
    int phase = -1;
  };
  int SegmentAt(double x) const;  // the segment in which Λ reaches x (-1: never)
  int PhaseAtTime(double seconds) const;
  double TimeOf(int segment, double x) const;

  LoadProfile profile_;
  SchedulerOptions options_;
  std::vector<Segment> segments_;
  double end_seconds_ = 0;
  CounterRng gaps_;
  uint64_t next_global_ = 0;
  double x_ = 0;     // Λ target of arrival next_global_
  int segment_ = 0;  // hint: segment of the previous arrival (x only grows)
};

}  // namespace agentstorm
