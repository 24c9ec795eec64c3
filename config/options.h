// Server settings, filled from nats-server-compatible flags and config files.
// Defaults are nats-server 2.9's (server/const.go); durations in nanoseconds
// so that config values like "2m" or 500ms map without loss.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/security_options.h"

namespace ringnats {

constexpr int64_t kSecond = 1'000'000'000;

struct ClusterOptions {
  bool enabled = false;          // a cluster listen address was given
  std::string name;              // cluster_name; empty = dynamic
  std::string host = "0.0.0.0";  // cluster listen host
  int port = 0;                  // cluster listen port (-1 = random)
  std::vector<std::string> routes;  // nats-route://host:port or nats://...
  std::string advertise;         // host:port advertised to peers
  bool no_advertise = false;     // don't push client URLs to clients
  int connect_retries = 0;
  std::string username, password;   // cluster authorization
  int64_t auth_timeout_ns = 2 * kSecond;
};

// JetStream (`-js`, `-sd`, the `jetstream` block). Sizes in bytes; -1 lets
// the server pick as nats does (75% of memory; 1 TiB or the disk's space).
struct JetStreamOptions {
  bool enabled = false;
  std::string store_dir;         // empty: <temp dir>/nats/jetstream
  int64_t max_memory = -1;
  int64_t max_store = -1;
  std::string domain;
  // Store files are fsynced this often; `sync_interval: always` (sync_always)
  // syncs every batch before its acks (nats-server 2.10's option).
  int64_t sync_interval_ns = 120 * 1'000'000'000LL;
  bool sync_always = false;
};

struct Options {
  std::string config_file;
  std::string host = "0.0.0.0";
  int port = 4222;               // -1 = random
  std::string server_name;       // empty = server id
  std::string client_advertise;

  int64_t max_payload = 1 << 20;
  int64_t max_pending = 64 << 20;
  int32_t max_control_line = 4096;
  int32_t max_connections = 64 * 1024;
  int32_t max_subs = 0;          // 0 = unlimited
  int64_t ping_interval_ns = 120 * kSecond;
  int32_t ping_max = 2;
  int64_t write_deadline_ns = 10 * kSecond;

  // Authorization (single user or token, as nats-server's top-level block).
  std::string username, password, auth_token;
  int64_t auth_timeout_ns = 2 * kSecond;

  // Logging.
  bool debug = false, trace = false, logtime = true;
  std::string log_file;
  std::string pid_file;

  int http_port = 0;             // monitoring; 0 = off, -1 = any free port
  std::string http_base_path;    // monitoring endpoints under this path

  int shards = 0;                // ringnats only: 0 = online CPUs

  // Lame-duck mode (SIGUSR2): wait the grace period, then close clients
  // spread over the rest of the duration, then stop.
  int64_t lame_duck_duration_ns = 120 * kSecond;
  int64_t lame_duck_grace_period_ns = 10 * kSecond;

  ClusterOptions cluster;
  SecurityOptions security;
  JetStreamOptions jetstream;

  std::string http_host;         // monitoring bind host; filled with host if unset
};

}  // namespace ringnats
