// Cross-shard ordering: one publisher, a '>' subscriber and a subscriber with
// ten literal subscriptions, each accepted onto a different shard, must all
// see the publisher's stream in the order it was written.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace itest {
namespace {

constexpr int kMessages = 100000;
constexpr int kSubjects = 10;
constexpr auto kBound = std::chrono::seconds(60);

const std::string kQuiet = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";

std::string subject(int i) { return "ord.s" + std::to_string(i % kSubjects); }

std::string payload(int seq) {
  char b[16];
  std::snprintf(b, sizeof b, "%08d", seq);
  return b;
}

// What a reader thread found; the first broken expectation stops it.
struct ReadResult {
  int received = 0;
  std::string error;
};

// Reads MSG frames until kMessages arrived in sequence, something is out of
// order, or the deadline passes. per_subject_sids: sid is subject index + 1.
void read_in_order(RawConn& c, bool per_subject_sids, std::chrono::steady_clock::time_point deadline,
                   ReadResult& out) {
  std::vector<std::string> frames;
  while (out.received < kMessages) {
    if (std::chrono::steady_clock::now() >= deadline) {
      out.error = "timed out after " + std::to_string(out.received) + " messages";
      return;
    }
    long n = c.read_some(1000);
    if (n == 0) {
      out.error = "server closed the connection after " + std::to_string(out.received) + " messages";
      return;
    }
    frames.clear();
    size_t used = split_frames(c.buffer(), frames);
    c.buffer().erase(0, used);
    for (const auto& f : frames) {
      if (f == "PING\r\n") {
        c.send("PONG\r\n");
        continue;
      }
      int seq = out.received;
      std::string sid = per_subject_sids ? std::to_string(seq % kSubjects + 1) : "1";
      std::string want = "MSG " + subject(seq) + " " + sid + " 8\r\n" + payload(seq) + "\r\n";
      if (f != want) {
        out.error = "message " + std::to_string(seq) + ": want " + escape(want) + " got " + escape(f);
        return;
      }
      ++out.received;
    }
  }
}

bool handshake(RawConn& c, int port, const std::string& subs) {
  std::string line, pong;
  if (!c.connect(port) || !c.read_line(line)) return false;
  if (!c.send(kQuiet + subs)) return false;
  return c.ping_pong(pong) && pong == "PONG\r\n";
}

// The flush pattern applications rely on: a publisher's PING answered, then
// a subscriber's PING; every message published before the first PONG must
// reach the subscriber before the second, wherever each client's shard is
// (stock nats-server delivers inline, so it always holds there).
void flush_then_flush(const std::string& bin, int shards) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(bin, shards, {}, &err)) << err;
  // Accept order spreads the clients over the shards: one publisher, and a
  // subscriber on each other shard.
  RawConn pub;
  ASSERT_TRUE(connect_quiet(pub, srv.port()));
  std::vector<RawConn> subs(static_cast<size_t>(std::max(shards, 2)));
  std::string out;
  for (auto& c : subs) {
    ASSERT_TRUE(connect_quiet(c, srv.port(), "SUB flush.x 1\r\n"));
    ASSERT_TRUE(c.ping_pong(out));
  }
  int late = 0;
  for (int round = 0; round < 300; ++round) {
    const int n = 1 + round % 7;
    std::string burst;
    for (int i = 0; i < n; ++i) burst += "PUB flush.x 4\r\n" + payload(round).substr(4) + "\r\n";
    ASSERT_TRUE(pub.send(burst));
    ASSERT_TRUE(pub.ping_pong(out));
    for (auto& c : subs) {
      ASSERT_TRUE(c.ping_pong(out)) << "round " << round;
      size_t got = 0;
      for (size_t at = out.find("MSG flush.x"); at != std::string::npos; at = out.find("MSG flush.x", at + 1)) ++got;
      if (got != static_cast<size_t>(n)) {
        ++late;
        // Collect the stragglers so the next round starts clean.
        while (got < static_cast<size_t>(n) && c.read_until("\r\n" + payload(round).substr(4) + "\r\n", out, 2000))
          ++got;
      }
    }
  }
  EXPECT_EQ(late, 0) << "rounds where a subscriber's PONG came before messages published earlier";
}

TEST(Ordering, StockFlushThenFlush) { flush_then_flush(stock_bin(), 0); }
TEST(Ordering, FlushThenFlushTwoShards) { flush_then_flush(ringnats_bin(), 2); }
TEST(Ordering, FlushThenFlushFourShards) { flush_then_flush(ringnats_bin(), 4); }

TEST(Ordering, ThreeShardsOnePublisherTwoSubscribers) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 3, {}, &err)) << ringnats_bin() << ": " << err;

  // Accept order decides the shard (round-robin). The harness's readiness
  // probe took one slot, but any three consecutive accepts still land the
  // publisher, the '>' subscriber and the literal subscriber on three shards.
  RawConn pub, wild, lit;
  ASSERT_TRUE(handshake(pub, srv.port(), ""));
  ASSERT_TRUE(handshake(wild, srv.port(), "SUB > 1\r\n"));
  std::string subs;
  for (int i = 0; i < kSubjects; ++i) subs += "SUB " + subject(i) + " " + std::to_string(i + 1) + "\r\n";
  ASSERT_TRUE(handshake(lit, srv.port(), subs));

  auto deadline = std::chrono::steady_clock::now() + kBound;
  ReadResult rw, rl;
  std::thread tw([&] { read_in_order(wild, false, deadline, rw); });
  std::thread tl([&] { read_in_order(lit, true, deadline, rl); });

  // Publish in batches of 1000 PUBs per send.
  bool sent = true;
  std::string batch;
  for (int seq = 0; seq < kMessages && sent; ++seq) {
    batch += "PUB " + subject(seq) + " 8\r\n" + payload(seq) + "\r\n";
    if ((seq + 1) % 1000 == 0 || seq + 1 == kMessages) {
      sent = pub.send(batch);
      batch.clear();
    }
  }
  EXPECT_TRUE(sent) << "publisher send failed";
  std::string pong;
  EXPECT_TRUE(pub.ping_pong(pong, 60000)) << "publisher PING/PONG after the stream";

  tw.join();
  tl.join();
  EXPECT_EQ(rw.error, "") << "'>' subscriber";
  EXPECT_EQ(rw.received, kMessages);
  EXPECT_EQ(rl.error, "") << "literal subscriber";
  EXPECT_EQ(rl.received, kMessages);

  // Nothing extra after the stream: each subscriber's next frame is our PONG.
  for (RawConn* c : {&wild, &lit}) {
    if (!c->is_open() || c->closed()) continue;
    std::string rest;
    EXPECT_TRUE(c->ping_pong(rest));
    EXPECT_EQ(escape(rest), "PONG\\r\\n");
  }
}

}  // namespace
}  // namespace itest
