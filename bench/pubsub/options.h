// Command line of the `pubsub` load generator: modes, sizes, counts, rates,
// and how results are printed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/client/net.h"
#include "bench/pubsub/args.h"

namespace ringnats::bench {

enum class Mode { Pub, Sub, PubSub, Fanout, Fanin, Queue, ReqRep, JsPub, JsFetch };

struct Options {
  std::string prog = "pubsub";   // the tool's name in text output
  Mode mode = Mode::PubSub;
  std::string mode_name = "pubsub";
  std::vector<ServerUrl> servers;
  std::string servers_text = "nats://127.0.0.1:4222";
  std::vector<std::string> subjects{"bench"};
  uint64_t msgs = 100000;        // total published (split over publishers); per subscriber in sub mode
  double duration_s = 0;         // > 0: run for this long instead of a count
  size_t size = 128;
  int pubs = -1;                 // -1: mode default
  int subs = -1;
  int clients = 4;               // N for fanout/fanin/queue
  int requesters = 1;            // reqrep concurrency
  int repliers = 1;
  uint64_t rate = 0;             // msgs/s per publisher, 0 = unlimited
  int threads = 1;
  std::string queue = "bench-q";
  double wait_s = 10;            // bound on the subscriber drain after publishers finish
  double connect_timeout_s = 10;
  size_t batch = 64 * 1024;      // publisher bytes queued per flush
  bool json = false;
  bool csv = false;
  int progress = -1;             // -1: when stderr is a tty
  bool quiet = false;            // no per-client lines in text output
  bool latency = true;           // embed send timestamps when size >= 8
  // JetStream modes
  std::string js_stream = "BENCH";
  std::string js_storage = "file";
  std::string js_durable = "bench-pull";
  uint64_t js_window = 256;      // jspub: acks outstanding per publisher
  uint64_t js_fetch_batch = 256; // jsfetch: messages per pull request
  bool js() const { return mode == Mode::JsPub || mode == Mode::JsFetch; }
};

// Returns 0 on success, 1 after printing help or the version, 2 on a usage error (printed).
int parse_options(int argc, char** argv, Options& o);

}  // namespace ringnats::bench
