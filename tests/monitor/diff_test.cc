// Differential: stock nats-server's monitor against ours. Two nats-server
// nodes (a route between them) on 127.0.0.1, one raw client that subscribes
// and publishes, one that subscribes and leaves; ringnats' MonitorServer is
// fed an equivalent fake snapshot. Each endpoint's key sets (recursively),
// key order and JSON value types must match, except for the differences
// listed in kAllowed; error responses must match byte for byte.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "fake_source.h"
#include "json_diff.h"
#include "monitor/http_server.h"
#include "tests/integration/harness.h"

using namespace montest;

namespace {

// "<endpoint> <json path>" entries where nats and ringnats may differ, and why.
const jsondiff::Rules kRules = {
    {
        // nats imports its system services into $G; ringnats serves none.
        "accountz?acc=$G .account_detail.imports",
    },
    // Maps whose keys are data, not schema: only their type is compared.
    {".http_req_stats"},
};

httplib::Result fetch(int port, const std::string& path) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(5);
  return cli.Get(path.c_str());
}

class Differential : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(itest::stock_bin().c_str(), X_OK) != 0) GTEST_SKIP() << "no nats-server";
    mport_ = itest::free_port();
    cport_a_ = itest::free_port();
    cport_b_ = itest::free_port();
    std::string err;
    ASSERT_TRUE(a_.start(itest::stock_bin(), 0,
                         {"-m", std::to_string(mport_), "--cluster_name", "c1", "--cluster",
                          "nats://127.0.0.1:" + std::to_string(cport_a_)},
                         &err))
        << err;
    ASSERT_TRUE(b_.start(itest::stock_bin(), 0,
                         {"--cluster_name", "c1", "--cluster",
                          "nats://127.0.0.1:" + std::to_string(cport_b_), "--routes",
                          "nats://127.0.0.1:" + std::to_string(cport_a_)},
                         &err))
        << err;
    // The route, polled through the monitor itself (bounded).
    ASSERT_TRUE(poll("/routez", [](const Json& j) { return j["num_routes"] == 1; }));

    ASSERT_TRUE(sub_.connect(a_.port()));
    std::string line, out;
    ASSERT_TRUE(sub_.read_line(line));
    ASSERT_TRUE(sub_.send(
        "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"diff\",\"lang\":\"cpp\","
        "\"version\":\"1.0\"}\r\nSUB foo 1\r\nSUB bar q 2\r\nPUB foo 2\r\nhi\r\n"));
    ASSERT_TRUE(sub_.ping_pong(out));
    itest::RawConn gone;
    ASSERT_TRUE(itest::connect_quiet(gone, a_.port(), "SUB x 1\r\n"));
    gone.close();
    // (The harness's readiness probe is a closed connection too.)
    ASSERT_TRUE(poll("/connz?state=closed", [](const Json& j) {
      return !j["connections"].empty() && j["connections"].back()["subscriptions"] == 1;
    }));
    // The route carries our subscriptions to b.
    ASSERT_TRUE(poll("/routez", [](const Json& j) {
      return j["routes"][0]["subscriptions"].get<int>() > 0;
    }));

    build_fake();
    std::string e;
    ASSERT_TRUE(ours_.start("127.0.0.1", 0, "", src_, e)) << e;
  }

  template <class Pred>
  bool poll(const std::string& path, Pred pred) {
    for (int i = 0; i < 500; ++i) {  // each try is a round trip: ~5 s at most
      auto r = fetch(mport_, path);
      if (r && r->status == 200 && pred(Json::parse(r->body))) return true;
      last_ = r ? r->body : "no answer";
      std::string out;
      if (sub_.is_open()) sub_.ping_pong(out);  // let the servers move on
      else std::this_thread::yield();
    }
    ADD_FAILURE() << path << " never became ready; last answer:\n" << last_;
    return false;
  }

  // The same world as the stock server's, as core would report it.
  void build_fake() {
    Json varz = Json::parse(fetch(mport_, "/varz")->body);
    src_.srv.connect_urls = varz["connect_urls"].get<std::vector<std::string>>();
    src_.srv.system_account = "$SYS";
    src_.srv.cluster.name = "c1";
    src_.srv.cluster.addr = "127.0.0.1";
    src_.srv.cluster.cluster_port = cport_a_;
    src_.srv.cluster.auth_timeout = 2;
    src_.srv.cluster.tls_timeout = 2;
    src_.srv.connections = 1;
    src_.srv.routes = src_.srv.remotes = 1;
    src_.stats.num_subscriptions = 3;
    src_.stats.cache_hit_rate = 0.5;
    src_.stats.avg_fanout = 1.5;
    ConnSnapshot c = make_conn(5, 2);
    c.name = "diff";
    c.lang = "cpp";
    c.version = "1.0";
    c.subs[0].subject = "foo";
    c.subs[1].subject = "bar";
    c.subs[1].queue = "q";
    src_.conns = {c};
    ConnSnapshot closed = make_conn(6, 1);
    closed.name.clear();
    closed.lang.clear();
    closed.version.clear();
    closed.subs[0].account = "$G";
    closed.stop_ns = kNow;
    closed.reason = "Client Closed";
    src_.ring.record(closed);
    RouteSnapshot r;
    r.rid = 4;
    r.remote_id = "NREMOTE";
    r.ip = "127.0.0.1";
    r.port = 40000;
    r.start_ns = kNow - kSec;
    r.last_activity_ns = kNow;
    r.num_subs = 2;
    // What a's route lists is b's interest: b's own system subscriptions, none
    // of them a queue subscription.
    r.subs = {SubDetail{"", "foo", "", "$G foo", 0, 0, 4}, SubDetail{"", "bar", "", "$G bar", 0, 0, 4}};
    src_.rts = {r};
    for (const auto& s : c.subs) {
      SubDetail d = s;
      d.account = "$G";
      src_.all_subs.push_back(d);
    }
  }

  std::string last_;
  int mport_ = 0, cport_a_ = 0, cport_b_ = 0;
  itest::ServerProcess a_, b_;
  itest::RawConn sub_;
  FakeSource src_;
  MonitorServer ours_;
};

