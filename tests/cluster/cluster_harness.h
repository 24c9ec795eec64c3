// Cluster test harness: starts ringnats and stock nats-server nodes on fixed
// loopback client/cluster ports (so a killed node can come back on the same
// ones), and offers bounded waits for mesh state and message delivery.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
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
  std::string cluster_name = "test-cluster";  // empty: none (a generated, dynamic name)
  std::vector<int> route_ports;  // --routes nats://127.0.0.1:<p>,...
  std::string config_file;       // if set: -c <file> instead of the flags
  int shards = 2;                // ringnats only: --shards
  std::vector<std::string> extra_args;  // appended to the command line (e.g. -m <port>)
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
  pid_t pid() const { return pid_; }
  // Waits (bounded) for the process to exit by itself, e.g. after a signal
  // the test sent; reaps it. True with its wait status; false if it still runs.
  bool wait_exit(int timeout_ms, int* status);

  const NodeSpec& spec() const { return spec_; }
  int port() const { return spec_.client_port; }
  std::string url() const;          // nats://127.0.0.1:<client port>
  std::string client_hp() const;    // 127.0.0.1:<client port>
  std::string log_path() const;
  std::string log_tail(size_t max_bytes = 4000) const;
  std::string log() const;  // the whole log file
  // Polls the log (bounded) until `needle` occurs in it at least `times` times.
  bool wait_log(const std::string& needle, size_t times = 1, int timeout_ms = kConvergeMs) const;

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

// ---- fake route peer ----
//
// A raw socket that plays a stock server which dialed a node's cluster port:
// it sends CONNECT and INFO, answers the node's PINGs, and records what the
// node sends with those PINGs and the $SYS account's interest lines (which
// only stock servers send) left out.

inline const std::string kFakeRouteId = "NFAKEROUTE" + std::string(46, 'X');

struct FakeRouteSpec {
  std::string id = kFakeRouteId;
  std::string name = "fake";
  std::string cluster = "test-cluster";
  int port = 0;               // the cluster port the INFO announces (0: a fresh one)
  bool headers = true;
  bool dynamic = false;       // "cluster_dynamic":true in CONNECT and INFO
  std::string info_extra;     // JSON members appended to the INFO, e.g. ,"connect_urls":[..]
};

// `CONNECT {...}\r\nINFO {...}\r\n` as a stock 2.9 server sends them (without lnoc).
std::string fake_route_hello(const FakeRouteSpec& spec);

// Splits a node->route byte stream into frames: control lines, plus the
// payload for RMSG/HMSG/LMSG. Returns the bytes used (a trailing partial frame
// is left); bytes it cannot frame become one last frame.
size_t split_route_frames(std::string_view bytes, std::vector<std::string>& frames);

// The lines of a route stream without $SYS interest and without PINGs.
std::vector<std::string> route_lines(const std::string& bytes);

// One end of a conversation with a node, as the test sees it: a fake route
// or a raw client. sync() sends PING and reads until the PONG answering it,
// the node's close, or the bound; the PONGs answering the harness's own
// PINGs are left out of the transcript (those answering PINGs in the sent
// bytes stay in). Node PINGs are answered and left out too.
class Peer {
 public:
  enum class Kind { Route, Client };
  explicit Peer(Kind k) : kind_(k) {}

  // Client: connects and reads the INFO. Route: connects and reads the
  // node's route INFO (server_info()).
  bool connect(int port);
  bool send(std::string_view bytes);
  bool sync(int timeout_ms = itest::kTimeoutMs);
  // Reads until the transcript has `want` as a prefix or diverges from it,
  // the node closes, or the bound passes (for deliveries that may land
  // after a sync on a sharded node).
  void settle(const std::string& want, int timeout_ms = itest::kTimeoutMs);
  // Transcript since the last take(), then starts a new one.
  std::string take();
  const std::string& transcript() const { return transcript_; }
  const std::string& server_info() const { return info_; }
  std::string server_id() const;  // from server_info()
  bool closed() const { return conn_.closed(); }
  bool timed_out() const { return timed_out_; }
  // Client INFO frames: own client URL shown as SELF (set before syncs).
  void set_self(std::string hp) { self_ = std::move(hp); }
  RawConn& raw() { return conn_; }

 private:
  void pump();
  template <class Done>
  void read_while_not(Done done, int timeout_ms);

  Kind kind_;
  RawConn conn_;
  std::string info_, transcript_, self_;
  int pings_ = 0, pongs_ = 0;
  std::vector<int> own_pings_;
  bool timed_out_ = false;
};

// Sorted copy, for order-free comparisons.
std::vector<std::string> sorted(std::vector<std::string> v);
std::string join(const std::vector<std::string>& v);

}  // namespace cltest
