// A subscriber that stops reading stalls the publisher that feeds it, as
// nats-server does, and nobody else: a client accepted meanwhile gets its
// INFO, and an unrelated client's SUBs and PING are answered, within a
// bound far below the stall (the stall used to hold the whole shard-to-shard
// ring, and every control record behind it, for up to a second).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "harness.h"

using namespace itest;

namespace {

void run(const std::string& bin, int shards) {
  ServerProcess srv;
  std::string err;
  std::string conf = "/tmp/stall-isolation-" + std::to_string(::getpid()) + ".conf";
  FILE* f = std::fopen(conf.c_str(), "w");
  std::fputs("max_pending: 1000000000\n", f);  // keep the slow subscriber connected
  std::fclose(f);
  ASSERT_TRUE(srv.start(bin, shards, {"-c", conf}, &err)) << err;

  RawConn pub, slow;
  ASSERT_TRUE(connect_quiet(pub, srv.port()));
  ASSERT_TRUE(slow.connect(srv.port()));
  int small = 4096;
  setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  std::string line, out;
  ASSERT_TRUE(slow.read_line(line));
  ASSERT_TRUE(slow.send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB foo 1\r\n"));
  ASSERT_TRUE(slow.ping_pong(out));

  // Flood until 8 MiB have been accepted by the server (or a second has
  // passed): far past what the slow reader's socket holds, so the publisher
  // is being stalled.
  std::atomic<bool> stop{false};
  std::atomic<size_t> sent{0};
  std::thread flood([&] {
    std::string m;
    for (int i = 0; i < 64; ++i) m += "PUB foo 1000\r\n" + std::string(1000, 'x') + "\r\n";
    size_t off = 0;
    while (!stop.load()) {
      ssize_t n = ::send(pub.fd(), m.data() + off, m.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        std::this_thread::yield();
        continue;
      }
      off = (off + static_cast<size_t>(n)) % m.size();
      sent += static_cast<size_t>(n);
    }
  });
  for (int i = 0; i < 1000 && sent.load() < (8u << 20); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // bounded poll on the flood


  for (int k = 0; k < 8; ++k) {
    RawConn c;
    ASSERT_TRUE(c.connect(srv.port()));
    ASSERT_TRUE(c.read_line(line, 500)) << "INFO to a new client held up by a stalled subscriber";
    std::string subs = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
    for (int j = 0; j < 8; ++j) subs += "SUB q" + std::to_string(j) + " " + std::to_string(j) + "\r\n";
    ASSERT_TRUE(c.send(subs));
    ASSERT_TRUE(c.ping_pong(out, 500)) << "an unrelated client's SUB+PING held up by a stalled subscriber";
  }
  stop = true;
  flood.join();
  std::remove(conf.c_str());
}

// A second publisher on the flooder's shard, whose subscriber keeps up and
// lives on the slow subscriber's shard, is not stalled: only the publisher
// that reaches the slow subscriber is (the stall once covered every
// publisher feeding that shard, and each message waited out ~20 ms).
void unrelated_publisher(const std::string& bin, int shards) {
  ServerProcess srv;
  std::string err;
  std::string conf = "/tmp/stall-isolation2-" + std::to_string(::getpid()) + ".conf";
  FILE* f = std::fopen(conf.c_str(), "w");
  std::fputs("max_pending: 1000000000\n", f);
  std::fclose(f);
  ASSERT_TRUE(srv.start(bin, shards, {"-c", conf}, &err)) << err;
  // Accept order alternates shards: P1 and P2 on one, S1 and S2 on the other.
  RawConn p1, s1, p2, s2;
  std::string line, out;
  ASSERT_TRUE(connect_quiet(p1, srv.port()));
  ASSERT_TRUE(s1.connect(srv.port()));
  int small = 4096;
  setsockopt(s1.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  ASSERT_TRUE(s1.read_line(line));
  ASSERT_TRUE(s1.send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB foo 1\r\n"));
  ASSERT_TRUE(s1.ping_pong(out));
  ASSERT_TRUE(connect_quiet(p2, srv.port()));
  ASSERT_TRUE(connect_quiet(s2, srv.port(), "SUB bar 1\r\n"));

  std::atomic<bool> stop{false};
  std::atomic<size_t> sent{0};
  std::thread flood([&] {
    std::string m;
    for (int i = 0; i < 64; ++i) m += "PUB foo 1000\r\n" + std::string(1000, 'x') + "\r\n";
    size_t off = 0;
    while (!stop.load()) {
      ssize_t n = ::send(p1.fd(), m.data() + off, m.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        std::this_thread::yield();
        continue;
      }
      off = (off + static_cast<size_t>(n)) % m.size();
      sent += static_cast<size_t>(n);
    }
  });
  for (int i = 0; i < 1000 && sent.load() < (8u << 20); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // bounded poll on the flood
  // 40 round trips P2 -> S2 within a bound far below 40 stalls of 20 ms.
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(p2.send("PUB bar 5\r\nhello\r\n"));
    ASSERT_TRUE(s2.read_until("hello\r\n", out, 2000)) << "message " << i;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  stop = true;
  flood.join();
  std::remove(conf.c_str());
  EXPECT_LT(ms, 300) << "40 messages of a publisher whose subscriber keeps up took " << ms
                     << " ms while another publisher was stalled";
}

TEST(StallIsolation, StockNatsServer) { run(stock_bin(), 0); }
TEST(StallIsolation, UnrelatedClientsAreNotHeld) { run(ringnats_bin(), 2); }
TEST(StallIsolation, StockOnlyTheFlooderWaits) { unrelated_publisher(stock_bin(), 0); }
TEST(StallIsolation, OnlyTheFlooderWaits) { unrelated_publisher(ringnats_bin(), 2); }

}  // namespace
