// A subscriber that stops reading stalls the publisher that feeds it, as
// nats-server does, and nobody else: a client accepted meanwhile gets its
// INFO, an unrelated client's SUBs and PING are answered, and another
// publisher whose subscriber keeps up keeps flowing, each within a bound far
// below the stall (the stall used to hold the whole shard-to-shard ring for
// up to a second, then every publisher feeding that shard for 20 ms a
// message).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>
#include <string>
#include <cstdio>
#include <fstream>
#include <regex>
#include <unistd.h>
#include <thread>

#include "harness.h"

using namespace itest;

namespace {

const char* kKeepSlowConnected = "max_pending: 1000000000\n";

void others_answered(const std::string& bin, int shards) {
  TempConfig conf(kKeepSlowConnected);
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(bin, shards, {"-c", conf.path()}, &err)) << err;
  RawConn pub, slow;
  ASSERT_TRUE(connect_quiet(pub, srv.port()));
  ASSERT_TRUE(connect_stalled_reader(slow, srv.port(), "foo"));
  Flooder flood(pub, "foo");
  flood.wait_for_bytes(8u << 20);  // far past what the slow reader's socket holds

  std::string line, out;
  for (int k = 0; k < 8; ++k) {
    RawConn c;
    ASSERT_TRUE(c.connect(srv.port()));
    ASSERT_TRUE(c.read_line(line, 500)) << "INFO to a new client held up by a stalled subscriber";
    std::string subs = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
    for (int j = 0; j < 8; ++j) subs += "SUB q" + std::to_string(j) + " " + std::to_string(j) + "\r\n";
    ASSERT_TRUE(c.send(subs));
    ASSERT_TRUE(c.ping_pong(out, 500)) << "an unrelated client's SUB+PING held up by a stalled subscriber";
  }
}

// A second publisher on the flooder's shard, whose subscriber keeps up and
// lives on the slow subscriber's shard.
void unrelated_publisher(const std::string& bin, int shards) {
  TempConfig conf(kKeepSlowConnected);
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(bin, shards, {"-c", conf.path()}, &err)) << err;
  // Accept order alternates shards: P1 and P2 on one, S1 and S2 on the other.
  RawConn p1, s1, p2, s2;
  ASSERT_TRUE(connect_quiet(p1, srv.port()));
  ASSERT_TRUE(connect_stalled_reader(s1, srv.port(), "foo"));
  ASSERT_TRUE(connect_quiet(p2, srv.port()));
  ASSERT_TRUE(connect_quiet(s2, srv.port(), "SUB bar 1\r\n"));
  Flooder flood(p1, "foo");
  flood.wait_for_bytes(8u << 20);
  // 40 round trips P2 -> S2 within a bound far below 40 stalls of 20 ms.
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(p2.send("PUB bar 5\r\nhello\r\n"));
    ASSERT_TRUE(s2.read_until("hello\r\n", out, 2000)) << "message " << i;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  // A sanitized server is several times slower; 40 stalls would still be 800 ms.
  EXPECT_LT(ms, sanitized() ? 600 : 300) << "40 messages of a publisher whose subscriber keeps up took " << ms
                     << " ms while another publisher was stalled";
}

// A subscriber that reads only once its publisher's PING is answered (a
// client waiting for a flush, a reply, or another thread): 16 MiB, under
// nats' own stall point of max_pending/2, must not hold the publisher until
// the write deadline cuts the subscriber. nats answers at once; ringnats
// holds the publisher at its soft cap only while the subscriber reads.
void subscriber_waits_for_publisher(const std::string& bin, int shards) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(bin, shards, {}, &err)) << err;
  RawConn sub, pub;
  std::string out;
  ASSERT_TRUE(connect_quiet(sub, srv.port(), "SUB foo 1\r\n"));
  ASSERT_TRUE(sub.ping_pong(out));
  ASSERT_TRUE(connect_quiet(pub, srv.port()));
  constexpr int kMsgs = 16384;
  const std::string one = "PUB foo 1024\r\n" + std::string(1024, 'x') + "\r\n";
  std::string all;
  all.reserve(one.size() * kMsgs + 16);
  for (int i = 0; i < kMsgs; ++i) all += one;
  all += "PING\r\n";
  auto t0 = std::chrono::steady_clock::now();
  std::thread sender([&] { pub.send(all); });
  bool ponged = pub.read_until("PONG\r\n", out, 15000);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  sender.join();
  ASSERT_TRUE(ponged) << "the publisher's PING was not answered";
  EXPECT_LT(ms, sanitized() ? 8000 : 3000) << "the publisher was held " << ms << " ms";
  // Now the subscriber reads, and gets every message.
  size_t got = 0;
  const std::string head = "MSG foo 1 1024\r\n";
  while (got < kMsgs) {
    if (sub.read_some(5000) <= 0) break;
    std::string& b = sub.buffer();
    size_t pos = 0, n = 0;
    while ((n = b.find(head, pos)) != std::string::npos && n + head.size() + 1026 <= b.size()) {
      ++got;
      pos = n + head.size() + 1026;
    }
    b.erase(0, pos);
  }
  EXPECT_EQ(got, static_cast<size_t>(kMsgs));
}

