// What a load-generator run shares between its clients and its main thread:
// the go/stop flags (Shared) and one ClientStats per connection. Used by
// pubsub's io_uring roles and by natsload's libnats clients, so both feed the
// same report (report.h).
//
// Concurrency: each client's counters are written by one owner (pubsub: its
// loop thread; natsload: its application or delivery thread); the ones the
// main thread polls (msgs, bytes, ready, done, failed) are atomics written
// with relaxed stores. The main thread flips Shared::go once every client is
// ready and Shared::stop at the end; histograms, timestamps and error text
// are read only after the client threads have ended.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "bench/client/histogram.h"
#include "bench/pubsub/options.h"

namespace ringnats::bench {

struct Shared {
  const Options* opt = nullptr;
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> start_ns{0};
  std::atomic<uint64_t> deadline_ns{0};  // 0: count mode
};

enum class Role { Pub, Sub, Req, Rep };

inline const char* role_name(Role r) {
  switch (r) {
    case Role::Pub: return "pub";
    case Role::Sub: return "sub";
    case Role::Req: return "req";
    case Role::Rep: return "rep";
  }
  return "?";
}

struct ClientStats {
  Role role = Role::Pub;
  int id = 0;
  std::string subject;
  std::string server;
  uint64_t target = 0;            // publishers/requesters: messages to send (count mode)
  std::atomic<uint64_t> msgs{0};  // sent (pub/req) or received (sub/rep)
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> ready{false};
  std::atomic<bool> done{false};  // pub/req: finished and flushed
  std::atomic<bool> failed{false};
  uint64_t first_ns = 0;
  uint64_t last_ns = 0;
  Histogram hist;
  std::string error;
};

}  // namespace ringnats::bench
