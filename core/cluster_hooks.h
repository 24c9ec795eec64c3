// The seam between the core and the cluster layer. The core calls these on
// the shard thread where the event happens; cluster/ implements them. With no
// cluster configured the server holds none and every call site is skipped.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <string_view>
#include <utility>

#include <vector>

#include "core/block.h"
#include "proto/parser.h"

namespace ringnats {

class Shard;
struct Conn;
struct SubRef;

class ClusterHooks {
 public:
  virtual ~ClusterHooks() = default;
  virtual void shard_started(Shard& s) = 0;
  virtual void shard_stopping(Shard& s) = 0;
  virtual void shard_timer(Shard& s) = 0;
  // A route connection's operations (everything but RMSG/HMSG payloads).
  virtual proto::Flow route_op(Shard& s, Conn* c, proto::Op op, std::string_view args) = 0;
  // The control line of an RMSG/HMSG/LMSG (or a PUB/HPUB) from a route,
  // before its payload is read. Flow::Stop when the hook closed the route.
  virtual proto::Flow route_msg_args(Shard& s, Conn* c, const proto::MsgArgs& m) {
    (void)s; (void)c; (void)m;
    return proto::Flow::Continue;
  }
  virtual void route_closed(Shard& s, Conn* c) = 0;
  virtual void route_timer(Shard& s, Conn* c) = 0;
  // On the partition's shard: the local subscriber count for (subject, queue)
  // changed; turn 0<->1 (and queue weights) into RS+/RS- for every route.
  virtual void local_interest(Shard& s, uint32_t account, std::string_view subject, std::string_view queue,
                              int before, int after) = 0;
  // On the publisher's shard: send one RMSG/HMSG to the route behind `route`
  // (plain interest and/or the queue groups picked on it). `storage` is the
  // payload's block when it has one.
  // Monitoring, on the route's shard: what the core cannot see of route `c`
  // (false if it is not a registered route yet).
  struct RouteView {
    std::string remote_id;
    bool solicited = false, configured = false;
    size_t num_subs = 0;
    // (account id, subject, queue) of each, if asked; the monitor names the
    // account in its route sids as nats does.
    std::vector<std::tuple<uint32_t, std::string, std::string>> subs;
  };
  virtual bool route_view(const Conn* c, bool with_subs, RouteView& out) {
    (void)c; (void)with_subs; (void)out;
    return false;
  }
  // Control path (config reload): the configured routes are now `routes`;
  // dial the new ones, close and stop redialing the removed ones.
  virtual void reload_routes(const std::vector<std::string>& routes) { (void)routes; }
  // Control path: the server entered lame-duck mode; tell every route (its
  // peers stop offering our client URLs to their clients).
  virtual void lame_duck() {}
  virtual void forward_to_route(Shard& s, const SubRef& route, uint32_t account, const proto::MsgArgs& m,
                                std::string_view payload, Block* storage, bool plain,
                                const std::vector<std::string_view>& queues) = 0;
};

}  // namespace ringnats
