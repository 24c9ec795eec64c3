// Real-client tests: the C client libnats 3.4.1 against a ringnats binary,
// covering what applications rely on (pub/sub, queues, requests, headers,
// limits, many connections, many subscriptions). Syncs only on flushes.
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness.h"

namespace itest {
namespace {

constexpr int64_t kWaitMs = kTimeoutMs;

// Owns a libnats connection; closed and destroyed on scope exit.
struct Conn {
  natsConnection* nc = nullptr;
  ~Conn() {
    if (nc) {
      natsConnection_Close(nc);
      natsConnection_Destroy(nc);
    }
  }
};
struct Sub {
  natsSubscription* s = nullptr;
  ~Sub() {
    if (s) natsSubscription_Destroy(s);
  }
};
struct Msg {
  natsMsg* m = nullptr;
  ~Msg() {
    if (m) natsMsg_Destroy(m);
  }
  void reset() {
    if (m) natsMsg_Destroy(m);
    m = nullptr;
  }
};

class LibNats : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    ASSERT_TRUE(srv_.start(ringnats_bin(), 2, {}, &err)) << ringnats_bin() << ": " << err;
    url_ = "nats://127.0.0.1:" + std::to_string(srv_.port());
  }
  void TearDown() override { srv_.stop(); }

  // One client connection with bounded timeouts and no reconnects.
  natsStatus connect(Conn& c, bool send_asap = false) {
    natsOptions* o = nullptr;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK) s = natsOptions_SetURL(o, url_.c_str());
    if (s == NATS_OK) s = natsOptions_SetTimeout(o, kWaitMs);
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(o, false);
    if (s == NATS_OK && send_asap) s = natsOptions_SetSendAsap(o, true);
    if (s == NATS_OK) s = natsConnection_Connect(&c.nc, o);
    natsOptions_Destroy(o);
    return s;
  }

  ServerProcess srv_;
  std::string url_;
};

std::string data_of(natsMsg* m) { return std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)); }

TEST_F(LibNats, PubSub) {
  Conn c;
  ASSERT_EQ(connect(c), NATS_OK);
  Sub sub;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub.s, c.nc, "foo"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(c.nc), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(c.nc, "foo", "hello"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(c.nc, "bar", "nobody"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(c.nc), NATS_OK);
  Msg m;
  ASSERT_EQ(natsSubscription_NextMsg(&m.m, sub.s, kWaitMs), NATS_OK);
  EXPECT_STREQ(natsMsg_GetSubject(m.m), "foo");
  EXPECT_EQ(data_of(m.m), "hello");
}

TEST_F(LibNats, PubSubAcrossConnections) {
  Conn a, b;
  ASSERT_EQ(connect(a), NATS_OK);
  ASSERT_EQ(connect(b), NATS_OK);
  Sub sub;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub.s, b.nc, "x.y"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(b.nc), NATS_OK);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(natsConnection_PublishString(a.nc, "x.y", std::to_string(i).c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(a.nc), NATS_OK);
  for (int i = 0; i < 100; ++i) {
    Msg m;
    ASSERT_EQ(natsSubscription_NextMsg(&m.m, sub.s, kWaitMs), NATS_OK) << i;
    EXPECT_EQ(data_of(m.m), std::to_string(i));
  }
}

TEST_F(LibNats, Wildcards) {
  Conn c, p;
  ASSERT_EQ(connect(c), NATS_OK);
  ASSERT_EQ(connect(p), NATS_OK);
  Sub star, gt;
  ASSERT_EQ(natsConnection_SubscribeSync(&star.s, c.nc, "a.*"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&gt.s, c.nc, "a.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(c.nc), NATS_OK);
  for (const char* subj : {"a.b", "a.b.c", "a", "b.a", "a.x"})
    ASSERT_EQ(natsConnection_PublishString(p.nc, subj, subj), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(p.nc), NATS_OK);

  auto drain = [](natsSubscription* s, int n) {
    std::vector<std::string> got;
    for (int i = 0; i < n; ++i) {
      Msg m;
      if (natsSubscription_NextMsg(&m.m, s, kWaitMs) != NATS_OK) break;
      got.push_back(natsMsg_GetSubject(m.m));
    }
    return got;
  };
  EXPECT_EQ(drain(star.s, 2), (std::vector<std::string>{"a.b", "a.x"}));
  EXPECT_EQ(drain(gt.s, 3), (std::vector<std::string>{"a.b", "a.b.c", "a.x"}));
  // Nothing else is queued behind a flush.
  ASSERT_EQ(natsConnection_Flush(c.nc), NATS_OK);
  int pending = -1;
  natsSubscription_GetPending(star.s, &pending, nullptr);
  EXPECT_EQ(pending, 0);
  natsSubscription_GetPending(gt.s, &pending, nullptr);
  EXPECT_EQ(pending, 0);
}

TEST_F(LibNats, QueueGroupDeliversEachMessageOnce) {
  constexpr int kMembers = 3, kN = 300;
  Conn members[kMembers], pub, plain_conn;
  Sub subs[kMembers], plain;
  for (int i = 0; i < kMembers; ++i) {
    ASSERT_EQ(connect(members[i]), NATS_OK);
    ASSERT_EQ(natsConnection_QueueSubscribeSync(&subs[i].s, members[i].nc, "work", "grp"), NATS_OK);
    ASSERT_EQ(natsConnection_Flush(members[i].nc), NATS_OK);
  }
  ASSERT_EQ(connect(plain_conn), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&plain.s, plain_conn.nc, "work"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(plain_conn.nc), NATS_OK);
  ASSERT_EQ(connect(pub), NATS_OK);
  for (int i = 0; i < kN; ++i)
    ASSERT_EQ(natsConnection_PublishString(pub.nc, "work", std::to_string(i).c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub.nc), NATS_OK);

  // Collect until every message arrived once; a second copy anywhere fails.
  std::multiset<std::string> seen;
  int per_member[kMembers] = {};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (static_cast<int>(seen.size()) < kN && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < kMembers; ++i) {
      Msg m;
      if (natsSubscription_NextMsg(&m.m, subs[i].s, 10) == NATS_OK) {
        seen.insert(data_of(m.m));
        ++per_member[i];
      }
    }
  }
  ASSERT_EQ(static_cast<int>(seen.size()), kN);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kN));
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_GT(per_member[i], 0) << "member " << i << " got nothing (random pick should spread)";
    ASSERT_EQ(natsConnection_Flush(members[i].nc), NATS_OK);
    int pending = -1;
    natsSubscription_GetPending(subs[i].s, &pending, nullptr);
    EXPECT_EQ(pending, 0) << "member " << i << " has extra copies";
  }
  // The plain subscriber gets every message regardless of the group.
  for (int i = 0; i < kN; ++i) {
    Msg m;
    ASSERT_EQ(natsSubscription_NextMsg(&m.m, plain.s, kWaitMs), NATS_OK) << i;
    EXPECT_EQ(data_of(m.m), std::to_string(i));
  }
}

