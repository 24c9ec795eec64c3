// Mixed clusters: ringnats and stock nats-server in one mesh (ringnats seed
// with stock members, stock seed with ringnats members, and all ringnats).
// Fan-out, queue groups, request/reply, headers, no-responders and ordering
// must hold across every route, whichever server is on either end.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "cluster_harness.h"
#include "nats_helpers.h"

namespace cltest {
namespace {

class MixedCluster : public ::testing::TestWithParam<Topology> {
 protected:
  void SetUp() override {
    std::string err;
    const auto& k = GetParam().kinds;
    ASSERT_TRUE(t_.start({k[0], k[1], k[2]}, &err)) << err;
    ASSERT_TRUE(t_.wait_mesh(&err)) << err << "\n" << t_.logs();
    for (int i = 0; i < 3; ++i) {
      nc_[i] = connect_to(t_[i].url(), &err);
      ASSERT_TRUE(nc_[i]) << err;
    }
  }
  std::string who(int i) { return t_[i].spec().name + "(" + kind_name(t_[i].spec().kind) + ")"; }

  Trio t_;
  ConnPtr nc_[3];
};

TEST_P(MixedCluster, EverySubscriberGetsEveryNodesMessages) {
  SubPtr sub[3], end[3];
  for (int j = 0; j < 3; ++j) {
    sub[j] = sub_sync(nc_[j].get(), "all.data");
    end[j] = sub_sync(nc_[j].get(), "all.end");
    ASSERT_TRUE(sub[j] && end[j]);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(await_interest(nc_[i].get(), "all.data", {sub[0].get(), sub[1].get(), sub[2].get()}))
        << "interest never reached " << who(i) << "\n" << t_.logs();
    ASSERT_TRUE(await_interest(nc_[i].get(), "all.end", {end[0].get(), end[1].get(), end[2].get()}));
  }
  for (int i = 0; i < 3; ++i) {
    std::string body = "from-" + std::to_string(i);
    ASSERT_EQ(natsConnection_PublishString(nc_[i].get(), "all.data", body.c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_PublishString(nc_[i].get(), "all.end", "end"), NATS_OK);
    ASSERT_EQ(natsConnection_FlushTimeout(nc_[i].get(), 5000), NATS_OK);
  }
  for (int j = 0; j < 3; ++j) {
    // Each publisher's end marker follows its data on the same stream.
    for (int e = 0; e < 3; ++e) ASSERT_TRUE(next_real(end[j].get())) << who(j) << " missed an end marker";
    std::multiset<std::string> got;
    while (MsgPtr m = next_real(sub[j].get(), 50)) got.insert(msg_data(m.get()));
    EXPECT_EQ(got, (std::multiset<std::string>{"from-0", "from-1", "from-2"})) << "subscriber on " << who(j);
  }
}

TEST_P(MixedCluster, QueueGroupGetsEachMessageOnceClusterWide) {
  constexpr int kPerPublisher = 300;
  SubPtr q[3], end[3];
  for (int j = 0; j < 3; ++j) {
    q[j] = sub_sync(nc_[j].get(), "work", "workers");
    end[j] = sub_sync(nc_[j].get(), "work.end");
    ASSERT_TRUE(q[j] && end[j]);
  }
  // Queue probes land on one member each: repeat until all three got some.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(await_interest(nc_[i].get(), "work", {q[0].get(), q[1].get(), q[2].get()}))
        << "queue members never all reachable from " << who(i) << "\n" << t_.logs();
    ASSERT_TRUE(await_interest(nc_[i].get(), "work.end", {end[0].get(), end[1].get(), end[2].get()}));
  }
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < kPerPublisher; ++k) {
      std::string body = "m-" + std::to_string(i) + "-" + std::to_string(k);
      ASSERT_EQ(natsConnection_PublishString(nc_[i].get(), "work", body.c_str()), NATS_OK);
    }
    ASSERT_EQ(natsConnection_PublishString(nc_[i].get(), "work.end", "end"), NATS_OK);
    ASSERT_EQ(natsConnection_FlushTimeout(nc_[i].get(), 5000), NATS_OK);
  }
  std::map<std::string, int> count;
  int per_member[3] = {0, 0, 0};
  for (int j = 0; j < 3; ++j) {
    for (int e = 0; e < 3; ++e) ASSERT_TRUE(next_real(end[j].get())) << who(j) << " missed an end marker";
    // The end markers came after every queue message on this connection.
    while (MsgPtr m = next_real(q[j].get(), 20)) {
      ++count[msg_data(m.get())];
      ++per_member[j];
    }
  }
  int dups = 0, missing = 0;
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < kPerPublisher; ++k) {
      auto it = count.find("m-" + std::to_string(i) + "-" + std::to_string(k));
      if (it == count.end()) ++missing;
      else if (it->second > 1) dups += it->second - 1;
    }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(dups, 0);
  EXPECT_EQ(count.size(), size_t(3 * kPerPublisher));
  for (int j = 0; j < 3; ++j) EXPECT_GT(per_member[j], 0) << "member on " << who(j) << " never picked";
}

