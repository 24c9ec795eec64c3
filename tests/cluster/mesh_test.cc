// Three-server example (issue "Cluster member"): A is the seed, B and C name
// only A, yet the mesh must close (B and C route to each other), by flags and
// by config file. Stock nats-server runs the same tests as a reference.
#include <gtest/gtest.h>

#include <fstream>

#include "cluster_harness.h"
#include "nats_helpers.h"

namespace cltest {
namespace {

// Every node's client INFO lists all three members, and after A dies, a
// message published on C still reaches a subscriber on B (a direct B-C route).
void check_full_mesh(std::vector<std::unique_ptr<Node>>& n) {
  auto logs_hint = [&] {
    std::string s;
    for (auto& node : n) s += "---- " + node->spec().name + " " + node->log_path() + "\n" + node->log_tail(2500);
    return s;
  };
  std::vector<std::string> all = {n[0]->client_hp(), n[1]->client_hp(), n[2]->client_hp()};
  std::vector<InfoWatcher> w(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w[i].connect(n[i]->port())) << n[i]->spec().name;
    EXPECT_TRUE(w[i].wait_urls(all)) << n[i]->spec().name << " connect_urls stayed "
                                     << join(info_connect_urls(w[i].latest_info())) << ", want " << join(all)
                                     << "\n" << logs_hint();
  }
  // Like nats-server, each node lists its own URL first.
  for (int i = 0; i < 3; ++i) {
    auto urls = info_connect_urls(w[i].latest_info());
    if (!urls.empty()) { EXPECT_EQ(urls[0], n[i]->client_hp()) << n[i]->spec().name << " " << join(urls); }
  }

  // One hop: B hears C's messages only over a B-C route, even while A is up.
  std::string err;
  ConnPtr cb = connect_to(n[1]->url(), &err);
  ASSERT_TRUE(cb) << err;
  ConnPtr cc = connect_to(n[2]->url(), &err);
  ASSERT_TRUE(cc) << err;
  SubPtr sb = sub_sync(cb.get(), "mesh.b");
  ASSERT_TRUE(sb);
  EXPECT_TRUE(await_interest(cc.get(), "mesh.b", {sb.get()})) << "C->B never delivered\n" << logs_hint();

  n[0]->kill9();
  ASSERT_EQ(natsConnection_PublishString(cc.get(), "mesh.b", "after-A"), NATS_OK);
  ASSERT_EQ(natsConnection_FlushTimeout(cc.get(), 2000), NATS_OK);
  MsgPtr m = next_real(sb.get());
  ASSERT_TRUE(m) << "C->B lost after A was killed\n" << logs_hint();
  EXPECT_EQ(msg_data(m.get()), "after-A");

  // The survivors drop A's URL and tell their clients.
  std::vector<std::string> rest = {n[1]->client_hp(), n[2]->client_hp()};
  for (int i = 1; i < 3; ++i)
    EXPECT_TRUE(w[i].wait_urls(rest)) << n[i]->spec().name << " connect_urls stayed "
                                      << join(info_connect_urls(w[i].latest_info())) << " after A died";
}

class MeshByFlags : public ::testing::TestWithParam<Kind> {};

TEST_P(MeshByFlags, SeedOnlyRoutesFormFullMesh) {
  Trio t;
  std::string err;
  ASSERT_TRUE(t.start({GetParam(), GetParam(), GetParam()}, &err)) << err;
  check_full_mesh(t.nodes);
}

INSTANTIATE_TEST_SUITE_P(Kinds, MeshByFlags, ::testing::Values(Kind::Ring, Kind::Stock),
                         [](const auto& i) { return std::string(kind_name(i.param)); });

class MeshByConfig : public ::testing::TestWithParam<Kind> {};

// seed.conf (A) in the one-line style, B and C in the multi-line style.
TEST_P(MeshByConfig, SeedConfFormsFullMesh) {
  std::vector<std::unique_ptr<Node>> n;
  const char* names[] = {"A", "B", "C"};
  std::vector<int> client(3), cluster(3);
  for (int i = 0; i < 3; ++i) {
    client[i] = fresh_port();
    cluster[i] = fresh_port();
  }
  for (int i = 0; i < 3; ++i) {
    NodeSpec s;
    s.kind = GetParam();
    s.name = names[i];
    s.client_port = client[i];
    s.cluster_port = cluster[i];
    s.config_file = run_dir() + "/" + names[i] + "-" + kind_name(GetParam()) + "-" +
                    std::to_string(client[i]) + ".conf";
    std::ofstream f(s.config_file);
    f << "# cluster test node " << names[i] << "\n";
    f << "server_name: " << names[i] << "\n";
    f << "listen: 127.0.0.1:" << client[i] << "\n";
    if (i == 0) {
      f << "cluster { name: test-cluster, listen: 127.0.0.1:" << cluster[i] << " }\n";
    } else {
      f << "cluster {\n  name: test-cluster\n  listen: 127.0.0.1:" << cluster[i]
        << "\n  routes: [\n    nats-route://127.0.0.1:" << cluster[0] << "\n  ]\n}\n";
    }
    f.close();
    n.push_back(std::make_unique<Node>(s));
  }
  std::string err;
  for (auto& node : n) ASSERT_TRUE(node->start(&err)) << err;
  check_full_mesh(n);
}

INSTANTIATE_TEST_SUITE_P(Kinds, MeshByConfig, ::testing::Values(Kind::Ring, Kind::Stock),
                         [](const auto& i) { return std::string(kind_name(i.param)); });

}  // namespace
}  // namespace cltest
