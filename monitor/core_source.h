// The monitor's view of a running server: implements MonitorSource by
// gathering on every shard's own thread (Server::gather) and MonitorHooks by
// recording closing clients in the closed ring. The renderers never see core
// types; this file is the only place that knows both sides. HTTP threads
// call the MonitorSource side; shards call client_closing.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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
  std::vector<SubDetail> subs(const std::string& test, const std::string& acc) override;
  std::vector<AccountSnapshot> accounts() override;
  std::vector<ShardLoopSnapshot> shard_loops() override;
  const ClosedRing* closed_conns() override { return &closed_; }

  void client_closing(Shard& s, const Conn& c, proto::ErrCode why) override;

  // The server is going away: every call from now on answers empty without
  // touching it. Returns once no call is using the server (bounded).
  void close();

 private:
  // Held by each MonitorSource call while it uses the server.
  class Use {
   public:
    explicit Use(CoreSource& s) : s_(s) {
      s_.inflight_.fetch_add(1);
      ok_ = !s_.closed_flag_.load();
    }
    ~Use() { s_.inflight_.fetch_sub(1); }
    explicit operator bool() const { return ok_; }

   private:
    CoreSource& s_;
    bool ok_;
  };
  std::atomic<bool> closed_flag_{false};
  std::atomic<int> inflight_{0};

  double cpu_percent();

  Server& srv_;
  ClosedRing closed_;
  // Closed clients' counters by account id (client_closing, any shard).
  struct AccClosed {
    int64_t in_msgs = 0, in_bytes = 0, out_msgs = 0, out_bytes = 0, slow = 0;
  };
  std::mutex acc_mu_;
  std::vector<AccClosed> acc_closed_;
  std::mutex cpu_mu_;  // the last CPU sample (requests may run in parallel)
  int64_t last_cpu_ns_ = 0, last_wall_ns_ = 0;
  double last_pcpu_ = 0;
};

// Starts the monitor when the options ask for it (-m, http, http_port).
bool start_monitor(Server& srv, std::string& err);
// False when the HTTP workers did not stop in time (see core_source.cc).
bool stop_monitor(Server& srv);

}  // namespace ringnats::monitor
