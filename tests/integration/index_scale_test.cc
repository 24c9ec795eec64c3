// The subscription index under audiences nats-server handles routinely:
// 100,000 subscriptions on one subject from one connection, and a million
// distinct subjects subscribed and unsubscribed while another client keeps
// getting answers. Bounded waits and memory, checked against the real binary.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "harness.h"

using namespace itest;

namespace {

// Sends "SUB <subject> <sid>" for sids [from, to) (subject_fmt may hold %d
// for the sid), or "UNSUB <sid>" when subject_fmt is null, in ~64 KiB sends.
bool send_range(RawConn& c, const char* subject_fmt, int from, int to) {
  std::string batch;
  char subject[64], line[128];
  for (int i = from; i < to; ++i) {
    if (subject_fmt) {
      std::snprintf(subject, sizeof(subject), subject_fmt, i);
      std::snprintf(line, sizeof(line), "SUB %s %d\r\n", subject, i);
    } else {
      std::snprintf(line, sizeof(line), "UNSUB %d\r\n", i);
    }
    batch += line;
    if (batch.size() > 65536) {
      if (!c.send(batch)) return false;
      batch.clear();
    }
  }
  return batch.empty() || c.send(batch);
}

// The server's first PING comes 2 s after CONNECT (as nats-server's does),
// and these tests may run longer on a loaded machine: what the server said
// besides its pings.
std::string without_server_pings(std::string out) {
  for (size_t at; (at = out.find("PING\r\n")) != std::string::npos;) out.erase(at, 6);
  return out;
}

}  // namespace

TEST(IndexScale, HundredThousandSubscribersOnOneSubject) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << err;
  RawConn sub, pub;
  ASSERT_TRUE(connect_quiet(sub, srv.port()));
  const int kSubs = 100000;
  ASSERT_TRUE(send_range(sub, "fan", 0, kSubs));
  std::string out;
  ASSERT_TRUE(sub.ping_pong(out, 5000)) << "100k SUBs not answered within 5 s";
  EXPECT_EQ(without_server_pings(out), "PONG\r\n");
  long peak = srv.peak_rss_kib();
  if (!sanitized()) {
    EXPECT_LT(peak, 100 * 1024) << "peak RSS " << peak << " KiB";
  }

  // One publish reaches every one of them.
  ASSERT_TRUE(connect_quiet(pub, srv.port(), "PUB fan 1\r\nx\r\n"));
  int got = 0;
  std::string line;
  while (got < kSubs && sub.read_line(line, 10000)) {
    if (line.rfind("MSG fan ", 0) == 0) ++got;
  }
  EXPECT_EQ(got, kSubs);

  // Unsubscribing them all is as cheap.
  ASSERT_TRUE(send_range(sub, nullptr, 0, kSubs));
  sub.buffer().clear();
  ASSERT_TRUE(sub.ping_pong(out, 5000));
  ASSERT_TRUE(pub.send("PUB fan 1\r\ny\r\n"));
  ASSERT_TRUE(pub.ping_pong(out));
  ASSERT_TRUE(sub.ping_pong(out));
  EXPECT_EQ(out.find("MSG"), std::string::npos) << "delivered after UNSUB";
}

TEST(IndexScale, MillionDistinctSubjectsDoNotStallOthers) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << err;
  RawConn churn, other_pub, other_sub;
  ASSERT_TRUE(connect_quiet(churn, srv.port()));
  ASSERT_TRUE(connect_quiet(other_sub, srv.port(), "SUB steady 1\r\n"));
  ASSERT_TRUE(connect_quiet(other_pub, srv.port()));
  const int kSubjects = 1000000, kStep = 50000;
  std::string out;
  for (int from = 0; from < kSubjects; from += kStep) {
    ASSERT_TRUE(send_range(churn, "d.%d", from, from + kStep));
    // Meanwhile another pair keeps being served within a bounded wait.
    ASSERT_TRUE(other_pub.send("PUB steady 2\r\nok\r\n"));
    std::string got;
    ASSERT_TRUE(other_sub.read_until("ok\r\n", got, 2000)) << "stalled at " << from;
  }
  ASSERT_TRUE(churn.ping_pong(out, 20000));
  for (int from = 0; from < kSubjects; from += kStep) {
    ASSERT_TRUE(send_range(churn, nullptr, from, from + kStep));
    ASSERT_TRUE(other_pub.send("PUB steady 2\r\nok\r\n"));
    std::string got;
    ASSERT_TRUE(other_sub.read_until("ok\r\n", got, 2000)) << "stalled at unsub " << from;
  }
  ASSERT_TRUE(churn.ping_pong(out, 20000));
  ASSERT_TRUE(other_pub.send("PUB d.123 1\r\nz\r\n"));
  ASSERT_TRUE(other_pub.ping_pong(out));
  ASSERT_TRUE(churn.ping_pong(out));
  EXPECT_EQ(without_server_pings(out), "PONG\r\n") << "delivered after UNSUB";
}
