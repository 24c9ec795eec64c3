// Cluster test harness: starts ringnats and stock nats-server nodes on fixed
// loopback client/cluster ports (so a killed node can come back on the same
// ones), and offers bounded waits for mesh state and message delivery.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "../integration/harness.h"

namespace cltest {

using itest::RawConn;

// Bound for every "wait until the cluster converges" loop.
inline constexpr int kConvergeMs = 10000;
// How often such loops look again.
inline constexpr int kPollMs = 20;

enum class Kind { Ring, Stock };
const char* kind_name(Kind k);
inline void PrintTo(Kind k, std::ostream* os) { *os << kind_name(k); }
std::string bin_for(Kind k);

// Directory for this run's logs and config files; kept when a test failed.
const std::string& run_dir();

// True while some socket listens on 127.0.0.1:port (read from /proc/net/tcp,
// so checking opens no connection the server would see).
bool port_listening(int port);

// Distinct free ports (bind :0), none repeated within this process.
int fresh_port();

// Polls pred every kPollMs until it holds or timeout_ms passes.
bool wait_until(const std::function<bool()>& pred, int timeout_ms = kConvergeMs);

// One cluster member. Either flags (client/cluster port, seed routes) or a
// config file written by the test; the ports are fixed for its lifetime.
struct NodeSpec {
  Kind kind = Kind::Ring;
  std::string name;
  int client_port = 0;
  int cluster_port = 0;
  std::string cluster_name = "test-cluster";
  std::vector<int> route_ports;  // --routes nats://127.0.0.1:<p>,...
  std::string config_file;       // if set: -c <file> instead of the flags
};

class Node {
 public:
  Node() = default;
  explicit Node(NodeSpec spec) : spec_(std::move(spec)) {}
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Launches the process and waits (bounded) until both ports listen.
  bool start(std::string* err = nullptr);
  void kill9();  // SIGKILL and reap
  void stop();   // SIGTERM, bounded wait, then SIGKILL
  bool running() const { return pid_ > 0; }

  const NodeSpec& spec() const { return spec_; }
  int port() const { return spec_.client_port; }
  std::string url() const;          // nats://127.0.0.1:<client port>
  std::string client_hp() const;    // 127.0.0.1:<client port>
  std::string log_path() const;
  std::string log_tail(size_t max_bytes = 4000) const;

 private:
  NodeSpec spec_;
  pid_t pid_ = -1;
  int generation_ = 0;
};

// Starts a fresh three-node cluster: node 0 is the seed, 1 and 2 route to
// it only. kinds gives each node's binary.
struct Trio {
  std::vector<std::unique_ptr<Node>> nodes;
  bool start(const std::vector<Kind>& kinds, std::string* err);
  Node& operator[](size_t i) { return *nodes[i]; }
  std::string logs() const;  // tails of every node's log, for failure messages
  // Waits until every running node's client INFO lists every running node.
  bool wait_mesh(std::string* why);
};

// A three-node layout: which binary each of seed, member 1, member 2 runs.
struct Topology {
  const char* name;
  Kind kinds[3];
};
inline void PrintTo(const Topology& t, std::ostream* os) { *os << t.name; }
inline const Topology kAllRing{"ring_ring_ring", {Kind::Ring, Kind::Ring, Kind::Ring}};
inline const Topology kRingSeed{"ringseed_stock_stock", {Kind::Ring, Kind::Stock, Kind::Stock}};
inline const Topology kStockSeed{"stockseed_ring_ring", {Kind::Stock, Kind::Ring, Kind::Ring}};

// ---- raw client helpers ----

// Values of "connect_urls" in an INFO line (empty if absent).
std::vector<std::string> info_connect_urls(const std::string& info_line);

// A protocol-1 raw client that tracks the newest INFO the server sent.
class InfoWatcher {
 public:
  bool connect(int port);
  // Reads what arrived (bounded by timeout_ms); updates latest_info().
  void pump(int timeout_ms);
  // Waits until the newest INFO's connect_urls holds exactly `want` (any order).
  bool wait_urls(const std::vector<std::string>& want, int timeout_ms = kConvergeMs);
  const std::string& latest_info() const { return latest_; }

 private:
  RawConn c_;
  std::string latest_;
};

// Sorted copy, for order-free comparisons.
std::vector<std::string> sorted(std::vector<std::string> v);
std::string join(const std::vector<std::string>& v);

}  // namespace cltest
