// The one interface between core and the monitor: the HTTP threads call it to
// take snapshots. Core implements it; an implementation may block for about
// one shard loop turn while it gathers, and must be callable from any thread.
#pragma once

#include <string>
#include <vector>

#include "monitor/closed_ring.h"
#include "monitor/snapshot.h"

namespace ringnats::monitor {

class MonitorSource {
 public:
  virtual ~MonitorSource() = default;

  // /varz, /accountz, /accstatz, /metrics. The monitor fills the parts it
  // owns (http_req_stats, now, uptime) itself.
  virtual ServerSnapshot server() = 0;

  // Open client connections, in any order; with_subs fills ConnSnapshot::subs.
  virtual std::vector<ConnSnapshot> open_conns(bool with_subs) = 0;

  // Route connections; with_subs fills RouteSnapshot::subs.
  virtual std::vector<RouteSnapshot> routes(bool with_subs) = 0;

  // The subscription index's statistics (all shards, every account).
  virtual SubsStats subs_stats() = 0;

  // The entries of account `acc`'s index (every account's when empty) that
  // are not route interest, each named with the account of the subscription
  // behind it, in any order: client subscriptions, their stream-import
  // shadows (filed in the exporter's index), service imports. A non-empty
  // `test` is a literal subject: return only the entries a message published
  // on it would match. The monitor pages the result.
  virtual std::vector<SubDetail> subs(const std::string& test, const std::string& acc) = 0;

  // Every hosted account ($G, the configured ones, the system account), in
  // a fixed order. The default: the global account alone, from server().
  virtual std::vector<AccountSnapshot> accounts() {
    ServerSnapshot s = server();
    AccountSnapshot a;
    a.name = "$G";
    a.update_ns = s.start_ns;
    a.conns = s.connections;
    a.leafnodes = s.leafnodes;
    a.stats = subs_stats();
    a.in_msgs = s.in_msgs;
    a.in_bytes = s.in_bytes;
    a.out_msgs = s.out_msgs;
    a.out_bytes = s.out_bytes;
    a.slow_consumers = s.slow_consumers;
    return {a};
  }

  // Per-shard loop figures for /metrics.
  virtual std::vector<ShardLoopSnapshot> shard_loops() = 0;

  // The ring core records closed client connections in (it owns it); null
  // when it keeps none. /connz?state=closed|any reads it.
  virtual const ClosedRing* closed_conns() { return nullptr; }
};

}  // namespace ringnats::monitor
