// The seam between the core and monitoring, the same way cluster_hooks.h is
// for routes: the core tells monitor/ what it cannot ask for later (a client
// connection is closing, with its last figures), and monitor/ reads the rest
// through Server::gather on each shard's own thread. With no monitor
// configured the server holds none and the call site is skipped.
#pragma once

#include "core/conn.h"
#include "proto/errors.h"

namespace ringnats {

class Shard;

class MonitorHooks {
 public:
  virtual ~MonitorHooks() = default;
  // On the connection's shard, once, as a client connection leaves Open
  // (its subscriptions are still listed on it).
  virtual void client_closing(Shard& s, const Conn& c, proto::ErrCode why) = 0;
};

}  // namespace ringnats
