// The seam between the core and jetstream/, the way cluster_hooks.h is for
// routes. JetStream speaks through internal connections: server-side clients
// with no socket (Conn::internal) whose subscriptions sit in the index like any
// other, so a publish reaches a stream's shard by the same path and in the
// same order as it reaches a client. The core calls these on the shard thread
// where the event happens; with JetStream off the server holds none.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/parser.h"

namespace ringnats {

class Shard;
struct Conn;
struct Sub;

class JetStreamHooks {
 public:
  virtual ~JetStreamHooks() = default;
  // A message for subscription `sub` of internal connection `c`. `payload`
  // holds the headers (m.hdr bytes, if m.hdr >= 0) and the body. Called from
  // inside a publish: it must not publish itself (queue the answer and send
  // it from end_turn or an I/O completion).
  virtual void internal_msg(Shard& s, Conn* c, const Sub& sub, const proto::MsgArgs& m,
                            std::string_view payload) = 0;
  // Every subscription `c` asked for is now in the index on every shard.
  virtual void internal_subs_ready(Shard& s, Conn* c) = 0;
  // End of the shard's turn, before connections flush: answer, write.
  virtual void end_turn(Shard& s) = 0;
  // File write `op` submitted with Shard::submit_write completed.
  virtual void write_done(Shard& s, uint32_t tag, uint32_t op, int res) = 0;
  virtual void shard_timer(Shard& s) = 0;
  virtual void shard_stopping(Shard& s) = 0;
};

}  // namespace ringnats
