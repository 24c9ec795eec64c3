// The monotonic clock every shard and timer uses, in nanoseconds.
#pragma once

#include <time.h>

#include <cstdint>

namespace ringnats {

inline int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace ringnats
