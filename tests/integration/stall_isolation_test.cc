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

}  // namespace

TEST(StallIsolation, StockNatsServer) { run(stock_bin(), 0); }
TEST(StallIsolation, UnrelatedClientsAreNotHeld) { run(ringnats_bin(), 2); }
