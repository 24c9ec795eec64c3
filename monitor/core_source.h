// The monitor's view of a running server: implements MonitorSource by
// gathering on every shard's own thread (Server::gather) and MonitorHooks by
// recording closing clients in the closed ring. The renderers never see core
// types; this file is the only place that knows both sides. HTTP threads
// call the MonitorSource side; shards call client_closing.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/monitor_hooks.h"
#include "monitor/closed_ring.h"
#include "monitor/http_server.h"
#include "monitor/source.h"

namespace ringnats {
class Server;
}

namespace ringnats::monitor {

class CoreSource : public MonitorSource, public MonitorHooks {
 public:
  explicit CoreSource(Server& srv);

  ServerSnapshot server() override;
  std::vector<ConnSnapshot> open_conns(bool with_subs) override;
  std::vector<RouteSnapshot> routes(bool with_subs) override;
  SubsStats subs_stats() override;
  std::vector<SubDetail> subs(const std::string& test) override;
  std::vector<ShardLoopSnapshot> shard_loops() override;
  const ClosedRing* closed_conns() override { return &closed_; }

  void client_closing(Shard& s, const Conn& c, proto::ErrCode why) override;

 private:
  double cpu_percent();

  Server& srv_;
  ClosedRing closed_;
  std::mutex cpu_mu_;  // the last CPU sample (requests may run in parallel)
  int64_t last_cpu_ns_ = 0, last_wall_ns_ = 0;
  double last_pcpu_ = 0;
};

// Starts the monitor when the options ask for it (-m, http, http_port).
bool start_monitor(Server& srv, std::string& err);
void stop_monitor(Server& srv);

}  // namespace ringnats::monitor
