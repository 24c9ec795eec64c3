// A shard's links to its peers: the outbound side of the SPSC ring to each
// (the open batch block messages are formatted into, the in-order spill
// behind a full ring, the bytes its records in flight pin) and the inbound side (draining, freeing room). One FIFO per
// ordered pair of shards carries every record, so per-publisher order holds.
// Only the owning shard's thread calls these.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/rec.h"
#include "core/spsc.h"

namespace ringnats {

class Server;
class Reactor;

// Frees what a record owns (a batch block handed over, a payload reference,
// a control object, an accepted fd) when it will never be handled: records
// left in rings and spills at teardown.
void release_rec(Rec& r);

class ShardLinks {
 public:
  // Spilled bytes, and bytes pinned by records in flight, past which the
  // shard stops reading its publishers.
  static constexpr size_t kSpillCap = 8u << 20;
  static constexpr size_t kInflightCap = 16u << 20;
  static constexpr size_t kBatchSize = 64 * 1024;

  ShardLinks(Server& srv, int id);
  ~ShardLinks();
  ShardLinks(const ShardLinks&) = delete;
  ShardLinks& operator=(const ShardLinks&) = delete;

  // --- producing ---
  // Queue a record for `dst` (spills in order when the ring is full).
  void push(int dst, const Rec& r);
  // The open batch for `dst` with at least `need` bytes of room.
  Block* batch_for(int dst, size_t need);
  // A record for `dst` references `n` payload bytes outside its batch.
  void charge(int dst, size_t n);
  // Past a cap: stop reading publishers. Below half of both: resume them.
  bool over_caps() const { return spill_bytes_ > spill_cap_ || inflight_bytes_ > inflight_cap_; }
  bool below_half_caps() const {
    return spill_bytes_ < spill_cap_ / 2 && inflight_bytes_ < inflight_cap_ / 2;
  }
  // What is in flight to a subscriber's shard is not yet counted against
  // it, so with a small max_pending the caps shrink (a quarter of it in
  // flight, an eighth spilled) to fit between the stall point, half of it,
  // and the slow-consumer cut.
  void set_caps(size_t max_pending) {
    inflight_cap_ = std::clamp(max_pending / 4, 4 * kBatchSize, kInflightCap);
    spill_cap_ = std::clamp(max_pending / 8, 2 * kBatchSize, kSpillCap);
  }
  size_t spill_bytes() const { return spill_bytes_; }
  size_t inflight_bytes() const { return inflight_bytes_; }
  // Re-reads what peers released (once per turn).
  void refresh_inflight();
  // Close open batches, move spill into rings, publish, wake sleeping peers.
  void publish(Reactor& self);

  // --- consuming ---
  // f(rec, src) for every record from every peer, in FIFO order per peer;
  // producers waiting for room are woken.
  template <class F>
  void drain(Reactor& self, F&& f);
  // Records from `src` pinned `n` bytes we are now done with.
  void discharge(int src, size_t n);

  // --- sleeping ---
  // Nothing to take from peers and nothing of ours that could move now.
  bool idle() const;
  // About to sleep: ask peers to wake us when they free room for our spill,
  // or (with throttled publishers) release what we have in flight.
  void announce_waiting(bool throttled);

 private:
  SpscRing<Rec>& out(int dst) const;
  SpscRing<Rec>& in(int src) const;
  void wake(Reactor& self, int peer);

  Server& srv_;
  int id_;
  int n_;
  std::vector<Fifo<Rec>> spill_;
  std::vector<Block*> batch_;
  std::vector<bool> touched_;
  size_t spill_bytes_ = 0;
  size_t spill_cap_ = kSpillCap, inflight_cap_ = kInflightCap;
  size_t inflight_bytes_ = 0;
};

template <class F>
void ShardLinks::drain(Reactor& self, F&& f) {
  for (int p = 0; p < n_; ++p) {
    if (p == id_) continue;
    auto& ring = in(p);
    size_t n = ring.drain([&](Rec& r) { f(r, p); });
    // Room handshake, the mirror of the sleep one: the producer sets its
    // flag, fences, then checks for room; we free room, fence, then check
    // its flag.
    if (n > 0) {
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (ring.take_producer_waiting()) wake(self, p);
    }
  }
}

}  // namespace ringnats