void reply_cb(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  if (const char* reply = natsMsg_GetReply(msg)) {
    std::string body = "re:" + msg_data(msg);
    natsConnection_Publish(nc, reply, body.data(), static_cast<int>(body.size()));
  }
  natsMsg_Destroy(msg);
}

TEST_P(MixedCluster, RequestAnsweredByResponderOnAnotherNode) {
  for (int j = 0; j < 3; ++j) {
    natsSubscription* s = nullptr;
    std::string subj = "svc." + std::to_string(j);
    ASSERT_EQ(natsConnection_Subscribe(&s, nc_[j].get(), subj.c_str(), reply_cb, nullptr), NATS_OK);
    SubPtr keep(s);
    ASSERT_EQ(natsConnection_FlushTimeout(nc_[j].get(), 5000), NATS_OK);
    for (int i = 0; i < 3; ++i) {
      if (i == j) continue;
      std::string want = "re:ask-" + std::to_string(i);
      std::string got;
      natsStatus last = NATS_OK;
      // Until the responder's interest reaches i, the request gets 503.
      bool ok = wait_until([&] {
        natsMsg* r = nullptr;
        std::string body = "ask-" + std::to_string(i);
        last = natsConnection_RequestString(&r, nc_[i].get(), subj.c_str(), body.c_str(), 1000);
        if (last != NATS_OK) return false;
        got = msg_data(r);
        natsMsg_Destroy(r);
        return true;
      });
      ASSERT_TRUE(ok) << who(i) << " -> " << who(j) << ": " << natsStatus_GetText(last) << "\n" << t_.logs();
      EXPECT_EQ(got, want);
    }
  }
}

TEST_P(MixedCluster, HeadersCrossRoutesIntact) {
  for (int j = 0; j < 3; ++j) {
    std::string subj = "hdr." + std::to_string(j);
    SubPtr sub = sub_sync(nc_[j].get(), subj);
    ASSERT_TRUE(sub);
    for (int i = 0; i < 3; ++i) {
      if (i == j) continue;
      ASSERT_TRUE(await_interest(nc_[i].get(), subj, {sub.get()})) << who(i) << " -> " << who(j);
      natsMsg* m = nullptr;
      ASSERT_EQ(natsMsg_Create(&m, subj.c_str(), "hdr.reply", "body!", 5), NATS_OK);
      MsgPtr out(m);
      natsMsgHeader_Set(m, "X-Test", "v1");
      natsMsgHeader_Add(m, "X-Multi", "a");
      natsMsgHeader_Add(m, "X-Multi", "b c");
      ASSERT_EQ(natsConnection_PublishMsg(nc_[i].get(), m), NATS_OK);
      ASSERT_EQ(natsConnection_FlushTimeout(nc_[i].get(), 5000), NATS_OK);
      MsgPtr in = next_real(sub.get());
      ASSERT_TRUE(in) << who(i) << " -> " << who(j) << " header message lost";
      EXPECT_EQ(msg_data(in.get()), "body!");
      EXPECT_STREQ(natsMsg_GetReply(in.get()), "hdr.reply");
      const char* v = nullptr;
      ASSERT_EQ(natsMsgHeader_Get(in.get(), "X-Test", &v), NATS_OK) << who(i) << " -> " << who(j);
      EXPECT_STREQ(v, "v1");
      const char** vals = nullptr;
      int nvals = 0;
      ASSERT_EQ(natsMsgHeader_Values(in.get(), "X-Multi", &vals, &nvals), NATS_OK);
      ASSERT_EQ(nvals, 2);
      EXPECT_STREQ(vals[0], "a");
      EXPECT_STREQ(vals[1], "b c");
      free(vals);
    }
  }
}

