// What the server says when it cannot listen, next to nats-server: the same
// [FTL] line (Go's wording: IPv6 in brackets, "address already in use",
// "invalid port") and the same exit status, for the client and route ports.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "harness.h"

using namespace itest;

namespace {

struct Fatal {
  std::string line;  // after "[FTL] "
  int status = -1;
};

Fatal fatal_of(const std::string& bin, const std::string& args) {
  std::string cmd = bin + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {"popen failed", -1};
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int st = ::pclose(p);
  size_t at = out.find("[FTL] ");
  Fatal f;
  f.line = at == std::string::npos ? "(no FTL line) " + out : out.substr(at + 6, out.find('\n', at) - at - 6);
  f.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return f;
}

// A listener on the wildcard address of `family` holds the port.
int hold(int port, int family) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in6 a6{};
  sockaddr_in a4{};
  bool ok;
  if (family == AF_INET6) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(static_cast<uint16_t>(port));
    ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a6), sizeof a6) == 0;
  } else {
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a4.sin_port = htons(static_cast<uint16_t>(port));
    ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a4), sizeof a4) == 0;
  }
  if (!ok || ::listen(fd, 1) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void expect_same(const std::string& args) {
  Fatal want = fatal_of(stock_bin(), args);
  Fatal got = fatal_of(ringnats_bin(), args);
  EXPECT_EQ(got.line, want.line) << args;
  EXPECT_EQ(got.status, want.status) << args;
  EXPECT_EQ(want.status, 1) << args << ": " << want.line;
}

class Listen : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(stock_bin().c_str(), X_OK) != 0) GTEST_SKIP() << "nats-server not installed";
  }
};

TEST_F(Listen, ClientPortHeld) {
  int port = free_port();
  int fd = hold(port, AF_INET);
  ASSERT_GE(fd, 0);
  expect_same("-a 127.0.0.1 -p " + std::to_string(port));
  ::close(fd);
}

TEST_F(Listen, ClientPortHeldIPv6) {
  int port = free_port();
  int fd = hold(port, AF_INET6);
  if (fd < 0) GTEST_SKIP() << "no IPv6 here";
  expect_same("-a ::1 -p " + std::to_string(port));
  expect_same("-a :: -p " + std::to_string(port));
  ::close(fd);
}

TEST_F(Listen, PortOutOfRange) {
  for (const char* p : {"99999", "65536", "-5"}) expect_same(std::string("-a 127.0.0.1 -p ") + p);
}

TEST_F(Listen, RoutePortHeld) {
  int port = free_port(), client = free_port();
  int fd = hold(port, AF_INET);
  ASSERT_GE(fd, 0);
  expect_same("-a 127.0.0.1 -p " + std::to_string(client) + " --cluster nats://127.0.0.1:" + std::to_string(port));
  ::close(fd);
  expect_same("-a 127.0.0.1 -p " + std::to_string(client) + " --cluster nats://127.0.0.1:99999");
}

}  // namespace
