// JetStream in a cluster of ringnats nodes, as far as it goes today: each
// node's JetStream serves its own clients, and its internal subscriptions
// (stream subjects, $JS.API) are not announced to routes, so a publish on
// one node is stored once, by that node's stream, while ordinary
// subscribers elsewhere still get it. A clustered JetStream server needs
// server_name, with nats-server's error.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <filesystem>
#include <string>

#include "cluster_harness.h"
#include "nats_helpers.h"
#include "../integration/harness.h"

namespace cltest {
namespace {

struct Js {
  jsCtx* js = nullptr;
  ~Js() {
    if (js) jsCtx_Destroy(js);
  }
};

uint64_t stream_msgs(jsCtx* js, const char* name) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  uint64_t n = UINT64_MAX;
  if (js_GetStreamInfo(&si, js, name, nullptr, &jerr) == NATS_OK) n = si->State.Msgs;
  jsStreamInfo_Destroy(si);
  return n;
}

TEST(JetStreamCluster, EachNodeStoresItsOwnClientsOnly) {
  std::string dir_a = run_dir() + "/js-a", dir_b = run_dir() + "/js-b";
  std::filesystem::remove_all(dir_a);
  std::filesystem::remove_all(dir_b);
  NodeSpec a;
  a.name = "A";
  a.client_port = fresh_port();
  a.cluster_port = fresh_port();
  a.extra_args = {"-js", "-sd", dir_a, "-n", "A"};
  NodeSpec b = a;
  b.name = "B";
  b.client_port = fresh_port();
  b.cluster_port = fresh_port();
  b.route_ports = {a.cluster_port};
  b.extra_args = {"-js", "-sd", dir_b, "-n", "B"};
  Node na(a), nb(b);
  std::string err;
  ASSERT_TRUE(na.start(&err)) << err;
  ASSERT_TRUE(nb.start(&err)) << err;

  ConnPtr ca = connect_to(na.url(), &err), cb = connect_to(nb.url(), &err);
  ASSERT_TRUE(ca && cb) << err;
  Js ja, jb;
  ASSERT_EQ(natsConnection_JetStream(&ja.js, ca.get(), nullptr), NATS_OK);
  ASSERT_EQ(natsConnection_JetStream(&jb.js, cb.get(), nullptr), NATS_OK);
  // The same stream on both nodes: each is its node's own.
  for (jsCtx* js : {ja.js, jb.js}) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* subjects[] = {"orders.>"};
    cfg.Name = "ORDERS";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    ASSERT_EQ(js_AddStream(&si, js, &cfg, nullptr, &jerr), NATS_OK) << jerr;
    jsStreamInfo_Destroy(si);
  }
  // A plain subscriber on A sees B's publishes once the route carries its
  // interest (published until one arrives).
  SubPtr plain = sub_sync(ca.get(), "orders.probe");
  ASSERT_EQ(natsConnection_Flush(ca.get()), NATS_OK);
  ASSERT_TRUE(wait_until([&] {
    natsConnection_PublishString(cb.get(), "orders.probe", "p");
    natsConnection_Flush(cb.get());
    natsMsg* m = nullptr;
    bool got = natsSubscription_NextMsg(&m, plain.get(), 100) == NATS_OK;
    if (m) natsMsg_Destroy(m);
    return got;
  })) << na.log_tail() << nb.log_tail();
  const uint64_t a_before = stream_msgs(ja.js, "ORDERS"), b_before = stream_msgs(jb.js, "ORDERS");
  ASSERT_EQ(a_before, 0u);  // B's probes never reached A's stream
  // Acked publishes on B: stored by B's stream, and by it only.
  for (int i = 0; i < 10; ++i) {
    jsPubAck* pa = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    ASSERT_EQ(js_Publish(&pa, jb.js, "orders.x", "v", 1, nullptr, &jerr), NATS_OK) << jerr;
    jsPubAck_Destroy(pa);
  }
  EXPECT_EQ(stream_msgs(jb.js, "ORDERS"), b_before + 10);
  // A round trip through A's JetStream after B's last publish had crossed
  // the route (A's plain subscriber got it): A stored none of them.
  EXPECT_EQ(stream_msgs(ja.js, "ORDERS"), 0u);
}

TEST(JetStreamCluster, ServerNameIsRequiredAsNatsRequiresIt) {
  const std::string cmd = "timeout 10 " + bin_for(Kind::Ring) + " -js -sd " + run_dir() +
                          "/js-noname -a 127.0.0.1 -p " + std::to_string(fresh_port()) +
                          " --cluster nats://127.0.0.1:" + std::to_string(fresh_port()) + " 2>&1; echo rc=$?";
  std::string out = itest::run_shell(cmd);
  EXPECT_NE(out.find("jetstream cluster requires `server_name` to be set"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
}

}  // namespace
}  // namespace cltest
