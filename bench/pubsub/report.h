// Turns per-client counters into the run summary (rates, losses, latency
// percentiles, the tool's own CPU) and prints it as text, JSON or CSV. Shared
// by pubsub and natsload, so tools/bench-compare reads both the same way.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "bench/client/histogram.h"
#include "bench/pubsub/load_cpu.h"
#include "bench/pubsub/options.h"
#include "bench/pubsub/stats.h"

namespace ringnats::bench {

struct Side {
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  double secs = 0;
  double msgs_per_sec() const { return secs > 0 ? static_cast<double>(msgs) / secs : 0; }
  double mb_per_sec() const { return secs > 0 ? static_cast<double>(bytes) / secs / 1e6 : 0; }
};

struct Summary {
  Side pub;        // publishers, or requesters in reqrep
  Side sub;        // subscribers, or repliers in reqrep
  uint64_t expected = 0;
  uint64_t lost = 0;
  uint64_t extra = 0;
  Histogram latency;
  int failed_clients = 0;
  std::string first_error;
  LoadCpu load;    // the tool's own CPU from go to the end of the drain (set by the caller)
};

Summary summarize(const Options& o, std::deque<ClientStats>& clients, uint64_t start_ns,
                  const std::deque<uint64_t>& expected_per_sub);
void print_text(const Options& o, const std::deque<ClientStats>& clients, const Summary& s, uint64_t start_ns);
void print_json(const Options& o, const std::deque<ClientStats>& clients, const Summary& s, uint64_t start_ns);
void print_csv(const Options& o, const Summary& s);

}  // namespace ringnats::bench