TEST_F(Differential, SameShapeAsNatsServer) {
  const char* endpoints[] = {
      "varz", "connz", "connz?subs=1", "connz?subs=detail", "connz?state=closed&subs=detail",
      "connz?state=any&auth=1", "connz?cid=5", "connz?acc=NOPE", "routez", "routez?subs=1",
      "routez?subs=detail", "subsz", "subsz?subs=1", "subsz?subs=1&test=foo", "subscriptionsz",
      "accountz", "accountz?acc=$G", "accstatz", "accstatz?unused=1", "healthz", "gatewayz",
      "leafz", "healthz?callback=cb",
  };
  for (const char* ep : endpoints) {
    SCOPED_TRACE(ep);
    auto n = fetch(mport_, std::string("/") + ep);
    auto o = fetch(ours_.port(), std::string("/") + ep);
    ASSERT_TRUE(n && o);
    EXPECT_EQ(n->status, o->status);
    EXPECT_EQ(n->get_header_value("Content-Type"), o->get_header_value("Content-Type"));
    std::string nb = n->body, ob = o->body;
    if (n->get_header_value("Content-Type") == "application/javascript") {
      EXPECT_EQ(nb, ob);
      continue;
    }
    std::vector<std::string> diffs;
    jsondiff::compare(ep, Json::parse(nb), Json::parse(ob), "", kRules, diffs);
    for (const auto& d : diffs) ADD_FAILURE() << d << "\n--- nats:\n" << nb << "\n--- ours:\n" << ob;
  }
}

TEST_F(Differential, SameErrorsAsNatsServer) {
  const char* bad[] = {
      "connz?sort=bad", "connz?sort=stop", "connz?sort=reason&state=any", "connz?limit=x",
      "connz?offset=99999999999999999999", "connz?cid=-1", "connz?cid=1.5", "connz?state=bogus",
      "connz?subs=x", "connz?auth=2", "routez?subs=yes", "subsz?subs=y", "subsz?offset=z",
      "subsz?test=a.*", "subsz?test=a..b", "subsz?test=%3E", "accountz?acc=FOO",
      "accstatz?unused=z", "leafz?subs=z", "gatewayz?accs=z", "healthz?js-server-only=q",
      "connz?sort=bad&callback=cb", "nope", "varz/", "connz/", "connzz",
  };
  for (const char* ep : bad) {
    SCOPED_TRACE(ep);
    auto n = fetch(mport_, std::string("/") + ep);
    auto o = fetch(ours_.port(), std::string("/") + ep);
    ASSERT_TRUE(n && o);
    EXPECT_EQ(n->status, o->status);
    EXPECT_EQ(n->body, o->body);
    EXPECT_EQ(n->get_header_value("Content-Type"), o->get_header_value("Content-Type"));
  }
}

}  // namespace
