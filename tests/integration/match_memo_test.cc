// A shard remembers what a subject matched and reuses it while no
// subscription set came or went in the partitions it read (Fanout's match
// memo). A subscription made while a publisher on another shard publishes
// without pause must still get every message published after its PONG:
// here, patterns (`*`, `>`) and literals under several first tokens, so
// their partitions land on either shard, SUB and UNSUB in a loop. (The memo
// once went stale for a pattern alone in its partition: the publisher could
// see the new generation before the partition counted patterns, skip the
// trie and keep that answer.)
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "harness.h"

using namespace itest;

namespace {

const char kPrefixes[] = "abcdefgh";

std::string subscribe_while_publishing(const std::string& bin, int shards) {
  ServerProcess srv;
  std::string err;
  if (!srv.start(bin, shards, {}, &err)) return "start: " + err;
  RawConn sub, pub;
  std::string out;
  // Accepted in turn: the subscriber on one shard, the publisher on the next.
  if (!connect_quiet(sub, srv.port()) || !sub.ping_pong(out)) return "subscriber did not connect";
  if (!connect_quiet(pub, srv.port())) return "publisher did not connect";
  std::string chunk;
  for (const char* p = kPrefixes; *p; ++p)
    for (int i = 0; i < 8; ++i) chunk += std::string("PUB ") + *p + ".1 2\r\nhi\r\n";
  std::atomic<bool> stop{false};
  std::atomic<bool> pub_ok{true};
  std::thread publisher([&] {
    std::string pong;
    while (!stop.load())
      if (!pub.send(chunk) || !pub.ping_pong(pong)) {  // paced by a round trip per chunk
        pub_ok = false;
        return;
      }
  });
  std::string problem;
  for (int cycle = 0; cycle < 12 && problem.empty(); ++cycle)
    for (const char* p = kPrefixes; *p && problem.empty(); ++p)
      for (const std::string& pattern : {std::string(1, *p) + ".*", std::string(1, *p) + ".>", std::string(1, *p) + ".1"}) {
        if (!sub.send("SUB " + pattern + " 1\r\n") || !sub.ping_pong(out)) {
          problem = "no PONG after SUB " + pattern;
          break;
        }
        if (out.find("MSG ") == std::string::npos && !sub.read_until("MSG ", out, 2000)) {
          problem = "SUB " + pattern + " (cycle " + std::to_string(cycle) + ") got nothing for 2 s while its subject was published";
          break;
        }
        if (!sub.send("UNSUB 1\r\n") || !sub.ping_pong(out)) {
          problem = "no PONG after UNSUB " + pattern;
          break;
        }
        sub.buffer().clear();
      }
  stop = true;
  publisher.join();
  if (problem.empty() && !pub_ok) problem = "the publisher's connection failed";
  return problem;
}

}  // namespace

TEST(MatchMemo, StockSubscribeWhilePublishing) { EXPECT_EQ(subscribe_while_publishing(stock_bin(), 0), ""); }
TEST(MatchMemo, SubscribeWhilePublishingOneShard) { EXPECT_EQ(subscribe_while_publishing(ringnats_bin(), 1), ""); }
TEST(MatchMemo, SubscribeWhilePublishingTwoShards) { EXPECT_EQ(subscribe_while_publishing(ringnats_bin(), 2), ""); }
TEST(MatchMemo, SubscribeWhilePublishingFourShards) { EXPECT_EQ(subscribe_while_publishing(ringnats_bin(), 4), ""); }