void echo_responder(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  std::string out = data_of(msg);
  out.insert(0, "re:");
  natsConnection_Publish(nc, natsMsg_GetReply(msg), out.data(), static_cast<int>(out.size()));
  natsMsg_Destroy(msg);
}

TEST_F(LibNats, RequestReply) {
  Conn svc, cli;
  ASSERT_EQ(connect(svc), NATS_OK);
  ASSERT_EQ(connect(cli), NATS_OK);
  Sub sub;
  ASSERT_EQ(natsConnection_Subscribe(&sub.s, svc.nc, "svc.echo", echo_responder, nullptr), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(svc.nc), NATS_OK);
  for (int i = 0; i < 20; ++i) {
    Msg reply;
    std::string req = std::to_string(i);
    req.insert(req.begin(), 'q');  // not "q" + ...: g++ 12 false -Wrestrict
    ASSERT_EQ(natsConnection_RequestString(&reply.m, cli.nc, "svc.echo", req.c_str(), kWaitMs), NATS_OK) << i;
    EXPECT_EQ(data_of(reply.m), "re:" + req);
  }
}

TEST_F(LibNats, NoResponders) {
  Conn c;
  ASSERT_EQ(connect(c), NATS_OK);
  Msg reply;
  EXPECT_EQ(natsConnection_RequestString(&reply.m, c.nc, "nobody.home", "x", kWaitMs), NATS_NO_RESPONDERS);
}

