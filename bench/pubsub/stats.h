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
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "bench/client/histogram.h"
#include "bench/pubsub/options.h"

namespace ringnats::bench {

struct Shared {
  const Options* opt = nullptr;
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> start_ns{0};
  std::atomic<uint64_t> deadline_ns{0};  // 0: count mode
  std::atomic<bool> js_ready{false};     // JetStream modes: client 0 made the stream or consumer
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

// Latency samples further apart than this are not our timestamps (e.g. a
// foreign publisher in `sub` mode) and are ignored.
constexpr uint64_t kMaxPlausibleNs = 3600ull * 1000000000ull;

// A publisher's send time at the start of the payload, read back by the
// subscriber for one-way latency.
inline void stamp(char* p, uint64_t t) { std::memcpy(p, &t, sizeof t); }
inline uint64_t unstamp(const char* p) {
  uint64_t t;
  std::memcpy(&t, p, sizeof t);
  return t;
}
inline void store_relaxed(std::atomic<uint64_t>& a, uint64_t v) { a.store(v, std::memory_order_relaxed); }

inline std::vector<char> make_payload(size_t n) {
  std::vector<char> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>('a' + i % 26);
  return p;
}

// Once the publishers are done: what each subscriber should receive (the
// messages published on its subject), in subscriber order.
inline std::deque<uint64_t> expected_per_subscriber(std::deque<ClientStats>& clients) {
  std::deque<uint64_t> expected;
  for (ClientStats& s : clients) {
    if (s.role != Role::Sub) continue;
    uint64_t e = 0;
    for (ClientStats& p : clients)
      if (p.role == Role::Pub && p.subject == s.subject) e += p.msgs.load();
    expected.push_back(e);
  }
  return expected;
}

// Whether every subscriber got what it should (a queue group: all of them
// together), or gave up.
inline bool subscribers_satisfied(Mode mode, std::deque<ClientStats>& clients, const std::deque<uint64_t>& expected) {
  if (mode == Mode::Queue) {
    uint64_t got = 0;
    for (ClientStats& c : clients)
      if (c.role == Role::Sub) got += c.msgs.load();
    return expected.empty() || got >= expected.front();
  }
  size_t k = 0;
  for (ClientStats& c : clients) {
    if (c.role != Role::Sub) continue;
    if (!c.failed.load() && c.msgs.load() < expected[k]) return false;
    ++k;
  }
  return true;
}

}  // namespace ringnats::bench
