// TLS routes in mixed clusters: ringnats beside stock nats-server, every
// route inside TLS (the handshake first, then CONNECT and INFO, as nats 2.9;
// the dialing side verifies the peer against the CA). Messages cross every
// route both ways; a killed TLS peer comes back; a peer with a certificate
// from another CA, or without TLS, does not get in.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>

#include "../cluster/cluster_harness.h"
#include "../cluster/nats_helpers.h"

namespace cltest {
namespace {

itest::TestCerts* g_certs = nullptr;

struct TlsFiles {
  std::string cert, key, ca;
};

TlsFiles good() { return {g_certs->server_cert(), g_certs->server_key(), g_certs->ca()}; }

// `cluster_extra` goes into the cluster block, `tls_extra` into its tls block.
std::unique_ptr<Node> make_node(Kind kind, const std::string& name, int seed_cluster_port, const TlsFiles* tls,
                                int client_port = 0, int cluster_port = 0, const std::string& cluster_extra = "",
                                const std::string& tls_extra = "") {
  NodeSpec s;
  s.kind = kind;
  s.name = name;
  s.client_port = client_port ? client_port : fresh_port();
  s.cluster_port = cluster_port ? cluster_port : fresh_port();
  s.config_file = run_dir() + "/tls-" + name + "-" + kind_name(kind) + ".conf";
  std::ofstream f(s.config_file);
  f << "listen: 127.0.0.1:" << s.client_port << "\nserver_name: " << name << "\ncluster {\n  name: tls-cluster\n"
    << "  listen: 127.0.0.1:" << s.cluster_port << "\n";
  if (seed_cluster_port) f << "  routes: [nats-route://127.0.0.1:" << seed_cluster_port << "]\n";
  if (tls)
    f << "  tls { cert_file: \"" << tls->cert << "\", key_file: \"" << tls->key << "\", ca_file: \"" << tls->ca
      << "\", timeout: 2 " << tls_extra << "}\n";
  f << cluster_extra << "}\n";
  return std::make_unique<Node>(s);
}

// Nodes that were refused a route: a subscriber on `to` sees nothing of
// what a client of `from` publishes.
void expect_no_leak(const std::string& from, const std::string& to) {
  std::string err;
  ConnPtr a = connect_to(from, &err), b = connect_to(to, &err);
  ASSERT_TRUE(a && b) << err;
  SubPtr s = sub_sync(b.get(), "leak");
  ASSERT_EQ(natsConnection_FlushTimeout(b.get(), 5000), NATS_OK);
  for (int i = 0; i < 20; ++i) natsConnection_PublishString(a.get(), "leak", "secret");
  ASSERT_EQ(natsConnection_FlushTimeout(a.get(), 5000), NATS_OK);
  EXPECT_FALSE(next_real(s.get(), 500));
}

class TlsRoutes : public ::testing::TestWithParam<Topology> {
 protected:
  static void SetUpTestSuite() {
    g_certs = new itest::TestCerts();
    nats_init();
  }
  static void TearDownTestSuite() {
    delete g_certs;
    g_certs = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(g_certs->ok());
    static const char* names[] = {"A", "B", "C"};
    TlsFiles t = good();
    for (int i = 0; i < 3; ++i)
      t_.nodes.push_back(
          make_node(GetParam().kinds[i], names[i], i ? t_.nodes[0]->spec().cluster_port : 0, &t));
    std::string err;
    for (auto& n : t_.nodes) ASSERT_TRUE(n->start(&err)) << err;
    ASSERT_TRUE(t_.wait_mesh(&err)) << err << "\n" << t_.logs();
  }
  // Every node publishes, every node's subscriber gets every message.
  void all_to_all(const std::string& subject, std::vector<int> live) {
    std::string err;
    std::vector<ConnPtr> nc;
    std::vector<SubPtr> subs;
    std::vector<natsSubscription*> raw;
    for (int i : live) {
      nc.push_back(connect_to(t_[i].url(), &err));
      ASSERT_TRUE(nc.back()) << err;
      subs.push_back(sub_sync(nc.back().get(), subject));
      raw.push_back(subs.back().get());
    }
    for (auto& c : nc) ASSERT_TRUE(await_interest(c.get(), subject, raw)) << t_.logs();
    constexpr int kN = 200;
    for (size_t i = 0; i < nc.size(); ++i) {
      for (int k = 0; k < kN; ++k) {
        std::string body = std::to_string(i) + ":" + std::to_string(k) + ":" + std::string(k * 37 % 3000, 'x');
        ASSERT_EQ(natsConnection_PublishString(nc[i].get(), subject.c_str(), body.c_str()), NATS_OK);
      }
      ASSERT_EQ(natsConnection_FlushTimeout(nc[i].get(), 5000), NATS_OK);
    }
    for (size_t j = 0; j < subs.size(); ++j) {
      std::vector<int> next(nc.size(), 0);
      for (size_t got = 0; got < nc.size() * kN; ++got) {
        MsgPtr m = next_real(subs[j].get(), 5000);
        ASSERT_TRUE(m) << "subscriber " << j << " after " << got << "\n" << t_.logs();
        std::string d = msg_data(m.get());
        size_t c1 = d.find(':'), c2 = d.find(':', c1 + 1);
        int from = std::stoi(d.substr(0, c1)), k = std::stoi(d.substr(c1 + 1, c2 - c1 - 1));
        EXPECT_EQ(k, next[from]) << "out of order from publisher " << from;  // per-publisher order
        next[from] = k + 1;
        EXPECT_EQ(d.size() - c2 - 1, static_cast<size_t>(k * 37 % 3000));
      }
    }
  }
  Trio t_;
};

TEST_P(TlsRoutes, MessagesCrossEveryTlsRoute) {
  all_to_all("tls.routes", {0, 1, 2});
  for (auto& n : t_.nodes)
    if (n->spec().kind == Kind::Ring) {
      EXPECT_TRUE(n->wait_log("TLS handshake complete")) << n->log_tail();
      EXPECT_EQ(n->log().find("handshake error"), std::string::npos) << n->log_tail();
    }
}

TEST_P(TlsRoutes, KilledTlsPeerComesBack) {
  // Kill -9 a member (a TLS peer of the seed and of the other member).
  t_[2].kill9();
  all_to_all("tls.after.kill", {0, 1});
  std::string err;
  ASSERT_TRUE(t_[2].start(&err)) << err;
  ASSERT_TRUE(t_.wait_mesh(&err)) << err << "\n" << t_.logs();
  all_to_all("tls.after.restart", {0, 1, 2});
}

INSTANTIATE_TEST_SUITE_P(Mixed, TlsRoutes,
                         ::testing::Values(kRingSeed, kStockSeed,
                                           Topology{"stockseed_ring_stock", {Kind::Stock, Kind::Ring, Kind::Stock}}),
                         [](const ::testing::TestParamInfo<Topology>& i) { return std::string(i.param.name); });

// cluster.tls.verify_and_map: a route is let in when its certificate names
// the cluster user (the server certificate's DNS name "localhost", or its
// subject "CN=server"), whatever its CONNECT says; every route of a mixed
// three-node mesh is accepted by one kind and dialed by the other.
class TlsRouteMap : public TlsRoutes {
 protected:
  void SetUp() override {}
  void start_trio(const std::string& cluster_user) {
    ASSERT_TRUE(g_certs->ok());
    static const char* names[] = {"A", "B", "C"};
    TlsFiles t = good();
    const std::string auth = "  authorization { user: \"" + cluster_user + "\", password: unused }\n";
    for (int i = 0; i < 3; ++i)
      t_.nodes.push_back(make_node(GetParam().kinds[i], names[i], i ? t_.nodes[0]->spec().cluster_port : 0, &t, 0,
                                   0, auth, ", verify_and_map: true"));
    std::string err;
    for (auto& n : t_.nodes) ASSERT_TRUE(n->start(&err)) << err;
  }
};

TEST_P(TlsRouteMap, CertificateNamingTheClusterUserJoins) {
  for (const char* user : {"localhost", "CN=server"}) {
    t_.nodes.clear();
    start_trio(user);
    std::string err;
    ASSERT_TRUE(t_.wait_mesh(&err)) << user << ": " << err << "\n" << t_.logs();
    all_to_all(std::string("tls.map.") + (user[0] == 'l' ? "dns" : "subject"), {0, 1, 2});
    for (auto& n : t_.nodes) EXPECT_EQ(n->log().find("authentication error"), std::string::npos) << n->log_tail();
  }
}

TEST_P(TlsRouteMap, CertificateNamingAnotherUserIsRejected) {
  start_trio("nobody");
  EXPECT_TRUE(t_[0].wait_log("authentication error")) << t_.logs();
  expect_no_leak(t_[0].url(), t_[1].url());
}

INSTANTIATE_TEST_SUITE_P(Mixed, TlsRouteMap,
                         ::testing::Values(kRingSeed, kStockSeed,
                                           Topology{"stockseed_ring_stock", {Kind::Stock, Kind::Ring, Kind::Stock}}),
                         [](const ::testing::TestParamInfo<Topology>& i) { return std::string(i.param.name); });

class TlsRouteRejects : public ::testing::TestWithParam<Kind> {
 protected:
  static void SetUpTestSuite() {
    if (!g_certs) g_certs = new itest::TestCerts();
    nats_init();
  }
};

// A member whose certificate comes from another CA fails the handshake in
// both directions and never joins; the TLS cluster is unaffected.
TEST_P(TlsRouteRejects, PeerFromAnotherCa) {
  ASSERT_TRUE(g_certs->ok());
  TlsFiles t = good();
  auto seed = make_node(Kind::Ring, "S", 0, &t);
  std::string err;
  ASSERT_TRUE(seed->start(&err)) << err;
  TlsFiles bad{g_certs->other_client_cert(), g_certs->other_client_key(), g_certs->other_ca()};
  auto intruder = make_node(GetParam(), "X", seed->spec().cluster_port, &bad);
  ASSERT_TRUE(intruder->start(&err)) << err;
  EXPECT_TRUE(seed->wait_log("TLS route handshake error")) << seed->log_tail();
  EXPECT_TRUE(intruder->wait_log("TLS route handshake error")) << intruder->log_tail();
  // The intruder's clients never see the seed's.
  expect_no_leak(seed->url(), intruder->url());
}

// A route without TLS dialing a TLS cluster port: no INFO comes (the
// handshake comes first), its CONNECT is a failed handshake, it is closed.
TEST_P(TlsRouteRejects, PlainRouteIsClosed) {
  ASSERT_TRUE(g_certs->ok());
  TlsFiles t = good();
  auto seed = make_node(GetParam(), "P", 0, &t);
  std::string err;
  ASSERT_TRUE(seed->start(&err)) << err;
  RawConn r;
  ASSERT_TRUE(r.connect(seed->spec().cluster_port));
  EXPECT_EQ(r.read_some(300), -1) << r.buffer();  // nothing in plain text
  ASSERT_TRUE(r.send("CONNECT {\"verbose\":false}\r\nPING\r\n"));
  EXPECT_TRUE(r.expect_closed());
  EXPECT_EQ(r.buffer().find("INFO"), std::string::npos) << r.buffer();
  EXPECT_TRUE(seed->wait_log("TLS route handshake error")) << seed->log_tail();
}

INSTANTIATE_TEST_SUITE_P(Both, TlsRouteRejects, ::testing::Values(Kind::Ring, Kind::Stock),
                         [](const ::testing::TestParamInfo<Kind>& i) { return std::string(kind_name(i.param)); });

}  // namespace
}  // namespace cltest
