// Command line of the `natsload` load tool: bench/pubsub's scenarios and
// flags (it fills pubsub's Options, so both print the same report), plus the
// few settings that only a libnats client has.
#pragma once

#include <cstdint>

#include "bench/pubsub/options.h"

namespace ringnats::bench {

struct NatsOnly {
  bool lazy_reply = false;   // repliers leave replies to libnats' flusher thread
  double request_timeout_s = 10;
};

// Returns 0 on success, 1 after printing help or the version, 2 on a usage error (printed).
int parse_natsload_options(int argc, char** argv, Options& o, NatsOnly& n);

}  // namespace ringnats::bench
