// Plain snapshot structs the monitoring module renders: core fills them on
// request (from the HTTP thread, via MonitorSource); the renderers only read
// them. No pointers into core; every time is wall clock, ns since the epoch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringnats::monitor {

// One subscription as /connz?subs=detail, /routez?subs=detail and /subsz show
// it. `account` (its connection's account name) is left empty under an open
// connection and a route (nats omits it there), and set in /subsz and in the
// closed-connection ring.
struct SubDetail {
  std::string account;
  std::string subject;
  std::string queue;     // qgroup, omitted when empty
  std::string sid;
  int64_t msgs = 0;      // delivered so far
  int64_t max = 0;       // auto-unsubscribe limit, omitted when 0
  uint64_t cid = 0;
};

// A client connection, open or (with stop/reason set) closed.
struct ConnSnapshot {
  uint64_t cid = 0;
  std::string kind = "Client";
  std::string type = "nats";
  std::string ip;
  int port = 0;
  int64_t start_ns = 0;           // accepted
  int64_t last_activity_ns = 0;   // last protocol op read
  int64_t stop_ns = 0;            // closed only (0 = open)
  std::string reason;             // closed only, nats' text ("Client Closed", ...)
  int64_t rtt_ns = 0;             // last PING/PONG round trip, 0 = none yet
  int64_t pending_bytes = 0;      // queued for the socket
  int64_t in_msgs = 0, out_msgs = 0, in_bytes = 0, out_bytes = 0;
  uint32_t num_subs = 0;
  std::string name, lang, version;  // from CONNECT
  std::string authorized_user;      // the user it authenticated as, if any
  std::string account;              // its account's name; empty = global account "$G"
  // Filled only when asked (open_conns(with_subs=true)) and always for the
  // closed ring; `account` inside may be empty.
  std::vector<SubDetail> subs;
};

// A route connection.
struct RouteSnapshot {
  uint64_t rid = 0;
  std::string remote_id;
  bool did_solicit = false;
  bool is_configured = false;
  std::string ip;
  int port = 0;
  int64_t start_ns = 0;
  int64_t last_activity_ns = 0;
  int64_t rtt_ns = 0;
  int64_t pending_bytes = 0;
  int64_t in_msgs = 0, out_msgs = 0, in_bytes = 0, out_bytes = 0;
  uint32_t num_subs = 0;          // interest the peer registered with us
  std::vector<SubDetail> subs;    // only with routes(with_subs=true)
};

// The subscription index's figures, summed over shards (nats' SublistStats).
struct SubsStats {
  uint32_t num_subscriptions = 0;  // every subscription, route interest included
  uint32_t num_cache = 0;          // cached match results
  uint64_t num_inserts = 0;
  uint64_t num_removes = 0;
  uint64_t num_matches = 0;
  double cache_hit_rate = 0;       // 0..1
  uint32_t max_fanout = 0;
  double avg_fanout = 0;
};

struct ClusterSnapshot {
  std::string name;                // cluster name (configured or adopted)
  std::string addr;                // listen host
  int cluster_port = 0;            // 0 = no cluster
  double auth_timeout = 0;         // seconds
  double tls_timeout = 0;          // seconds
  std::vector<std::string> urls;   // configured routes, as host:port
};

// Everything /varz, /accountz, /accstatz and /metrics need from the server.
struct ServerSnapshot {
  std::string server_id, server_name;
  std::string version;             // the nats version we speak ("2.9.10")
  int proto = 1;
  std::string git_commit;          // omitted when empty
  std::string go = "ringnats";     // nats prints its Go version here
  std::string host;
  int port = 0;
  bool auth_required = false;
  std::vector<std::string> connect_urls;
  int max_connections = 0;
  int max_subscriptions = 0;       // 0 = unlimited, omitted
  int64_t ping_interval_ns = 0;
  int ping_max = 0;
  std::string http_host;
  int http_port = 0;
  std::string http_base_path;      // as configured
  int https_port = 0;
  double auth_timeout = 0;         // seconds
  int max_control_line = 0;
  int64_t max_payload = 0;
  int64_t max_pending = 0;
  ClusterSnapshot cluster;
  double tls_timeout = 2;          // seconds (nats' default; TLS is refused)
  int64_t write_deadline_ns = 0;
  int64_t start_ns = 0;            // server start
  int64_t config_load_time_ns = 0;
  int64_t mem = 0;                 // resident set, bytes
  int cores = 0;                   // CPUs the process may use
  int gomaxprocs = 0;              // shards
  double cpu = 0;                  // percent of one CPU, nats-style
  int connections = 0;             // open client connections
  uint64_t total_connections = 0;  // clients accepted since start
  int routes = 0;
  int remotes = 0;                 // routes to distinct servers
  int leafnodes = 0;
  int64_t in_msgs = 0, out_msgs = 0, in_bytes = 0, out_bytes = 0;
  int64_t slow_consumers = 0;
  uint32_t subscriptions = 0;      // same as SubsStats::num_subscriptions
  std::string system_account;      // omitted when empty
};

// What an account exports, as /accountz?acc= lists it (nats' ExtExport).
struct AccountExport {
  std::string subject;
  bool service = false;                // else a stream
  std::string response_type;           // services: "Singleton", "Streamed", "Chunked"
  std::vector<std::string> approved;   // accounts allowed; empty = public
};

// What an account imports (nats' ExtImport): `subject` is where the import
// listens in this account for a service, the exporter's subject for a stream;
// `to` the exporter's subject of a service, `local_subject` where a stream
// lands here.
struct AccountImport {
  std::string subject, account, to, local_subject;
  bool service = false;
};

// One hosted account: its figures summed over shards, plus its open and
// closed connections' message counters, and its configuration.
struct AccountSnapshot {
  std::string name;
  bool is_system = false;
  int64_t update_ns = 0;               // last (re)configured: server start
  int conns = 0;                       // open client connections
  int leafnodes = 0;
  SubsStats stats;                     // entries in its subscription index
  int64_t in_msgs = 0, in_bytes = 0;   // published by its clients
  int64_t out_msgs = 0, out_bytes = 0; // delivered to its clients
  int64_t slow_consumers = 0;
  std::vector<AccountExport> exports;  // services first, then streams
  std::vector<AccountImport> imports;  // streams first, then services
};

// A latency (or size) histogram: cumulative counts per upper bound, in the
// metric's base unit (seconds for latencies).
struct Histogram {
  std::string name;                // e.g. "turn_duration_seconds"
  std::string help;
  std::vector<double> bounds;      // ascending upper bounds, +Inf implied
  std::vector<uint64_t> counts;    // cumulative, same length as bounds
  uint64_t count = 0;              // all observations (the +Inf bucket)
  double sum = 0;
};

// One figure of a shard's loop. Counter names end in "_total".
struct LoopFigure {
  enum class Kind { Counter, Gauge };
  std::string name;                // e.g. "loop_turns_total", "ring_depth"
  std::string help;
  Kind kind = Kind::Gauge;
  double value = 0;
};

// Per-shard loop figures for /metrics; core may add figures freely.
struct ShardLoopSnapshot {
  int shard = 0;
  std::vector<LoopFigure> figures;
  std::vector<Histogram> histograms;
};

}  // namespace ringnats::monitor
