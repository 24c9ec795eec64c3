// Route protocol seen from a peer: a raw socket plays a stock server dialing
// the node's cluster port (CONNECT + INFO), and checks INFO, the RS+ dump,
// PING/PONG, RMSG/HMSG delivery, queue picks, the one-hop rule and the
// cluster-name rejection. Stock nats-server runs the same checks.
#include <gtest/gtest.h>

#include "cluster_harness.h"

namespace cltest {
namespace {

std::string fake_hello(const std::string& cluster, int fake_port) {
  FakeRouteSpec f;
  f.cluster = cluster;
  f.port = fake_port;
  return fake_route_hello(f);
}

class RouteProtocol : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    NodeSpec s;
    s.kind = GetParam();
    s.name = "R";
    s.client_port = fresh_port();
    s.cluster_port = fresh_port();
    node_ = std::make_unique<Node>(s);
    std::string err;
    ASSERT_TRUE(node_->start(&err)) << err;
  }
  std::string log() { return node_->log_path() + "\n" + node_->log_tail(); }

  // Reads from the fake route until `marker`; answers the server's PINGs.
  bool route_read_until(RawConn& r, const std::string& marker, std::string& out) {
    std::string all;
    bool ok = wait_until(
        [&] {
          r.read_some(kPollMs);
          size_t p = r.buffer().find(marker);
          if (p == std::string::npos) return r.closed();
          all += r.buffer().substr(0, p + marker.size());
          r.buffer().erase(0, p + marker.size());
          return true;
        },
        itest::kTimeoutMs);
    for (size_t p = 0; (p = all.find("PING\r\n", p)) != std::string::npos; p += 6) r.send("PONG\r\n");
    out = all;
    return ok && all.find(marker) != std::string::npos;
  }

  std::unique_ptr<Node> node_;
};

