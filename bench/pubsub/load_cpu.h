// The load generator's own CPU over the measured window: getrusage of the
// whole process (every thread, including a client library's), divided by the
// wall time and by the CPUs the process may run on. A utilisation of 0.9 or
// more means the tool, not the server, was probably the limit.
#pragma once

#include <sched.h>
#include <sys/resource.h>

#include <cstdint>

#include "bench/client/net.h"

namespace ringnats::bench {

struct CpuMark {
  double user_s = 0;
  double sys_s = 0;
  uint64_t wall_ns = 0;
};

inline CpuMark cpu_mark() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return {secs(ru.ru_utime), secs(ru.ru_stime), now_ns()};
}

struct LoadCpu {
  static constexpr double kSaturated = 0.9;
  double user_s = 0;
  double sys_s = 0;
  double wall_s = 0;
  int cpus = 0;  // CPUs in the process's affinity mask
  double util() const { return wall_s > 0 && cpus > 0 ? (user_s + sys_s) / wall_s / cpus : 0; }
  bool saturated() const { return util() >= kSaturated; }
};

inline LoadCpu cpu_between(const CpuMark& a, const CpuMark& b) {
  LoadCpu l;
  l.user_s = b.user_s - a.user_s;
  l.sys_s = b.sys_s - a.sys_s;
  l.wall_s = b.wall_ns > a.wall_ns ? static_cast<double>(b.wall_ns - a.wall_ns) / 1e9 : 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  l.cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  return l;
}

}  // namespace ringnats::bench
