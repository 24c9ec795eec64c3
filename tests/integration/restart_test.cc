// Restart on the same port, as a supervisor does (systemd Restart=, rolling
// upgrades): once the old process has exited, the port must be free at once
// and a client must reach the new server, never an orphaned listener.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

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

// After kill -9 (or a crash) the kernel tears the process's io_uring down a
// few milliseconds after the exit, and the listener an accept was pending on
// lives until then: a supervisor restarting at once must still get the port.
TEST(Restart, SamePortRightAfterKillNine) {
  int port = free_port();
  ASSERT_NE(port, 0);
  for (int i = 0; i < 20; ++i) {
    ServerProcess srv;
    srv.pin_port(port);
    std::string err;
    ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << "restart " << i << ": " << err;
    std::vector<RawConn> clients(3);
    for (auto& c : clients) ASSERT_TRUE(connect_quiet(c, port, "SUB x 1\r\n")) << "restart " << i;
    ::kill(srv.pid(), SIGKILL);
    srv.stop();  // reaps it
    ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << "start right after kill -9, round " << i << ": " << err;
    RawConn c;
    ASSERT_TRUE(connect_quiet(c, port, "SUB x 1\r\n")) << "round " << i;
  }
}

// What `bin -p <port>` prints after "[FTL] " and its exit status.
static std::pair<std::string, int> fatal_of(const std::string& bin, int port) {
  std::string cmd = bin + " -a 127.0.0.1 -p " + std::to_string(port) + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {"popen failed", -1};
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int st = ::pclose(p);
  size_t at = out.find("[FTL] ");
  std::string line = at == std::string::npos ? out : out.substr(at + 6, out.find('\n', at) - at - 6);
  return {line, WIFEXITED(st) ? WEXITSTATUS(st) : -1};
}

// A port a live process holds: the same fatal line and status as nats-server
// (after ringnats' second of retries).
TEST(Restart, PortHeldByLiveProcessFailsAsNatsServer) {
  if (::access(stock_bin().c_str(), X_OK) != 0) GTEST_SKIP() << "nats-server not installed";
  int port = free_port();
  ASSERT_NE(port, 0);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  auto want = fatal_of(stock_bin(), port);
  auto got = fatal_of(ringnats_bin(), port);
  ::close(fd);
  EXPECT_EQ(got.first, want.first);
  EXPECT_EQ(got.second, want.second);
  EXPECT_NE(want.first.find("address already in use"), std::string::npos) << want.first;
}
