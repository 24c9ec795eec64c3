// Cluster authorization: a route must present the configured user and
// password in CONNECT, or it gets -ERR 'Authorization Violation' and is
// closed. ringnats and stock nats-server run the same conversation.
#include <gtest/gtest.h>

#include <fstream>

#include "cluster_harness.h"

namespace cltest {
namespace {

const std::string kPeerId = "NAUTHPEER" + std::string(47, 'Y');

std::string route_connect(const std::string& creds) {
  return "CONNECT {\"echo\":true,\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"headers\":true," +
         creds + "\"name\":\"" + kPeerId + "\",\"cluster\":\"auth-cluster\"}\r\n";
}

class RouteAuth : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    NodeSpec s;
    s.kind = GetParam();
    s.name = std::string(1, 'S');  // not = "S": GCC 12 -Wrestrict false positive
    s.client_port = fresh_port();
    s.cluster_port = fresh_port();
    s.config_file = run_dir() + "/route-auth-" + kind_name(s.kind) + ".conf";
    std::ofstream(s.config_file) << "listen: 127.0.0.1:" << s.client_port << "\n"
                                 << "cluster {\n  name: auth-cluster\n  listen: 127.0.0.1:" << s.cluster_port
                                 << "\n  authorization { user: ruser, password: rpass }\n}\n";
    port_ = s.cluster_port;
    node_ = std::make_unique<Node>(s);
    std::string err;
    ASSERT_TRUE(node_->start(&err)) << err;
  }
  int port_ = 0;
  std::unique_ptr<Node> node_;
};

TEST_P(RouteAuth, WrongPasswordIsRejected) {
  RawConn r;
  ASSERT_TRUE(r.connect(port_));
  std::string info;
  ASSERT_TRUE(r.read_line(info));
  EXPECT_NE(info.find("\"auth_required\":true"), std::string::npos) << info;
  ASSERT_TRUE(r.send(route_connect("\"user\":\"ruser\",\"pass\":\"wrong\",")));
  std::string got;
  r.read_until("\r\n", got);
  EXPECT_EQ(got, "-ERR 'Authorization Violation'\r\n");
  EXPECT_TRUE(r.expect_closed()) << node_->log_tail();
  // nats' authViolation names the user only when the server has client users.
  EXPECT_TRUE(node_->wait_log(" - authentication error")) << node_->log_tail();
  EXPECT_EQ(node_->log().find("authentication error - User"), std::string::npos) << node_->log_tail();
}

TEST_P(RouteAuth, FirstOperationMustBeConnect) {
  RawConn r;
  ASSERT_TRUE(r.connect(port_));
  std::string info, got;
  ASSERT_TRUE(r.read_line(info));
  ASSERT_TRUE(r.send("PING\r\n"));
  r.read_until("\r\n", got);
  EXPECT_EQ(got, "-ERR 'Authorization Violation'\r\n");
  EXPECT_TRUE(r.expect_closed());
}

TEST_P(RouteAuth, RightPasswordIsAccepted) {
  RawConn r;
  ASSERT_TRUE(r.connect(port_));
  std::string info, got;
  ASSERT_TRUE(r.read_line(info));
  ASSERT_TRUE(r.send(route_connect("\"user\":\"ruser\",\"pass\":\"rpass\",") + "PING\r\n"));
  ASSERT_TRUE(r.read_until("PONG\r\n", got)) << got << node_->log_tail();
  EXPECT_EQ(got.find("-ERR"), std::string::npos) << got;
}

INSTANTIATE_TEST_SUITE_P(Both, RouteAuth, ::testing::Values(Kind::Ring, Kind::Stock),
                         [](const ::testing::TestParamInfo<Kind>& i) { return std::string(kind_name(i.param)); });

}  // namespace
}  // namespace cltest
