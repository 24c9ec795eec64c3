// The ring of recently closed client connections that /connz?state=closed
// shows, as nats-server keeps it (10000 by default, oldest dropped first).
// Shards call record() once per close; HTTP threads call snapshot(). A mutex
// guards it: it is touched per connection close, never per message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "monitor/snapshot.h"

namespace ringnats::monitor {

class ClosedRing {
 public:
  static constexpr size_t kDefaultSize = 10000;  // nats' DEFAULT_MAX_CLOSED_CLIENTS

  explicit ClosedRing(size_t capacity = kDefaultSize);

  // Keeps `c` (stop_ns and reason set by the caller), dropping the oldest
  // when full. Any thread.
  void record(ConnSnapshot c);

  // The kept connections, oldest first. Any thread.
  std::vector<ConnSnapshot> snapshot() const;

  size_t size() const;
  uint64_t total() const;   // recorded since start, dropped ones included
  size_t capacity() const { return cap_; }

 private:
  const size_t cap_;
  mutable std::mutex mu_;
  std::vector<ConnSnapshot> slots_;  // grows to cap_, then wraps
  uint64_t total_ = 0;
};

}  // namespace ringnats::monitor
