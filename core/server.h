// The server: options, identity, the shards and the rings between them, the
// client listener, and the INFO it sends. Owns process-wide state that is
// written once at start (or under the control path only).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "auth/auth_pool.h"
#include "auth/user_index.h"
#include "config/options.h"
#include "core/accounts.h"
#include "core/qsbr.h"
#include "core/rec.h"
#include "core/shard.h"
#include "core/spsc.h"
#include "tls/context.h"

namespace ringnats {

class ClusterHooks;  // implemented by cluster/
class MonitorHooks;  // implemented by monitor/
class JetStreamHooks;  // implemented by jetstream/

// Binds and listens on host:port (port 0 or -1: any). Returns the fd, or -1
// with `err` set; the bound port goes to *bound_port.
int listen_tcp(const std::string& host, int port, int* bound_port, std::string& err);

class Server {
 public:
  explicit Server(Options opts);
  ~Server();

  // Binds the listener(s) and starts the shards. False with `err` set.
  bool start(std::string& err);
  void shutdown();   // any thread
  // The listener takes clients from now on (main calls it once JetStream,
  // if any, has its subscriptions in place; before that connects queue in
  // the listen backlog).
  void begin_accepting();
  void wait();       // until every shard has stopped

  // Shard threads read the options directly (a reload changes them only
  // while every shard is parked, see replace_options). Any other thread
  // takes a copy.
  const Options& opts() const { return opts_; }
  Options opts_snapshot() const {
    std::shared_lock<std::shared_mutex> g(opts_mu_);
    return opts_;
  }
  // Control path (config reload): parks every shard at a turn boundary,
  // replaces the options, then lets each shard apply what depends on them
  // (Shard::options_changed) before it goes on. False if a shard did not
  // park within `timeout_ms` (the options are then unchanged).
  bool replace_options(const Options& next, int timeout_ms = 5000);
  int nshards() const { return nshards_; }
  // Hosted accounts (fixed at start; the AccountTable points into opts_).
  const AccountTable& accounts() const { return accounts_; }
  Shard& shard(int i) { return *shards_[i]; }
  SpscRing<Rec>& ring(int from, int to) { return *rings_[from * nshards() + to]; }
  Qsbr& qsbr() { return *qsbr_; }
  const std::string& server_id() const { return server_id_; }
  const std::string& server_name() const { return server_name_; }
  int listen_fd() const { return listen_fd_; }
  int client_port() const { return client_port_; }
  uint64_t next_cid() { return cid_.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<int>& num_conns() { return num_conns_; }
  bool auth_required() const {
    return !opts_.username.empty() || !opts_.auth_token.empty() || users_.has_users();
  }
  // The same from a copy of the options (threads other than the shards'
  // must not read opts_ or the user index while a reload replaces them).
  static bool auth_required(const Options& o) {
    return !o.username.empty() || !o.auth_token.empty() || !o.security.users.empty();
  }
  // Configured users (rebuilt with the options, under the same parking) and
  // the workers that check bcrypt passwords off the shards.
  const auth::UserIndex& users() const { return users_; }
  auth::AuthPool& auth_pool() { return *auth_pool_; }

  // The full INFO line for a client connection.
  // `first`: the INFO sent on accept, the only one with the nkey nonce.
  std::string client_info(const Conn& c, bool first = false);
  // Client URLs of the whole cluster, own first (cluster layer updates it).
  // `own`: how many of them (at the front) are this server's own.
  void set_connect_urls(std::vector<std::string> urls, size_t own = 0);
  std::vector<std::string> connect_urls();
  int64_t connect_urls_changed_ns() const { return urls_changed_ns_.load(); }

  // TLS contexts, built in start() and only read afterwards (null: plain
  // TCP): the client port's, and the routes' for accepting and for dialing.
  const tls::Context* client_tls() const { return client_tls_.get(); }
  const tls::Context* route_tls(bool dialing) const {
    return dialing ? route_tls_dial_.get() : route_tls_accept_.get();
  }

  ClusterHooks* cluster() { return cluster_.load(std::memory_order_acquire); }
  MonitorHooks* monitor() { return monitor_.load(std::memory_order_acquire); }
  void set_monitor(MonitorHooks* m) { monitor_.store(m, std::memory_order_release); }
  JetStreamHooks* jetstream() { return jetstream_.load(std::memory_order_acquire); }
  void set_jetstream(JetStreamHooks* j) { jetstream_.store(j, std::memory_order_release); }

  // Control path (monitoring, any thread but a shard's): runs `fn` on every
  // shard's own thread, at its next turn, and waits for all of them. False
  // only when the server is stopping: some shard may then never run `fn`,
  // so the caller must not read what `fn` writes, and whatever `fn`
  // captures must outlive it (capture shared state by value). `fn` must not
  // block. One lock per shard per call; never per message.
  bool gather(const std::function<void(Shard&)>& fn);
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // Client connections accepted since start.
  uint64_t total_clients() const { return total_clients_.load(std::memory_order_relaxed); }
  void count_client() { total_clients_.fetch_add(1, std::memory_order_relaxed); }
  int64_t start_wall_ns() const { return start_wall_ns_; }
  // Lame-duck mode: no new clients, and INFO says "ldm":true. Any thread.
  void enter_lame_duck();
  bool lame_duck() const { return lame_duck_.load(std::memory_order_relaxed); }
  void set_cluster(ClusterHooks* c) { cluster_.store(c, std::memory_order_release); }

  static constexpr const char* kCompatVersion = "2.9.10";
  // The cluster name clients see in INFO (the cluster layer may adopt one).
  void set_cluster_name(std::string n) {
    std::lock_guard<std::mutex> g(urls_mu_);
    cluster_name_ = std::move(n);
  }
  std::string cluster_name() {
    std::lock_guard<std::mutex> g(urls_mu_);
    return cluster_name_;
  }

 private:
  Options opts_;
  AccountTable accounts_;
  auth::UserIndex users_;
  std::unique_ptr<auth::AuthPool> auth_pool_;
  mutable std::shared_mutex opts_mu_;  // writers: replace_options only
  int nshards_ = 1;
  std::string server_id_, server_name_;
  std::unique_ptr<Qsbr> qsbr_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::unique_ptr<SpscRing<Rec>>> rings_;
  int listen_fd_ = -1;
  std::unique_ptr<tls::Context> client_tls_, route_tls_accept_, route_tls_dial_;
  int client_port_ = 0;
  std::atomic<uint64_t> cid_{1};
  std::atomic<int> num_conns_{0};
  std::mutex urls_mu_;  // control path only (INFO building)
  std::vector<std::string> connect_urls_;
  size_t own_urls_ = 0;
  std::string cluster_name_;
  std::atomic<int64_t> urls_changed_ns_{0};
  std::atomic<ClusterHooks*> cluster_{nullptr};
  std::atomic<MonitorHooks*> monitor_{nullptr};
  std::atomic<JetStreamHooks*> jetstream_{nullptr};
  std::atomic<uint64_t> total_clients_{0};
  std::atomic<bool> lame_duck_{false};
  std::atomic<bool> stopping_{false};
  int64_t start_wall_ns_ = 0;
};

}  // namespace ringnats
