// A shard's counters for monitoring. Written only by the shard's own thread
// (plain integers: nothing atomic or locked on the message path) and read on
// that thread too, through Server::gather.
#pragma once

#include <cstdint>

namespace ringnats {

struct ShardStats {
  // Messages and bytes of connections already closed: a live connection
  // counts on its Conn, so a server total is these plus every live Conn's.
  uint64_t closed_in_msgs = 0, closed_in_bytes = 0;
  uint64_t closed_out_msgs = 0, closed_out_bytes = 0;
  uint64_t slow_consumers = 0;
  uint64_t turns = 0;           // loop turns
  uint64_t sleeps = 0;          // turns that ended asleep
  uint64_t stalls = 0;          // fast-producer stalls begun
  uint64_t link_throttles = 0;  // publishers paused while links to peers backed up
  uint64_t recv_no_buffer = 0;  // receives that found no provided buffer
  uint64_t held_copies = 0;     // paused remainders copied out (buffers short)

  // How long the work of a turn took (sleep excluded): how long a shard can
  // keep anything waiting. Cumulative buckets are built when read.
  static constexpr int kTurnBuckets = 7;
  static constexpr int64_t kTurnBoundsNs[kTurnBuckets] = {1'000,      10'000,      100'000,  1'000'000,
                                                          10'000'000, 100'000'000, 1'000'000'000};
  uint64_t turn_hist[kTurnBuckets + 1] = {};  // last: above every bound
  int64_t turn_ns_sum = 0;
  void observe_turn(int64_t ns) {
    int b = 0;
    while (b < kTurnBuckets && ns > kTurnBoundsNs[b]) ++b;
    ++turn_hist[b];
    turn_ns_sum += ns;
  }
};

}  // namespace ringnats