TEST_P(MixedCluster, NoRespondersGets503) {
  // libnats view: a request nobody anywhere listens to fails fast.
  for (int i = 0; i < 3; ++i) {
    natsMsg* r = nullptr;
    natsStatus s = natsConnection_RequestString(&r, nc_[i].get(), "nobody.home", "x", 3000);
    EXPECT_EQ(s, NATS_NO_RESPONDERS) << who(i) << ": " << natsStatus_GetText(s);
    if (r) natsMsg_Destroy(r);
  }
  // Wire view: the exact status message on each node.
  for (int i = 0; i < 3; ++i) {
    RawConn c;
    ASSERT_TRUE(c.connect(t_[i].port()));
    ASSERT_TRUE(c.send("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1,\"headers\":true,"
                       "\"no_responders\":true}\r\nSUB _INBOX.raw.* 7\r\nPING\r\n"));
    std::string got;
    ASSERT_TRUE(c.read_until("PONG\r\n", got));
    ASSERT_TRUE(c.send("PUB nobody.home _INBOX.raw.1 3\r\nreq\r\nPING\r\n"));
    ASSERT_TRUE(c.read_until("PONG\r\n", got)) << who(i);
    EXPECT_NE(got.find("HMSG _INBOX.raw.1 7 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"), std::string::npos)
        << who(i) << " sent: " << itest::escape(got);
  }
  // Interest that came and went on a remote node must not block the 503.
  SubPtr gone = sub_sync(nc_[1].get(), "was.here");
  ASSERT_TRUE(await_interest(nc_[0].get(), "was.here", {gone.get()}));
  ASSERT_TRUE(await_interest(nc_[2].get(), "was.here", {gone.get()}));
  ASSERT_EQ(natsSubscription_Unsubscribe(gone.get()), NATS_OK);
  ASSERT_EQ(natsConnection_FlushTimeout(nc_[1].get(), 5000), NATS_OK);
  for (int i : {0, 2}) {
    natsStatus last = NATS_OK;
    bool ok = wait_until([&] {
      natsMsg* r = nullptr;
      last = natsConnection_RequestString(&r, nc_[i].get(), "was.here", "x", 500);
      if (r) natsMsg_Destroy(r);
      return last == NATS_NO_RESPONDERS;
    });
    EXPECT_TRUE(ok) << who(i) << " still routes was.here after RS-: " << natsStatus_GetText(last);
  }
}

// One publisher, one remote subscriber, 100,000 numbered messages in order.
void check_ordering(natsConnection* pub, natsConnection* subc, const std::string& subj, const std::string& path) {
  constexpr int kMessages = 100000;
  SubPtr sub = sub_sync(subc, subj);
  ASSERT_TRUE(sub);
  ASSERT_TRUE(await_interest(pub, subj, {sub.get()})) << path;
  char buf[16];
  for (int k = 0; k < kMessages; ++k) {
    int n = std::snprintf(buf, sizeof buf, "%d", k);
    ASSERT_EQ(natsConnection_Publish(pub, subj.c_str(), buf, n), NATS_OK) << path << " at " << k;
  }
  ASSERT_EQ(natsConnection_FlushTimeout(pub, 30000), NATS_OK) << path;
  for (int k = 0; k < kMessages; ++k) {
    MsgPtr m = next_real(sub.get(), 10000);
    ASSERT_TRUE(m) << path << ": only " << k << " of " << kMessages << " arrived";
    ASSERT_EQ(msg_data(m.get()), std::to_string(k)) << path << ": out of order at " << k;
  }
  MsgPtr extra = next_real(sub.get(), 20);
  EXPECT_FALSE(extra) << path << ": unexpected extra message " << msg_data(extra.get());
}

TEST_P(MixedCluster, PerPublisherOrderingHundredThousand) {
  for (auto [src, dst] : {std::pair{0, 1}, std::pair{1, 0}, std::pair{1, 2}}) {
    std::string path = who(src) + " -> " + who(dst);
    check_ordering(nc_[src].get(), nc_[dst].get(), "ord." + std::to_string(src) + std::to_string(dst), path);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Topologies, MixedCluster, ::testing::Values(kAllRing, kRingSeed, kStockSeed),
                         [](const auto& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace cltest
