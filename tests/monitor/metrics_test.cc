// /metrics: the exposition parsed by python3's prometheus_client text parser
// (a subprocess, bounded by `timeout`), then families, types and values
// checked; plus the format's own rules (HELP/TYPE once, _total counters).
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "fake_source.h"
#include "prom_parse.h"
#include "monitor/endpoint.h"

using namespace montest;

namespace {

std::string render(FakeSource& src) {
  RouteSnapshot r;
  r.rid = 7;
  r.remote_id = "NREMOTE\"x";
  r.in_msgs = 11;
  r.out_bytes = 2048;
  r.rtt_ns = 250'000;
  src.rts = {r};
  for (int s = 0; s < 2; ++s) {
    ShardLoopSnapshot sh;
    sh.shard = s;
    sh.figures.push_back({"loop_turns_total", "Loop turns.", LoopFigure::Kind::Counter, 100.0 + s});
    sh.figures.push_back({"ring_depth", "Records waiting in inbound rings.", LoopFigure::Kind::Gauge, 3.0 * s});
    sh.figures.push_back({"spilled_bytes", "Bytes spilled.", LoopFigure::Kind::Counter, 5});
    Histogram h;
    h.name = "turn_duration_seconds";
    h.help = "Loop turn duration.";
    h.bounds = {0.0001, 0.001};
    h.counts = {4, 9};
    h.count = 10;
    h.sum = 0.0123;
    sh.histograms.push_back(h);
    src.loops.push_back(sh);
  }
  src.srv.in_msgs = 42;
  src.srv.total_connections = 5;
  src.srv.connections = 2;
  ReqStats req{{"/varz", 3}, {"/metrics", 1}};
  return metrics_text(src.srv, src.stats, src.rts, src.loops, req, 4, kNow);
}

TEST(Metrics, FormatRules) {
  FakeSource src;
  std::string text = render(src);
  std::istringstream in(text);
  std::string line;
  std::map<std::string, int> help, type;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) ++help[line.substr(7, line.find(' ', 7) - 7)];
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      std::string name = rest.substr(0, rest.find(' '));
      std::string t = rest.substr(rest.find(' ') + 1);
      ++type[name];
      EXPECT_EQ(name.rfind("ringnats_", 0), 0u) << name;
      if (t == "counter") {
        EXPECT_EQ(name.substr(name.size() - 6), "_total") << name;
      }
    }
  }
  for (const auto& [n, k] : help) EXPECT_EQ(k, 1) << n;
  for (const auto& [n, k] : type) EXPECT_EQ(k, 1) << n;
  EXPECT_EQ(help.size(), type.size());
  EXPECT_NE(text.find("ringnats_shard_spilled_bytes_total{shard=\"1\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("remote_id=\"NREMOTE\\\"x\""), std::string::npos);
}

TEST(Metrics, PrometheusClientParsesIt) {
  if (!promtest::parser_available())
    GTEST_SKIP() << "python3-prometheus-client is not installed (tools/deps installs it)";
  FakeSource src;
  std::string out;
  ASSERT_TRUE(promtest::parse(render(src), out)) << out;
  for (const char* want : {
           "counter ringnats_in_messages_total  42.0",
           "gauge ringnats_connections  2.0",
           "counter ringnats_connections_accepted_total  5.0",
           "counter ringnats_connections_closed_total  4.0",
           "counter ringnats_route_in_messages_total remote_id=NREMOTE\"x,rid=7 11.0",
           "gauge ringnats_route_rtt_seconds remote_id=NREMOTE\"x,rid=7 0.00025",
           "counter ringnats_shard_loop_turns_total shard=1 101.0",
           "gauge ringnats_shard_ring_depth shard=1 3.0",
           "histogram ringnats_shard_turn_duration_seconds_bucket le=0.001,shard=0 9.0",
           "histogram ringnats_shard_turn_duration_seconds_bucket le=+Inf,shard=0 10.0",
           "histogram ringnats_shard_turn_duration_seconds_sum shard=1 0.0123",
           "counter ringnats_http_requests_total path=/varz 3.0",
           "gauge ringnats_info server_id=NFAKESERVERID,server_name=fake,version=2.9.10 1.0",
           "gauge ringnats_uptime_seconds  3725.0",
       })
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n--- parsed:\n" << out;
}

}  // namespace
