// Memory is bounded by configured limits and counted as really held: a slow
// subscriber's pinned blocks count against max_pending, idle RSS grows at
// most linearly with shards, and an idle connection costs a few KiB.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "harness.h"

using namespace itest;


// A subscriber on another shard that never reads, sent one tiny message per
// turn: each used to pin a whole 64 KiB batch block while only its bytes were
// counted, so RSS ran into gigabytes under a small max_pending.
TEST(Memory, SlowSubscriberPinnedBlocksAreCounted) {
  if (sanitized()) GTEST_SKIP() << "RSS bounds are for the release build";
  ServerProcess srv;
  std::string err;
  TempConfig conf("max_pending: 8MB\nwrite_deadline: \"60s\"\n");
  ASSERT_TRUE(srv.start(ringnats_bin(), 2, {"-c", conf.path()}, &err)) << err;
  // Accept order alternates shards: pub on 0, slow on 1.
  RawConn pub, slow;
  ASSERT_TRUE(connect_quiet(pub, srv.port()));
  ASSERT_TRUE(connect_quiet(slow, srv.port(), "SUB tiny 1\r\n"));
  // Fill the kernel's buffers towards the slow reader first.
  std::string big = "PUB tiny 65536\r\n" + std::string(65536, 'b') + "\r\n";
  for (int i = 0; i < 96; ++i) ASSERT_TRUE(pub.send(big));
  std::string out;
  ASSERT_TRUE(pub.ping_pong(out, 10000));
  long base = srv.rss_kib();
  std::string tiny = "PUB tiny 16\r\n0123456789abcdef\r\nPING\r\n";
  long peak = 0;
  // The slow subscriber never reads; the publisher may be stalled (as
  // nats-server stalls a fast producer) but must never be dropped.
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(pub.send(tiny));
    ASSERT_TRUE(pub.read_until("PONG\r\n", out, 5000)) << "publisher stuck at " << i;
    if (i % 1000 == 0) peak = std::max(peak, srv.rss_kib());
  }
  peak = std::max(peak, srv.rss_kib());
  EXPECT_LT(peak - base, 6 * 1024) << "server holds " << (peak - base) / 1024
                                    << " MiB for one slow subscriber with max_pending 8 MiB";
}

TEST(Memory, IdleRssGrowsLinearlyWithShards) {
  if (sanitized()) GTEST_SKIP() << "RSS bounds are for the release build";
  for (int shards : {2, 32, 64}) {
    ServerProcess srv;
    std::string err;
    ASSERT_TRUE(srv.start(ringnats_bin(), shards, {}, &err)) << err;
    RawConn c;
    ASSERT_TRUE(connect_quiet(c, srv.port()));
    long rss = srv.rss_kib();
    EXPECT_LT(rss, 4L * 1024 * shards + 8 * 1024) << shards << " shards idle at " << rss << " KiB";
    RecordProperty("idle_rss_kib_" + std::to_string(shards), std::to_string(rss));
  }
}

TEST(Memory, IdleConnectionCostsAtMostFourKiB) {
  if (sanitized()) GTEST_SKIP() << "RSS bounds are for the release build";
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << err;
  std::vector<RawConn> warm(100), conns(800);
  for (auto& c : warm) ASSERT_TRUE(connect_quiet(c, srv.port(), "SUB w 1\r\n"));
  long before = srv.rss_kib();
  for (auto& c : conns) ASSERT_TRUE(connect_quiet(c, srv.port(), "SUB w 1\r\n"));
  long after = srv.rss_kib();
  double per_conn = (after - before) * 1024.0 / static_cast<double>(conns.size());
  RecordProperty("idle_bytes_per_connection", std::to_string(static_cast<long>(per_conn)));
  EXPECT_LE(per_conn, 4096.0) << "each idle connection holds " << per_conn << " bytes";
}
