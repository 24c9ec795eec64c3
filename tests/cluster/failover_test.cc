// Failure handling: a ringnats node is killed with SIGKILL; the survivors keep
// serving, the node comes back on the same ports and the mesh heals, and a
// libnats client that only knew the dead node fails over via connect_urls.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "cluster_harness.h"
#include "nats_helpers.h"

namespace cltest {
namespace {

class Failover : public ::testing::TestWithParam<Topology> {
 protected:
  void SetUp() override {
    std::string err;
    const auto& k = GetParam().kinds;
    ASSERT_TRUE(t_.start({k[0], k[1], k[2]}, &err)) << err;
    ASSERT_TRUE(t_.wait_mesh(&err)) << err << "\n" << t_.logs();
    victim_ = k[0] == Kind::Ring ? 0 : 1;  // the first ringnats node
    s1_ = (victim_ + 1) % 3;
    s2_ = (victim_ + 2) % 3;
  }
  std::string who(int i) { return t_[i].spec().name + "(" + kind_name(t_[i].spec().kind) + ")"; }

  // Subscriber on `to`, probes from `from` until delivered.
  void expect_flow(int from, int to, const std::string& subj) {
    std::string err;
    ConnPtr a = connect_to(t_[from].url(), &err);
    ASSERT_TRUE(a) << err;
    ConnPtr b = connect_to(t_[to].url(), &err);
    ASSERT_TRUE(b) << err;
    SubPtr sub = sub_sync(b.get(), subj);
    ASSERT_TRUE(sub);
    EXPECT_TRUE(await_interest(a.get(), subj, {sub.get()}))
        << who(from) << " -> " << who(to) << " never delivered\n" << t_.logs();
  }

  Trio t_;
  int victim_ = 0, s1_ = 1, s2_ = 2;
};

TEST_P(Failover, SurvivorsServeAndRestartedNodeRejoins) {
  // Interest that lived only on the victim must vanish with it.
  std::string err;
  ConnPtr vc = connect_to(t_[victim_].url(), &err);
  ASSERT_TRUE(vc) << err;
  SubPtr only = sub_sync(vc.get(), "only.victim");
  ConnPtr sc = connect_to(t_[s1_].url(), &err);
  ASSERT_TRUE(sc) << err;
  ASSERT_TRUE(await_interest(sc.get(), "only.victim", {only.get()}));

  t_[victim_].kill9();
  natsStatus last = NATS_OK;
  EXPECT_TRUE(wait_until([&] {
    natsMsg* r = nullptr;
    last = natsConnection_RequestString(&r, sc.get(), "only.victim", "x", 500);
    if (r) natsMsg_Destroy(r);
    return last == NATS_NO_RESPONDERS;
  })) << who(s1_) << " kept the dead node's interest: " << natsStatus_GetText(last);
  only.reset();
  vc.reset();

  expect_flow(s1_, s2_, "surv.a");
  expect_flow(s2_, s1_, "surv.b");
  EXPECT_TRUE(t_.wait_mesh(&err)) << "survivors still advertise the dead node: " << err;

  ASSERT_TRUE(t_[victim_].start(&err)) << "restart on the same ports failed: " << err;
  ASSERT_TRUE(t_.wait_mesh(&err)) << "mesh not whole after restart: " << err << "\n" << t_.logs();
  for (int other : {s1_, s2_}) {
    expect_flow(victim_, other, "back.out." + std::to_string(other));
    expect_flow(other, victim_, "back.in." + std::to_string(other));
  }
}

TEST_P(Failover, ClientOnKilledNodeFailsOverAndKeepsReceiving) {
  nats_init();
  natsOptions* o = nullptr;
  ASSERT_EQ(natsOptions_Create(&o), NATS_OK);
  OptsPtr opts(o);
  natsOptions_SetURL(o, t_[victim_].url().c_str());
  natsOptions_SetTimeout(o, 1000);
  natsOptions_SetReconnectWait(o, 20);
  natsOptions_SetReconnectJitter(o, 0, 0);
  natsOptions_SetMaxReconnect(o, 1000);
  natsConnection* raw = nullptr;
  ASSERT_EQ(natsConnection_Connect(&raw, o), NATS_OK);
  ConnPtr nc(raw);

  // The only way this client can learn the other members is INFO connect_urls.
  int discovered = 0;
  EXPECT_TRUE(wait_until([&] {
    char** servers = nullptr;
    int count = 0;
    if (natsConnection_GetDiscoveredServers(nc.get(), &servers, &count) != NATS_OK) return false;
    for (int i = 0; i < count; ++i) free(servers[i]);
    free(servers);
    discovered = count;
    return count >= 2;
  })) << "client learned " << discovered << " other servers from " << who(victim_);

  SubPtr sub = sub_sync(nc.get(), "fo.data");
  ASSERT_TRUE(sub);
  std::string err;
  ConnPtr p1 = connect_to(t_[s1_].url(), &err);
  ASSERT_TRUE(p1) << err;
  ConnPtr p2 = connect_to(t_[s2_].url(), &err);
  ASSERT_TRUE(p2) << err;
  ASSERT_TRUE(await_interest(p1.get(), "fo.data", {sub.get()}));

  t_[victim_].kill9();
  char url[256] = {0};
  char dead[32];
  std::snprintf(dead, sizeof dead, ":%d", t_[victim_].port());
  bool moved = wait_until([&] {
    if (natsConnection_Status(nc.get()) != NATS_CONN_STATUS_CONNECTED) return false;
    url[0] = 0;
    natsConnection_GetConnectedUrl(nc.get(), url, sizeof url);
    return std::strstr(url, dead) == nullptr;
  });
  ASSERT_TRUE(moved) << "client did not reconnect elsewhere (status " << natsConnection_Status(nc.get()) << ")";

  // The resubscribed interest reaches both survivors; real data follows.
  ASSERT_TRUE(await_interest(p1.get(), "fo.data", {sub.get()})) << "via " << url << "\n" << t_.logs();
  ASSERT_TRUE(await_interest(p2.get(), "fo.data", {sub.get()})) << "via " << url << "\n" << t_.logs();
  for (auto* p : {p1.get(), p2.get()}) {
    ASSERT_EQ(natsConnection_PublishString(p, "fo.data", "after-failover"), NATS_OK);
    ASSERT_EQ(natsConnection_FlushTimeout(p, 5000), NATS_OK);
    MsgPtr m = next_real(sub.get());
    ASSERT_TRUE(m) << "message lost after failover to " << url;
    EXPECT_EQ(msg_data(m.get()), "after-failover");
  }
}

INSTANTIATE_TEST_SUITE_P(Topologies, Failover, ::testing::Values(kAllRing, kRingSeed, kStockSeed),
                         [](const auto& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace cltest
