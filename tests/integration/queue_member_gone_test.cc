// A queue-group message must reach exactly one member while any member can
// take it (found by the adversarial review of issue #7). nats-server
// skips a member that has reached its auto-unsubscribe max and delivers to
// the next one; a message picked for a member that is already gone must not
// be dropped while another member is subscribed.
#include <gtest/gtest.h>

#include <string>

#include "harness.h"

using namespace itest;

namespace {

size_t count_msgs(const std::string& s) {
  size_t n = 0;
  for (size_t p = s.find("MSG "); p != std::string::npos; p = s.find("MSG ", p + 4)) ++n;
  return n;
}

std::string drain(RawConn& c) {
  std::string all;
  while (c.read_some(300) > 0) {
  }
  all.swap(c.buffer());
  return all;
}

void run(const std::string& bin, int shards, const char* subject) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(bin, shards, {}, &err)) << err;
  constexpr int kN = 1000;
  RawConn pub, a, b;
  std::string subj(subject);
  ASSERT_TRUE(connect_quiet(pub, srv.port()));
  ASSERT_TRUE(connect_quiet(a, srv.port(), "SUB " + subj + " g 1\r\nUNSUB 1 1\r\n"));
  ASSERT_TRUE(connect_quiet(b, srv.port(), "SUB " + subj + " g 1\r\n"));
  std::string burst;
  for (int i = 0; i < kN; ++i) burst += "PUB " + subj + " 1\r\nx\r\n";
  ASSERT_TRUE(pub.send(burst));
  std::string out;
  ASSERT_TRUE(pub.ping_pong(out));
  // Every delivery is queued by now on the publisher's side; let them land.
  std::string ga = drain(a), gb = drain(b);
  EXPECT_EQ(count_msgs(ga), 1u);
  EXPECT_EQ(count_msgs(ga) + count_msgs(gb), static_cast<size_t>(kN))
      << "queue-group messages lost: A got " << count_msgs(ga) << ", B got " << count_msgs(gb);
}

TEST(QueueMemberGone, StockNatsServerDeliversEveryMessage) { run(stock_bin(), 0, "work"); }

TEST(QueueMemberGone, AutoUnsubscribedMemberDoesNotSwallowMessagesOneShard) {
  run(ringnats_bin(), 1, "work");
}

TEST(QueueMemberGone, AutoUnsubscribedMemberDoesNotSwallowMessagesTwoShards) {
  for (const char* s : {"work", "foo", "bar", "baz"}) run(ringnats_bin(), 2, s);
}

}  // namespace