// A subscriber that never reads, with no max_pending to reach: cut when its
// send is stuck past write_deadline, logged in nats' words.
std::string write_deadline_line(const std::string& bin, int shards) {
  TempConfig conf("write_deadline: \"1s\"\nmax_pending: 1000000000\n");
  const std::string log = std::string("/tmp/ringnats-wd-") + std::to_string(::getpid()) + "-" +
                          std::to_string(shards) + ".log";
  std::remove(log.c_str());
  ServerProcess srv;
  std::string err;
  if (!srv.start(bin, shards, {"-c", conf.path(), "-l", log}, &err)) return "start: " + err;
  RawConn pub, slow;
  if (!connect_quiet(pub, srv.port()) || !connect_stalled_reader(slow, srv.port(), "foo")) return "connect";
  Flooder flood(pub, "foo");
  std::string found;
  for (int i = 0; i < 1000 && found.empty(); ++i) {  // bounded: 10 s
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);)
      if (auto at = line.find("Slow Consumer Detected: "); at != std::string::npos) found = line.substr(at);
    if (found.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::remove(log.c_str());
  return found;
}

// Reads what `sub` is sent for `ms`, counting bytes into `got`; every
// `pause_every` reads (0: never) it looks away for 120 ms, longer than a
// send may take (a busy application thread). Returns "" or what went wrong:
// the connection ended, went silent for 1 s, or carried an -ERR.
std::string read_while_flooded(RawConn& sub, int ms, int pause_every, size_t& got) {
  std::string tail;  // the last bytes, so an -ERR split across reads is seen
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (int reads = 1; std::chrono::steady_clock::now() < until; ++reads) {
    long n = sub.read_some(1000);
    if (n == 0) return "the subscriber's connection ended after " + std::to_string(got) + " bytes";
    if (n < 0) return "nothing for the subscriber for 1 s after " + std::to_string(got) + " bytes";
    got += sub.buffer().size();
    tail += sub.buffer();
    sub.buffer().clear();
    if (tail.find("-ERR") != std::string::npos) return "cut: " + escape(tail.substr(tail.find("-ERR"), 60));
    tail.erase(0, tail.size() > 8 ? tail.size() - 8 : 0);
    if (pause_every && reads % pause_every == 0) std::this_thread::sleep_for(std::chrono::milliseconds(120));
  }
  return "";
}

// A subscriber that reads, slowly, behind a publisher flooding it: the
// publisher is held (nats stalls it at every publish) and the subscriber is
// never cut by max_pending. With the subscriber on another shard the stall
// used to land only after that shard asked for it, a ring hop later, and
// what the publisher's shard read meanwhile piled onto the subscriber.
std::string slow_reader_kept(const std::string& bin, int shards, const std::string& max_pending) {
  TempConfig conf(max_pending);
  ServerProcess srv;
  std::string err;
  if (!srv.start(bin, shards, {"-c", conf.path()}, &err)) return "start: " + err;
  RawConn sub, pub;
  std::string out;
  if (!connect_quiet(sub, srv.port(), "SUB foo 1\r\n") || !sub.ping_pong(out)) return "subscriber did not connect";
  out.clear();
  if (!connect_quiet(pub, srv.port())) return "publisher did not connect";  // the next shard
  size_t got = 0;
  {
    Flooder flood(pub, "foo");
    // Past a look-away the stall point is nats' own max_pending/2, so what
    // overshoots it must be small.
    if (std::string why = read_while_flooded(sub, 3000, 64, got); !why.empty()) return why;
  }
  if (got < (4u << 20)) return "read only " + std::to_string(got) + " bytes";
  // Everything queued for it, then the answer to its PING (scanned as it
  // comes: tens of MiB may be ahead of it).
  if (!sub.send("PING\r\n")) return "the subscriber's connection ended";
  std::string tail;
  for (int i = 0; i < 2000; ++i) {
    if (sub.read_some(5000) <= 0) break;
    tail += sub.buffer();
    sub.buffer().clear();
    if (tail.find("-ERR") != std::string::npos) return "cut after the flood: " + escape(tail.substr(tail.find("-ERR"), 60));
    if (tail.find("PONG\r\n") != std::string::npos) return "";
    tail.erase(0, tail.size() > 8 ? tail.size() - 8 : 0);
  }
  return "the subscriber got no PONG";
}

