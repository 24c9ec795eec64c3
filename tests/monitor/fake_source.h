// A MonitorSource for the monitor tests: fixed connections, routes and
// subscriptions set up by each test; counts calls so tests can check what an
// endpoint asked for. Used from the test thread and the HTTP pool threads.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "monitor/closed_ring.h"
#include "monitor/source.h"

namespace montest {

using namespace ringnats::monitor;

constexpr int64_t kSec = 1'000'000'000;
// A fixed wall-clock "now" so renders are reproducible: 2024-03-01T12:00:00Z.
constexpr int64_t kNow = 1709294400LL * kSec;

class FakeSource : public MonitorSource {
 public:
  ServerSnapshot srv;
  std::vector<ConnSnapshot> conns;
  std::vector<RouteSnapshot> rts;
  std::vector<SubDetail> all_subs;
  SubsStats stats;
  std::vector<ShardLoopSnapshot> loops;
  ClosedRing ring{100};
  bool use_ring = true;
  std::atomic<int> with_subs_calls{0};

  FakeSource() {
    srv.server_id = "NFAKESERVERID";
    srv.server_name = "fake";
    srv.version = "2.9.10";
    srv.host = "127.0.0.1";
    srv.port = 4222;
    srv.max_connections = 65536;
    srv.ping_interval_ns = 120 * kSec;
    srv.ping_max = 2;
    srv.http_host = "127.0.0.1";
    srv.http_port = 8222;
    srv.auth_timeout = 2;
    srv.max_control_line = 4096;
    srv.max_payload = 1 << 20;
    srv.max_pending = 64 << 20;
    srv.write_deadline_ns = 10 * kSec;
    srv.start_ns = kNow - 3725 * kSec;  // 1h2m5s ago
    srv.config_load_time_ns = srv.start_ns;
    srv.mem = 12345678;
    srv.cores = 2;
    srv.gomaxprocs = 2;
    srv.cpu = 1.5;
  }

  ServerSnapshot server() override { return srv; }
  std::vector<ConnSnapshot> open_conns(bool with_subs) override {
    if (with_subs) ++with_subs_calls;
    auto out = conns;
    if (!with_subs)
      for (auto& c : out) c.subs.clear();
    return out;
  }
  std::vector<RouteSnapshot> routes(bool with_subs) override {
    auto out = rts;
    if (!with_subs)
      for (auto& r : out) r.subs.clear();
    return out;
  }
  SubsStats subs_stats() override { return stats; }
  std::vector<SubDetail> subs(const std::string& test, const std::string& acc) override {
    std::vector<SubDetail> out;
    for (const auto& s : all_subs) {
      if (!acc.empty() && (s.account.empty() ? "$G" : s.account) != acc) continue;
      if (!test.empty() && s.subject != test) continue;  // literal subscriptions only in these tests
      out.push_back(s);
    }
    return out;
  }
  std::vector<ShardLoopSnapshot> shard_loops() override { return loops; }
  // Empty: the default (the global account alone, from srv and stats).
  std::vector<AccountSnapshot> accs;
  std::vector<AccountSnapshot> accounts() override { return accs.empty() ? MonitorSource::accounts() : accs; }
  const ClosedRing* closed_conns() override { return use_ring ? &ring : nullptr; }
};

// A client connection with `nsubs` subscriptions on "sub.<cid>.<i>".
inline ConnSnapshot make_conn(uint64_t cid, int nsubs = 0) {
  ConnSnapshot c;
  c.cid = cid;
  c.ip = "127.0.0.1";
  c.port = 50000 + int(cid);
  c.start_ns = kNow - int64_t(100 - cid) * kSec;
  c.last_activity_ns = c.start_ns + int64_t(cid) * kSec;
  c.rtt_ns = 380'123;
  c.name = "c" + std::to_string(cid);
  c.lang = "go";
  c.version = "1.30.0";
  for (int i = 0; i < nsubs; ++i) {
    SubDetail d;
    d.subject = "sub." + std::to_string(cid) + "." + std::to_string(i);
    d.sid = std::to_string(i + 1);
    d.cid = cid;
    c.subs.push_back(d);
  }
  c.num_subs = uint32_t(nsubs);
  return c;
}

}  // namespace montest
