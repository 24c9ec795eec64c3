// The monotonic clock every shard and timer uses, in nanoseconds, and the
// wall clock for what monitoring reports as a date.
#pragma once

#include <time.h>

#include <cstdint>

namespace ringnats {

inline int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline int64_t wall_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A monotonic instant as wall-clock time (for monitoring only).
inline int64_t mono_to_wall_ns(int64_t mono) { return wall_ns() - (mono_ns() - mono); }

}  // namespace ringnats
