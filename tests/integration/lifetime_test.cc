// Connection lifetime against the real binary: a connection closed while its
// input is being parsed must free its slot exactly once, so the next clients
// on that shard never inherit its identity, its subscriptions or another
// live client's messages. Bytes in, bytes out, synchronised on PING/PONG.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.h"

using namespace itest;

namespace {

// Lines that make nats-server close the connection while the parser is in
// the middle of the read that carried them.
const std::vector<std::string> kClosingInputs = {
    "SUB a b c d\r\n",
    "CONNECT {bad json\r\n",
    "PUB foo x\r\n",
    "UNSUB\r\n",
    "MSG foo 1 2\r\nhi\r\n",
    "HPUB foo 2 1\r\n",
};

class Lifetime : public ::testing::TestWithParam<std::string> {};

// One shard, so every connection shares the slot table.
TEST_P(Lifetime, ClosedSlotIsNeverHandedToTwoConnections) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 1, {}, &err)) << err;

  for (int round = 0; round < 3; ++round) {
    RawConn x;
    ASSERT_TRUE(x.connect(srv.port()));
    std::string line;
    ASSERT_TRUE(x.read_line(line));
    ASSERT_TRUE(x.send(GetParam()));
    EXPECT_TRUE(x.expect_closed()) << "server kept a connection nats-server closes";

    RawConn a, b, pub;
    ASSERT_TRUE(connect_quiet(a, srv.port(), "SUB secret 7\r\n"));
    ASSERT_TRUE(connect_quiet(b, srv.port()));
    ASSERT_TRUE(connect_quiet(pub, srv.port(), "PUB secret 5\r\nhello\r\n"));
    std::string got_a, got_b, out;
    ASSERT_TRUE(a.read_until("hello\r\n", got_a)) << "subscriber lost its message";
    EXPECT_EQ(got_a, "MSG secret 7 5\r\nhello\r\n");
    ASSERT_TRUE(b.ping_pong(got_b)) << "second client lost its PONG";
    EXPECT_EQ(got_b, "PONG\r\n") << "a client that subscribed to nothing got: " << escape(got_b);
    ASSERT_TRUE(a.ping_pong(out));
    EXPECT_EQ(out, "PONG\r\n");
  }
}

INSTANTIATE_TEST_SUITE_P(BadInput, Lifetime, ::testing::ValuesIn(kClosingInputs));

// Two connections accepted in one turn right after such a close must get
// distinct slots (the double release handed both the same one).
TEST(LifetimeBurst, ManyConnectsAfterCloseStayDistinct) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 1, {}, &err)) << err;
  for (int round = 0; round < 5; ++round) {
    {
      RawConn x;
      ASSERT_TRUE(x.connect(srv.port()));
      std::string line;
      ASSERT_TRUE(x.read_line(line));
      ASSERT_TRUE(x.send("SUB a b c d\r\n"));
      EXPECT_TRUE(x.expect_closed());
    }
    std::vector<RawConn> conns(8);
    for (auto& c : conns) ASSERT_TRUE(c.connect(srv.port()));
    for (size_t i = 0; i < conns.size(); ++i) {
      std::string line, out;
      ASSERT_TRUE(conns[i].read_line(line));
      ASSERT_TRUE(conns[i].send("CONNECT {\"verbose\":false}\r\nSUB s." + std::to_string(i) + " 1\r\n"));
      ASSERT_TRUE(conns[i].ping_pong(out)) << "connection " << i;
    }
    RawConn pub;
    ASSERT_TRUE(connect_quiet(pub, srv.port()));
    std::string burst;
    for (size_t i = 0; i < conns.size(); ++i) burst += "PUB s." + std::to_string(i) + " 1\r\nx\r\n";
    ASSERT_TRUE(pub.send(burst));
    for (size_t i = 0; i < conns.size(); ++i) {
      std::string got, out;
      ASSERT_TRUE(conns[i].read_until("x\r\n", got)) << "connection " << i;
      EXPECT_EQ(got, "MSG s." + std::to_string(i) + " 1 1\r\nx\r\n");
      ASSERT_TRUE(conns[i].ping_pong(out));
      EXPECT_EQ(out, "PONG\r\n") << "connection " << i << " got another's message";
    }
  }
}

}  // namespace
