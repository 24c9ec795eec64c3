// The monitoring listener over real HTTP on 127.0.0.1: ephemeral port, nats'
// log line, base path, headers, 404s, JSONP, a bind failure's error, and
// requests from several threads at once.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>
#include <vector>

#include "fake_source.h"
#include "monitor/http_server.h"
#include "tests/integration/harness.h"

using namespace montest;

namespace {

httplib::Result fetch(int port, const std::string& path) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(5);
  return cli.Get(path.c_str());
}

TEST(MonitorHttp, ServesUnderBasePathOnEphemeralPort) {
  FakeSource src;
  src.conns = {make_conn(1, 1)};
  MonitorServer m;
  std::string err;
  ASSERT_TRUE(m.start("127.0.0.1", -1, "mon/", src, err)) << err;
  ASSERT_GT(m.port(), 0);
  EXPECT_EQ(m.log_line(), "Starting http monitor on 127.0.0.1:" + std::to_string(m.port()));

  auto r = fetch(m.port(), "/mon/varz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(r->body)["server_id"], "NFAKESERVERID");

  r = fetch(m.port(), "/mon/connz?subs=1&limit=5&limit=7");  // first value wins
  ASSERT_TRUE(r);
  Json c = Json::parse(r->body);
  EXPECT_EQ(c["limit"], 5);
  EXPECT_EQ(c["connections"][0]["subscriptions_list"], Json::array({"sub.1.0"}));

  r = fetch(m.port(), "/mon");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");

  r = fetch(m.port(), "/varz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "404 page not found\n");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");

  r = fetch(m.port(), "/mon/healthz?callback=f");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "f({\"status\":\"ok\"})");
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/javascript");

  r = fetch(m.port(), "/mon/connz?sort=nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body, "invalid sorting option: nope");

  r = fetch(m.port(), "/mon/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");

  // Several clients at once, each answered.
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i)
    ts.emplace_back([&] {
      auto x = fetch(m.port(), "/mon/subsz");
      if (x && x->status == 200) ++ok;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 6);

  auto stats = m.req_stats();
  EXPECT_EQ(stats["/varz"], 1u);
  EXPECT_EQ(stats["/subsz"], 6u);
  EXPECT_EQ(stats["/"], 1u);
  m.stop();
  m.stop();  // idempotent
  EXPECT_FALSE(fetch(m.port(), "/mon/varz"));
}

// https_port: the same endpoints over TLS with the server's certificate.
TEST(MonitorHttp, ServesHttpsWithTheServerCertificate) {
  itest::TestCerts certs;
  ASSERT_TRUE(certs.ok());
  FakeSource src;
  MonitorServer m;
  std::string err;
  MonitorServer::TlsFiles files{certs.server_cert(), certs.server_key()};
  ASSERT_TRUE(m.start("127.0.0.1", -1, "", src, err, &files)) << err;
  EXPECT_EQ(m.log_line(), "Starting https monitor on 127.0.0.1:" + std::to_string(m.port()));
  httplib::SSLClient cli("127.0.0.1", m.port());
  cli.set_ca_cert_path(certs.ca().c_str());
  cli.enable_server_certificate_verification(true);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(5);
  auto r = cli.Get("/varz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Json::parse(r->body)["server_id"], "NFAKESERVERID");
  EXPECT_FALSE(fetch(m.port(), "/varz") && fetch(m.port(), "/varz")->status == 200);  // plain HTTP is not served
  MonitorServer bad;
  MonitorServer::TlsFiles missing{"/nonexistent.pem", "/nonexistent-key.pem"};
  EXPECT_FALSE(bad.start("127.0.0.1", -1, "", src, err, &missing));
}

TEST(MonitorHttp, BindFailureIsReported) {
  FakeSource src;
  MonitorServer a, b;
  std::string err;
  ASSERT_TRUE(a.start("127.0.0.1", 0, "", src, err)) << err;
  EXPECT_FALSE(b.start("127.0.0.1", a.port(), "", src, err));
  EXPECT_EQ(err, "can't listen to the monitor port: listen tcp 127.0.0.1:" + std::to_string(a.port()) +
                     ": bind: address already in use");
}

TEST(MonitorHttp, StopRightAfterStart) {
  FakeSource src;
  for (int i = 0; i < 3; ++i) {
    MonitorServer m;
    std::string err;
    ASSERT_TRUE(m.start("127.0.0.1", 0, "/", src, err)) << err;
    m.stop();
  }
}

}  // namespace