// A subscriber reading as fast as it can, fed by two flooding publishers,
// one on its own shard and one on another, with a small max_pending: kept,
// as nats keeps it. Its queue interleaves its own chunk (the local
// publisher's messages) with the peer's batches, and each range on a batch
// used to be charged the whole batch again: 1 KiB messages counted 64 KiB
// each, and the reader was cut within milliseconds. With three publishers
// the blocks it referenced (each charged whole) reached 1 MB by themselves:
// it references shared blocks only up to a quarter of max_pending now.
std::string fast_reader_kept(const std::string& bin, int shards, int publishers) {
  TempConfig conf("max_pending: 1MB\n");
  ServerProcess srv;
  std::string err;
  if (!srv.start(bin, shards, {"-c", conf.path()}, &err)) return "start: " + err;
  RawConn sub, pubs[3];
  std::string out;
  if (!connect_quiet(sub, srv.port(), "SUB foo 1\r\n") || !sub.ping_pong(out)) return "subscriber did not connect";
  for (int i = 0; i < publishers; ++i)
    if (!connect_quiet(pubs[i], srv.port())) return "publishers did not connect";  // accepted on shards in turn
  size_t got = 0;
  {
    std::vector<std::unique_ptr<Flooder>> floods;
    for (int i = 0; i < publishers; ++i) floods.push_back(std::make_unique<Flooder>(pubs[i], "foo"));
    if (std::string why = read_while_flooded(sub, 1500, 0, got); !why.empty()) return why;
  }
  if (got < (16u << 20)) return "read only " + std::to_string(got) + " bytes";
  return "";
}

}  // namespace

TEST(StallIsolation, StockFastReaderIsKept) {
  for (int pubs : {2, 3}) EXPECT_EQ(fast_reader_kept(stock_bin(), 0, pubs), "") << pubs << " publishers";
}
TEST(StallIsolation, FastReaderIsKeptOneShard) {
  for (int pubs : {2, 3}) EXPECT_EQ(fast_reader_kept(ringnats_bin(), 1, pubs), "") << pubs << " publishers";
}
TEST(StallIsolation, FastReaderTwoSourcesIsKeptTwoShards) { EXPECT_EQ(fast_reader_kept(ringnats_bin(), 2, 2), ""); }
TEST(StallIsolation, FastReaderThreeSourcesIsKeptFourShards) { EXPECT_EQ(fast_reader_kept(ringnats_bin(), 4, 3), ""); }

// Default max_pending (64 MiB), and a small one (4 MiB) that leaves little
// room between the stall point and the cut.
TEST(StallIsolation, StockSlowReaderIsKept) {
  for (const char* conf : {"", "max_pending: 4MB\n"}) EXPECT_EQ(slow_reader_kept(stock_bin(), 0, conf), "") << conf;
}
TEST(StallIsolation, SlowReaderIsKeptOneShard) {
  for (const char* conf : {"", "max_pending: 4MB\n"}) EXPECT_EQ(slow_reader_kept(ringnats_bin(), 1, conf), "") << conf;
}
TEST(StallIsolation, SlowReaderOnAnotherShardIsKept) {
  for (const char* conf : {"", "max_pending: 4MB\n"}) EXPECT_EQ(slow_reader_kept(ringnats_bin(), 2, conf), "") << conf;
}

TEST(StallIsolation, StockNatsServer) { others_answered(stock_bin(), 0); }
TEST(StallIsolation, UnrelatedClientsAreNotHeld) { others_answered(ringnats_bin(), 2); }
TEST(StallIsolation, StockOnlyTheFlooderWaits) { unrelated_publisher(stock_bin(), 0); }
TEST(StallIsolation, OnlyTheFlooderWaits) { unrelated_publisher(ringnats_bin(), 2); }
TEST(StallIsolation, StockSubscriberWaitingForThePublisher) { subscriber_waits_for_publisher(stock_bin(), 0); }
TEST(StallIsolation, SubscriberWaitingForThePublisherOneShard) { subscriber_waits_for_publisher(ringnats_bin(), 1); }
TEST(StallIsolation, SubscriberWaitingForThePublisherTwoShards) { subscriber_waits_for_publisher(ringnats_bin(), 2); }

TEST(StallIsolation, WriteDeadlineLogLineAsStock) {
  const std::regex want(R"(Slow Consumer Detected: WriteDeadline of 1s exceeded with \d+ chunks of \d+ total bytes\.)");
  std::string stock = write_deadline_line(stock_bin(), 0);
  EXPECT_TRUE(std::regex_match(stock, want)) << "nats-server: " << stock;
  for (int shards : {1, 2}) {
    std::string ours = write_deadline_line(ringnats_bin(), shards);
    EXPECT_TRUE(std::regex_match(ours, want)) << "ringnats: " << ours;
  }
}
