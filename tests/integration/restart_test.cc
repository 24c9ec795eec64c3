// Restart on the same port, as a supervisor does (systemd Restart=, rolling
// upgrades): once the old process has exited, the port must be free at once
// and a client must reach the new server, never an orphaned listener.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "harness.h"

using namespace itest;

namespace {

// `rounds` times: a server started on one fixed port, handed to `round`.
template <class F>
void on_one_port(int rounds, F round) {
  int port = free_port();
  ASSERT_NE(port, 0);
  for (int i = 0; i < rounds && !::testing::Test::HasFatalFailure(); ++i) {
    ServerProcess srv;
    srv.pin_port(port);
    std::string err;
    ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << "round " << i << ": " << err;
    round(srv, port, i);
  }
}

}  // namespace

TEST(Restart, SamePortRightAfterExit) {
  on_one_port(20, [](ServerProcess& srv, int port, int i) {
    RawConn c;
    ASSERT_TRUE(connect_quiet(c, port, "SUB x 1\r\n")) << "restart " << i;
    ASSERT_TRUE(c.send("PUB x 2\r\nhi\r\n"));
    std::string got;
    ASSERT_TRUE(c.read_until("hi\r\n", got)) << "restart " << i;
    srv.stop();  // returns once the process has been reaped
    RawConn late;
    EXPECT_FALSE(late.connect(port, 200)) << "a listener outlived the process (restart " << i << ")";
  });
}

// After kill -9 (or a crash) the kernel tears the process's io_uring down a
// few milliseconds after the exit, and the listener an accept was pending on
// lives until then: a supervisor restarting at once must still get the port.
TEST(Restart, SamePortRightAfterKillNine) {
  on_one_port(20, [](ServerProcess& srv, int port, int i) {
    std::vector<RawConn> clients(3);
    for (auto& c : clients) ASSERT_TRUE(connect_quiet(c, port, "SUB x 1\r\n")) << "round " << i;
    ::kill(srv.pid(), SIGKILL);
    srv.stop();  // reaps it
    std::string err;
    ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << "start right after kill -9, round " << i << ": " << err;
    RawConn c;
    ASSERT_TRUE(connect_quiet(c, port, "SUB x 1\r\n")) << "round " << i;
  });
}
