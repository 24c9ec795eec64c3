// The cluster layer: the route listener and dialer (a control thread), the
// registry of peer servers, gossip to a full mesh, and the interest exchange
// (RS+/RS-) and one-hop forwarding (RMSG/HMSG) on route connections. Each
// route connection lives on one shard; all per-route work runs there.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <string>
#include <thread>
#include <vector>

#include "cluster/route_info.h"
#include "core/cluster_hooks.h"
#include "config/options.h"

namespace ringnats {

class Server;

// Per route connection, hung on Conn::route. Touched only on its shard.
struct RouteState {
  bool solicited = false;       // we dialed it
  bool explicit_route = false;  // from --routes / config: redial forever
  std::string dial_url;         // what we dialed (for redials)
  bool connect_seen = false;    // peer's CONNECT (accepted side)
  bool registered = false;
  std::string remote_id, remote_name;
  bool headers = false;
  bool removed = false;         // its configured route was removed by a reload
  uint64_t rid = 0;
  int64_t next_ping_ns = 0;
  int ping_out = 0;
  // Remote interest we put in the index for this route: (account id,
  // subject, queue).
  std::set<std::tuple<uint32_t, std::string, std::string>> remote_keys;
};

class RouteManager : public ClusterHooks {
 public:
  explicit RouteManager(Server& srv);
  ~RouteManager() override;

  bool start(std::string& err);
  void stop();

  // ClusterHooks
  void shard_started(Shard&) override {}
  void shard_stopping(Shard& s) override;
  void shard_timer(Shard&) override {}
  proto::Flow route_op(Shard& s, Conn* c, proto::Op op, std::string_view args) override;
  void route_closed(Shard& s, Conn* c) override;
  void route_timer(Shard& s, Conn* c) override;
  void local_interest(Shard& s, uint32_t account, std::string_view subject, std::string_view queue, int before,
                      int after) override;
  bool route_view(const Conn* c, bool with_subs, RouteView& out) override;
  void reload_routes(const std::vector<std::string>& routes) override;
  void lame_duck() override;
  void forward_to_route(Shard& s, const SubRef& route, uint32_t account, const proto::MsgArgs& m,
                        std::string_view payload, Block* storage, bool plain,
                        const std::vector<std::string_view>& queues) override;

  // The control line of an RMSG/HMSG (LMSG) from a route, before its payload
  // is read: checks its arguments as nats does (a bad reply indicator or
  // size closes the route) and refuses a payload larger than max_pending.
  // Returns Stop when it closed the route. The core does not call it yet:
  // ClusterHooks needs a matching virtual (same signature; this then
  // overrides it) and Shard::on_msg_args must call it for routes.
  proto::Flow route_msg_args(Shard& s, Conn* c, const proto::MsgArgs& m);

 private:
  struct Registered {
    int shard;
    uint32_t slot, gen;
    std::string name;
    std::vector<std::string> connect_urls;
    std::string gossip_info;  // the INFO line we forward to others
    std::string redial_url;   // an explicit route that lost the duplicate race
  };
  struct Dial {
    std::string url;
    bool explicit_route;
    int attempts_left;  // implicit routes: connect_retries
    int64_t due_ns;
  };

  void control_loop();
  void schedule_dial(const std::string& url, bool explicit_route, int64_t delay_ns, int retries);
  void dialed(int fd, const Dial& d);
  void adopt(int fd, bool solicited, const Dial* d);
  std::string our_info_line(bool with_nonce);
  std::string connect_line(const std::string& url);
  void process_info(Shard& s, Conn* c, RouteState& rs, std::string_view args);
  void process_connect(Shard& s, Conn* c, RouteState& rs, std::string_view args);
  bool route_authorized(const Conn* c, const RouteConnect& rc) const;
  void register_route(Shard& s, Conn* c, RouteState& rs, const RouteInfo& info);
  void remote_sub(Shard& s, Conn* c, RouteState& rs, std::string_view args, bool add, bool has_origin);
  void refresh_client_urls();
  void close_other_routes(int keep_shard, const Conn* keep);
  void reject(Shard& s, Conn* c, const std::string& err_line);
  std::string route_prefix(const Conn* c, const RouteState& rs) const;

  Server& srv_;
  // A copy: a reload replaces the server's options while we read ours.
  const ClusterOptions co_;
  std::vector<std::string> explicit_urls_;  // configured routes now (reload changes them)
  std::set<std::string> removed_urls_;      // removed by a reload: never redialed
  std::string cluster_name_;
  bool dynamic_name_ = false;
  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<std::string> own_client_urls_;

  std::thread ctl_;
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;

  std::mutex mu_;  // control path only: registry, interest counts, dial queue
  std::map<std::string, Registered> routes_;            // by remote server id
  std::vector<std::string> route_order_;                // registration order
  // Local interest counts by (account id, subject, queue).
  std::map<std::tuple<uint32_t, std::string, std::string>, int> local_;
  std::vector<Dial> dials_;
  std::set<std::string> dialing_;                       // urls with a dial queued
  std::set<std::string> configured_;                    // host:port of explicit routes
  std::set<std::string> advertised_;  // other members' client URLs in our connect_urls
  uint64_t next_rid_ = 1;
  int next_shard_ = 0;
};

}  // namespace ringnats