TEST_F(LibNats, Headers) {
  Conn c, p;
  ASSERT_EQ(connect(c), NATS_OK);
  ASSERT_EQ(connect(p), NATS_OK);
  Sub sub;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub.s, c.nc, "hdr"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(c.nc), NATS_OK);
  Msg out;
  ASSERT_EQ(natsMsg_Create(&out.m, "hdr", nullptr, "body", 4), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(out.m, "X-Key", "value 1"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Add(out.m, "X-Multi", "a"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Add(out.m, "X-Multi", "b"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(p.nc, out.m), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(p.nc), NATS_OK);

  Msg in;
  ASSERT_EQ(natsSubscription_NextMsg(&in.m, sub.s, kWaitMs), NATS_OK);
  EXPECT_EQ(data_of(in.m), "body");
  const char* v = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(in.m, "X-Key", &v), NATS_OK);
  EXPECT_STREQ(v, "value 1");
  const char** vals = nullptr;
  int n = 0;
  ASSERT_EQ(natsMsgHeader_Values(in.m, "X-Multi", &vals, &n), NATS_OK);
  ASSERT_EQ(n, 2);
  EXPECT_STREQ(vals[0], "a");
  EXPECT_STREQ(vals[1], "b");
  free(vals);
}

TEST_F(LibNats, AutoUnsubscribe) {
  Conn c, p;
  ASSERT_EQ(connect(c), NATS_OK);
  ASSERT_EQ(connect(p), NATS_OK);
  Sub sub;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub.s, c.nc, "au"), NATS_OK);
  ASSERT_EQ(natsSubscription_AutoUnsubscribe(sub.s, 2), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(c.nc), NATS_OK);
  for (const char* d : {"1", "2", "3"}) ASSERT_EQ(natsConnection_PublishString(p.nc, "au", d), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(p.nc), NATS_OK);
  for (const char* d : {"1", "2"}) {
    Msg m;
    ASSERT_EQ(natsSubscription_NextMsg(&m.m, sub.s, kWaitMs), NATS_OK);
    EXPECT_EQ(data_of(m.m), d);
  }
  Msg m;
  EXPECT_NE(natsSubscription_NextMsg(&m.m, sub.s, 200), NATS_OK);

  // The server removed the interest too: a fresh subscriber on another
  // connection is the only one left, and the publisher gets no 503 for it.
  Sub again;
  ASSERT_EQ(natsConnection_SubscribeSync(&again.s, c.nc, "au"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(c.nc), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(p.nc, "au", "4"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(p.nc), NATS_OK);
  Msg m4;
  ASSERT_EQ(natsSubscription_NextMsg(&m4.m, again.s, kWaitMs), NATS_OK);
  EXPECT_EQ(data_of(m4.m), "4");
}

TEST_F(LibNats, MaxPayload) {
  Conn c, p;
  ASSERT_EQ(connect(c), NATS_OK);
  ASSERT_EQ(connect(p), NATS_OK);
  int64_t maxp = natsConnection_GetMaxPayload(p.nc);
  ASSERT_EQ(maxp, 1048576);
  Sub sub;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub.s, c.nc, "big"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(c.nc), NATS_OK);

  std::string body(static_cast<size_t>(maxp), '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(natsConnection_Publish(p.nc, "big", body.data(), static_cast<int>(body.size())), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(p.nc), NATS_OK);
  Msg m;
  ASSERT_EQ(natsSubscription_NextMsg(&m.m, sub.s, kWaitMs), NATS_OK);
  ASSERT_EQ(natsMsg_GetDataLength(m.m), static_cast<int>(maxp));
  EXPECT_TRUE(data_of(m.m) == body) << "1 MiB payload corrupted";

  body.push_back('x');
  EXPECT_EQ(natsConnection_Publish(p.nc, "big", body.data(), static_cast<int>(body.size())), NATS_MAX_PAYLOAD);
  // The connection is still usable after the client-side rejection.
  EXPECT_EQ(natsConnection_Flush(p.nc), NATS_OK);
}

TEST_F(LibNats, ThousandConnections) {
  constexpr int kConns = 1000;
  rlimit rl{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < 4 * kConns) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 8 * kConns);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<std::unique_ptr<Sub>> subs;
  for (int i = 0; i < kConns; ++i) {
    conns.push_back(std::make_unique<Conn>());
    subs.push_back(std::make_unique<Sub>());
    // SendAsap: no flusher thread per connection, half the threads.
    ASSERT_EQ(connect(*conns.back(), true), NATS_OK) << "connection " << i;
    ASSERT_EQ(natsConnection_SubscribeSync(&subs.back()->s, conns.back()->nc, "all"), NATS_OK);
  }
  for (auto& c : conns) ASSERT_EQ(natsConnection_Flush(c->nc), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(conns[0]->nc, "all", "hi"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(conns[0]->nc), NATS_OK);
  for (int i = 0; i < kConns; ++i) {
    Msg m;
    ASSERT_EQ(natsSubscription_NextMsg(&m.m, subs[i]->s, kWaitMs), NATS_OK) << "connection " << i;
    EXPECT_EQ(data_of(m.m), "hi");
  }
  for (int i = 0; i < kConns; ++i) {
    ASSERT_TRUE(natsConnection_Status(conns[i]->nc) == NATS_CONN_STATUS_CONNECTED) << i;
  }
  subs.clear();
  conns.clear();
}

TEST_F(LibNats, TenThousandSubscriptionsOneConnection) {
  constexpr int kSubs = 10000;
  Conn c, p;
  ASSERT_EQ(connect(c), NATS_OK);
  ASSERT_EQ(connect(p), NATS_OK);
  std::vector<std::unique_ptr<Sub>> subs;
  for (int i = 0; i < kSubs; ++i) {
    subs.push_back(std::make_unique<Sub>());
    std::string subj = "many." + std::to_string(i);
    ASSERT_EQ(natsConnection_SubscribeSync(&subs.back()->s, c.nc, subj.c_str()), NATS_OK) << i;
  }
  ASSERT_EQ(natsConnection_FlushTimeout(c.nc, 30000), NATS_OK);
  for (int i = 0; i < kSubs; ++i) {
    std::string subj = "many." + std::to_string(i);
    ASSERT_EQ(natsConnection_PublishString(p.nc, subj.c_str(), std::to_string(i).c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_FlushTimeout(p.nc, 30000), NATS_OK);
  for (int i = 0; i < kSubs; ++i) {
    Msg m;
    ASSERT_EQ(natsSubscription_NextMsg(&m.m, subs[i]->s, kWaitMs), NATS_OK) << "subject many." << i;
    EXPECT_EQ(data_of(m.m), std::to_string(i));
  }
}

}  // namespace
}  // namespace itest

// libnats keeps global threads and pools; release them after all tests.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  nats_Close();
  return rc;
}
