// Restart on the same port, as a supervisor does (systemd Restart=, rolling
// upgrades): once the old process has exited, the port must be free at once
// and a client must reach the new server, never an orphaned listener.
#include <gtest/gtest.h>

#include <string>

#include "harness.h"

using namespace itest;

TEST(Restart, SamePortRightAfterExit) {
  int port = free_port();
  ASSERT_NE(port, 0);
  for (int i = 0; i < 20; ++i) {
    ServerProcess srv;
    srv.pin_port(port);
    std::string err;
    ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << "restart " << i << ": " << err;
    RawConn c;
    ASSERT_TRUE(connect_quiet(c, port, "SUB x 1\r\n")) << "restart " << i;
    ASSERT_TRUE(c.send("PUB x 2\r\nhi\r\n"));
    std::string got;
    ASSERT_TRUE(c.read_until("hi\r\n", got)) << "restart " << i;
    srv.stop();  // returns once the process has been reaped
    RawConn late;
    EXPECT_FALSE(late.connect(port, 200)) << "a listener outlived the process (restart " << i << ")";
  }
}