TEST_P(RouteProtocol, FakeRouteHandshakeInterestAndOneHop) {
  RawConn cli;
  ASSERT_TRUE(cli.connect(node_->port()));
  std::string got;
  ASSERT_TRUE(cli.send("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1,\"headers\":true}\r\n"
                       "SUB foo 1\r\nSUB qq grp 2\r\nPING\r\n"));
  ASSERT_TRUE(cli.read_until("PONG\r\n", got));

  RawConn route;
  ASSERT_TRUE(route.connect(node_->spec().cluster_port));
  ASSERT_TRUE(route.send(fake_hello("test-cluster", fresh_port())));

  // INFO first, describing the node's cluster side.
  std::string info;
  ASSERT_TRUE(route_read_until(route, "\r\n", info)) << log();
  ASSERT_EQ(info.rfind("INFO {", 0), 0u) << itest::escape(info);
  EXPECT_NE(info.find("\"cluster\":\"test-cluster\""), std::string::npos) << info;
  EXPECT_NE(info.find("\"port\":" + std::to_string(node_->spec().cluster_port)), std::string::npos) << info;
  EXPECT_NE(info.find("\"headers\":true"), std::string::npos) << info;
  EXPECT_NE(info.find("\"proto\":2"), std::string::npos) << info;
  EXPECT_NE(info.find("\"server_name\":\"R\""), std::string::npos) << info;
  EXPECT_EQ(info_connect_urls(info), std::vector<std::string>{node_->client_hp()}) << info;

  // The dump of local interest, then PING answered by PONG.
  ASSERT_TRUE(route.send("PING\r\n"));
  std::string dump;
  ASSERT_TRUE(route_read_until(route, "PONG\r\n", dump)) << log();
  auto lines = route_lines(dump);
  lines.pop_back();  // the PONG
  EXPECT_EQ(sorted(lines), sorted({"RS+ $G foo", "RS+ $G qq grp 1"})) << itest::escape(dump);

  // Routed messages reach the local subscriber; headers intact.
  ASSERT_TRUE(route.send("RMSG $G foo 5\r\nhello\r\n"));
  ASSERT_TRUE(cli.read_until("MSG foo 1 5\r\nhello\r\n", got)) << itest::escape(cli.buffer()) << log();
  ASSERT_TRUE(route.send("HMSG $G foo rep 20 22\r\nNATS/1.0\r\nX-K: v\r\n\r\nhi\r\n"));
  ASSERT_TRUE(cli.read_until("HMSG foo 1 rep 20 22\r\nNATS/1.0\r\nX-K: v\r\n\r\nhi\r\n", got))
      << itest::escape(cli.buffer());

  // Queue members are served only for groups the RMSG names.
  ASSERT_TRUE(route.send("RMSG $G qq 3\r\nnoq\r\nRMSG $G qq | other 3\r\noth\r\n"
                         "RMSG $G qq | grp 3\r\nq-1\r\nRMSG $G qq + rr grp 3\r\nq-2\r\n"
                         "RMSG $X foo 3\r\nacc\r\nRMSG $G foo 4\r\ndone\r\n"));
  ASSERT_TRUE(cli.read_until("MSG foo 1 4\r\ndone\r\n", got)) << itest::escape(cli.buffer());
  EXPECT_EQ(got.find("noq"), std::string::npos) << "queue sub got an RMSG without queue list";
  EXPECT_EQ(got.find("oth"), std::string::npos) << "queue sub got an RMSG for another group";
  EXPECT_EQ(got.find("acc"), std::string::npos) << "RMSG for unknown account $X delivered: " << itest::escape(got);
  EXPECT_NE(got.find("MSG qq 2 3\r\nq-1\r\n"), std::string::npos) << itest::escape(got);
  EXPECT_NE(got.find("MSG qq 2 rr 3\r\nq-2\r\n"), std::string::npos) << itest::escape(got);

  // The fake now has interest in foo; wait until the node routes to it.
  ASSERT_TRUE(route.send("RS+ $G foo\r\n"));
  std::string seen;
  int n = 0;
  bool routed = wait_until([&] {
    cli.send("PUB foo 4\r\nw" + std::to_string(n++ % 10) + "xx\r\nPING\r\n");
    std::string tmp;
    cli.read_until("PONG\r\n", tmp);
    route.read_some(kPollMs);
    seen += route.buffer();
    route.buffer().clear();
    return seen.find("RMSG $G foo 4\r\nw") != std::string::npos;
  });
  ASSERT_TRUE(routed) << "client message never forwarded to the fake route: " << itest::escape(seen) << log();

  // One hop: what the route sent is delivered locally but never sent back.
  ASSERT_TRUE(route.send("RMSG $G foo 5\r\nhello\r\n"));
  ASSERT_TRUE(cli.read_until("MSG foo 1 5\r\nhello\r\n", got)) << itest::escape(cli.buffer());
  ASSERT_TRUE(cli.send("PUB foo 5\r\nfinal\r\nPING\r\n"));
  ASSERT_TRUE(cli.read_until("PONG\r\n", got));
  std::string tail;
  ASSERT_TRUE(route_read_until(route, "RMSG $G foo 5\r\nfinal\r\n", tail)) << itest::escape(tail);
  EXPECT_EQ(tail.find("hello"), std::string::npos) << "route-received message echoed: " << itest::escape(tail);
  ASSERT_TRUE(route.send("PING\r\n"));
  ASSERT_TRUE(route_read_until(route, "PONG\r\n", tail));
  EXPECT_EQ(tail.find("hello"), std::string::npos) << "route-received message echoed: " << itest::escape(tail);

  // Interest counting: a second plain sub sends nothing, queue weights follow
  // the member count (RS+ ... 2, RS+ ... 1), and RS- only when the last goes.
  ASSERT_TRUE(cli.send("SUB foo 3\r\nSUB qq grp 4\r\nPING\r\n"));
  ASSERT_TRUE(cli.read_until("PONG\r\n", got));
  ASSERT_TRUE(route_read_until(route, "RS+ $G qq grp 2\r\n", tail)) << itest::escape(tail);
  ASSERT_TRUE(cli.send("UNSUB 4\r\nPING\r\n"));
  ASSERT_TRUE(cli.read_until("PONG\r\n", got));
  ASSERT_TRUE(route_read_until(route, "RS+ $G qq grp 1\r\n", tail)) << itest::escape(tail);
  EXPECT_EQ(tail.find("RS+ $G foo"), std::string::npos) << "second SUB foo re-announced: " << itest::escape(tail);
  ASSERT_TRUE(cli.send("UNSUB 3\r\nPING\r\n"));
  ASSERT_TRUE(cli.read_until("PONG\r\n", got));
  ASSERT_TRUE(route.send("PING\r\n"));
  ASSERT_TRUE(route_read_until(route, "PONG\r\n", tail));
  EXPECT_EQ(tail.find("RS-"), std::string::npos) << "RS- while a foo sub remains: " << itest::escape(tail);

  // Unsubscribe locally: RS- for the plain sub, RS- for the last queue member.
  ASSERT_TRUE(cli.send("UNSUB 1\r\nUNSUB 2\r\nPING\r\n"));
  ASSERT_TRUE(cli.read_until("PONG\r\n", got));
  std::string unsub;
  bool both = wait_until([&] {
    route.read_some(kPollMs);
    unsub += route.buffer();
    route.buffer().clear();
    return unsub.find("RS- $G foo\r\n") != std::string::npos && unsub.find("RS- $G qq grp\r\n") != std::string::npos;
  });
  EXPECT_TRUE(both) << itest::escape(unsub);
}

// A peer that did not announce headers gets the message without them.
TEST_P(RouteProtocol, HeadersStrippedForPeerWithoutHeaders) {
  RawConn route;
  ASSERT_TRUE(route.connect(node_->spec().cluster_port));
  std::string hello = fake_hello("test-cluster", fresh_port());
  for (size_t p; (p = hello.find("\"headers\":true")) != std::string::npos;) hello.replace(p, 14, "\"headers\":false");
  ASSERT_TRUE(route.send(hello + "RS+ $G hdr.test\r\nPING\r\n"));
  std::string got;
  ASSERT_TRUE(route_read_until(route, "PONG\r\n", got)) << log();
  RawConn cli;
  ASSERT_TRUE(cli.connect(node_->port()));
  ASSERT_TRUE(cli.send("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1,\"headers\":true}\r\nPING\r\n"));
  ASSERT_TRUE(cli.read_until("PONG\r\n", got));
  std::string seen;
  bool routed = wait_until([&] {
    cli.send("HPUB hdr.test 20 22\r\nNATS/1.0\r\nX-K: v\r\n\r\nok\r\nPING\r\n");
    std::string tmp;
    cli.read_until("PONG\r\n", tmp);
    route.read_some(kPollMs);
    seen += route.buffer();
    route.buffer().clear();
    return seen.find("hdr.test") != std::string::npos;
  });
  ASSERT_TRUE(routed) << itest::escape(seen) << log();
  size_t at = seen.find("MSG $G hdr.test");
  ASSERT_NE(at, std::string::npos) << itest::escape(seen);
  EXPECT_EQ(seen.substr(at - 1, 25), "RMSG $G hdr.test 2\r\nok\r\n") << itest::escape(seen);
}

TEST_P(RouteProtocol, WrongClusterNameRejected) {
  RawConn route;
  ASSERT_TRUE(route.connect(node_->spec().cluster_port));
  ASSERT_TRUE(route.send(fake_hello("x", fresh_port())));
  std::string info, err;
  ASSERT_TRUE(route.read_until("\r\n", info)) << log();
  EXPECT_EQ(info.rfind("INFO {", 0), 0u) << itest::escape(info);
  ASSERT_TRUE(route.read_until("\r\n", err)) << itest::escape(route.buffer()) << log();
  EXPECT_EQ(err, "-ERR 'Rejecting connection, cluster name \"x\" does not match \"test-cluster\"'\r\n");
  EXPECT_TRUE(route.expect_closed()) << "connection left open after rejection";
}

// An accepted route whose INFO carries our own server name is closed without
// an -ERR (nats: "Remote server has a duplicate name").
TEST_P(RouteProtocol, DuplicateServerNameClosed) {
  RawConn route;
  ASSERT_TRUE(route.connect(node_->spec().cluster_port));
  std::string hello = fake_hello("test-cluster", fresh_port());
  size_t at = hello.find("\"server_name\":\"fake\"");
  ASSERT_NE(at, std::string::npos);
  hello.replace(at, std::string("\"server_name\":\"fake\"").size(), "\"server_name\":\"R\"");
  ASSERT_TRUE(route.send(hello));
  EXPECT_TRUE(route.expect_closed()) << log();
  EXPECT_EQ(route.buffer().find("-ERR"), std::string::npos) << itest::escape(route.buffer());
}

INSTANTIATE_TEST_SUITE_P(Kinds, RouteProtocol, ::testing::Values(Kind::Ring, Kind::Stock),
                         [](const auto& i) { return std::string(kind_name(i.param)); });

}  // namespace
}  // namespace cltest
