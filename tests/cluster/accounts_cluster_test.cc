// Accounts across a three-node cluster, mixed with stock nats-server: routes
// carry each message and each interest with its account, so a subscriber
// in one account never sees another's messages on any node, and stream
// imports reach across nodes both ways. Negative checks are ordered: after
// each secret the same publisher sends a probe that does cross (through an
// import), and one publisher's messages arrive in order, so a subscriber that
// has the probe would already have had the secret.
#include <gtest/gtest.h>

#include <fstream>

#include "cluster_harness.h"

namespace cltest {
namespace {

const char* kAccounts = R"(
accounts {
  A: {
    users: [ {user: a, password: pa} ]
    exports: [ {stream: "pub.>"}, {service: "svc.>"} ]
    imports: [ {stream: {account: B, subject: "bpub.>"}, prefix: "fromB"} ]
  }
  B: {
    users: [ {user: b, password: pb} ]
    exports: [ {stream: "bpub.>"} ]
    imports: [ {stream: {account: A, subject: "pub.>"}, prefix: "fromA"},
               {service: {account: A, subject: "svc.echo"}, to: "echo"} ]
  }
}
)";

bool login(RawConn& c, int port, const std::string& user, const std::string& subs) {
  std::string info, out;
  return c.connect(port) && c.read_line(info) &&
         c.send("CONNECT {\"verbose\":false,\"pedantic\":false,\"user\":\"" + user + "\",\"pass\":\"p" + user +
                "\"}\r\n" + subs) &&
         c.ping_pong(out) && out == "PONG\r\n";
}

// Reads until a MSG on `subject` carrying `payload` arrived; `seen` gets
// everything read up to it.
bool read_msg(RawConn& c, const std::string& subject, const std::string& payload, std::string& seen,
              int timeout_ms = 3000) {
  std::string chunk;
  const std::string want_payload = "\r\n" + payload + "\r\n";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t at = seen.find("MSG " + subject + " ");
    while (at != std::string::npos) {
      size_t eol = seen.find("\r\n", at);
      if (eol != std::string::npos && seen.compare(eol, want_payload.size(), want_payload) == 0) return true;
      at = seen.find("MSG " + subject + " ", at + 1);
    }
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) return false;
    if (c.read_some(std::min(left, 200)) == 0) return false;
    seen += c.buffer();
    c.buffer().clear();
  }
}

// Certificates for the topologies whose routes run TLS (made once).
const itest::TestCerts& certs() {
  static itest::TestCerts* c = new itest::TestCerts();
  return *c;
}

class AccountsCluster : public ::testing::TestWithParam<Topology> {
 protected:
  void SetUp() override {
    static const char* names[] = {"S0", "S1", "S2"};
    int client[3], cluster[3];
    for (int i = 0; i < 3; ++i) {
      client[i] = fresh_port();
      cluster[i] = fresh_port();
    }
    for (int i = 0; i < 3; ++i) {
      NodeSpec s;
      s.kind = GetParam().kinds[i];
      s.name = names[i];
      s.client_port = client[i];
      s.cluster_port = cluster[i];
      s.config_file = run_dir() + "/acc-" + std::string(GetParam().name) + "-" + names[i] + ".conf";
      std::ofstream f(s.config_file);
      f << "server_name: " << names[i] << "\nlisten: 127.0.0.1:" << client[i] << "\n"
        << "cluster {\n  name: acc-cluster\n  listen: 127.0.0.1:" << cluster[i] << "\n";
      if (i > 0) f << "  routes: [ nats-route://127.0.0.1:" << cluster[0] << " ]\n";
      if (std::string(GetParam().name).find("tls") != std::string::npos) {
        ASSERT_TRUE(certs().ok());
        f << "  tls { cert_file: \"" << certs().server_cert() << "\", key_file: \"" << certs().server_key()
          << "\", ca_file: \"" << certs().ca() << "\" }\n";
      }
      f << "}\n" << kAccounts;
      f.close();
      nodes_.push_back(std::make_unique<Node>(s));
    }
    std::string err;
    // (The mesh is not awaited through client INFOs: every client must log
    // in here. The tests' probe loops wait until interest has crossed.)
    for (auto& n : nodes_) ASSERT_TRUE(n->start(&err)) << err;
  }
  std::string logs() const {
    std::string out;
    for (auto& n : nodes_) out += "---- " + n->spec().name + "\n" + n->log_tail(2000) + "\n";
    return out;
  }
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_P(AccountsCluster, MessagesStayInTheirAccountOnEveryNode) {
  RawConn a_pub, a_sub, b_sub, b_pub;
  ASSERT_TRUE(login(a_pub, nodes_[0]->port(), "a", ""));
  ASSERT_TRUE(login(a_sub, nodes_[1]->port(), "a", "SUB secret.1 1\r\nSUB fromB.bpub.probe 2\r\nSUB > 3\r\n"));
  ASSERT_TRUE(login(b_sub, nodes_[2]->port(), "b", "SUB secret.1 1\r\nSUB > 2\r\nSUB fromA.pub.* 3\r\n"));
  ASSERT_TRUE(login(b_pub, nodes_[0]->port(), "b", ""));

  // Interest has crossed the routes once a probe through each import arrives.
  std::string seen_a, seen_b;
  bool a_ready = false, b_ready = false;
  for (int i = 0; i < 100 && !(a_ready && b_ready); ++i) {
    std::string n = std::to_string(i);
    ASSERT_TRUE(a_pub.send("PUB pub.probe " + std::to_string(n.size()) + "\r\n" + n + "\r\n"));
    ASSERT_TRUE(b_pub.send("PUB bpub.probe " + std::to_string(n.size()) + "\r\n" + n + "\r\n"));
    if (!b_ready) b_ready = read_msg(b_sub, "fromA.pub.probe", n, seen_b, 100);
    if (!a_ready) a_ready = read_msg(a_sub, "fromB.bpub.probe", n, seen_a, 100);
  }
  ASSERT_TRUE(a_ready && b_ready) << logs();
  std::string pong;
  ASSERT_TRUE(a_sub.ping_pong(pong));
  ASSERT_TRUE(b_sub.ping_pong(pong));
  seen_a.clear();
  seen_b.clear();

  // A's secret, then a probe B may see: B must see the probe and no secret.
  ASSERT_TRUE(a_pub.send("PUB secret.1 7\r\nasecret\r\nPUB _INBOX.x 7\r\nasecret\r\nPUB pub.x 5\r\nhello\r\n"
                         "PUB pub.probe 3\r\nend\r\n"));
  EXPECT_TRUE(read_msg(b_sub, "fromA.pub.probe", "end", seen_b)) << seen_b << logs();
  EXPECT_NE(seen_b.find("MSG fromA.pub.x 3 5\r\nhello\r\n"), std::string::npos) << seen_b;
  EXPECT_EQ(seen_b.find("asecret"), std::string::npos) << seen_b;
  EXPECT_TRUE(read_msg(a_sub, "secret.1", "asecret", seen_a)) << seen_a << logs();

  // And the other way: B's secret never reaches A's subscribers.
  seen_a.clear();
  ASSERT_TRUE(b_pub.send("PUB secret.1 7\r\nbsecret\r\nPUB bpub.probe 3\r\nend\r\n"));
  EXPECT_TRUE(read_msg(a_sub, "fromB.bpub.probe", "end", seen_a)) << seen_a << logs();
  EXPECT_EQ(seen_a.find("bsecret"), std::string::npos) << seen_a;
}

TEST_P(AccountsCluster, QueueGroupsOfTheSameNameStayApart) {
  RawConn a_pub, a_q, b_q;
  ASSERT_TRUE(login(a_pub, nodes_[2]->port(), "a", ""));
  ASSERT_TRUE(login(a_q, nodes_[0]->port(), "a", "SUB work q 1\r\nSUB pub.probe 2\r\n"));
  ASSERT_TRUE(login(b_q, nodes_[1]->port(), "b", "SUB work q 1\r\nSUB fromA.pub.probe 2\r\n"));
  std::string seen_a, seen_b;
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    std::string n = std::to_string(i);
    ASSERT_TRUE(a_pub.send("PUB pub.probe " + std::to_string(n.size()) + "\r\n" + n + "\r\n"));
    ready = read_msg(b_q, "fromA.pub.probe", n, seen_b, 100) && read_msg(a_q, "pub.probe", n, seen_a, 1000);
  }
  ASSERT_TRUE(ready) << logs();
  seen_b.clear();
  seen_a.clear();
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += "PUB work 2\r\nw" + std::to_string(i % 10) + "\r\n";
  burst += "PUB pub.probe 3\r\nend\r\n";
  ASSERT_TRUE(a_pub.send(burst));
  EXPECT_TRUE(read_msg(b_q, "fromA.pub.probe", "end", seen_b)) << logs();
  EXPECT_EQ(seen_b.find("MSG work"), std::string::npos) << seen_b;
  EXPECT_TRUE(read_msg(a_q, "pub.probe", "end", seen_a)) << logs();
  size_t works = 0;
  for (size_t at = seen_a.find("MSG work"); at != std::string::npos; at = seen_a.find("MSG work", at + 1)) ++works;
  EXPECT_EQ(works, 50u) << seen_a;
}

// A request through B's service import, answered by A's responder on
// another node: every pair of (requester node, responder node) kinds.
TEST_P(AccountsCluster, ServiceImportAcrossNodes) {
  for (int req_node = 0; req_node < 3; ++req_node) {
    int resp_node = (req_node + 1) % 3;
    RawConn responder, requester;
    ASSERT_TRUE(login(responder, nodes_[resp_node]->port(), "a", "SUB svc.echo 1\r\n"));
    ASSERT_TRUE(login(requester, nodes_[req_node]->port(), "b", "SUB _INBOX.me 1\r\n"));
    std::string seen, line, payload;
    bool asked = false;
    for (int i = 0; i < 100 && !asked; ++i) {
      ASSERT_TRUE(requester.send("PUB echo _INBOX.me 4\r\nping\r\n"));
      asked = responder.read_line(line, 100);
    }
    ASSERT_TRUE(asked) << logs();
    // Requests sent before interest had crossed may still arrive: answer
    // the first; the others' answers would only repeat it.
    ASSERT_NE(line.find("MSG svc.echo 1 _R_."), std::string::npos) << line;
    size_t r = line.find("_R_.");
    std::string reply = line.substr(r, line.find(' ', r) - r);
    ASSERT_TRUE(responder.send("PUB " + reply + " 4\r\npong\r\n"));
    EXPECT_TRUE(read_msg(requester, "_INBOX.me", "pong", seen)) << "requester on node " << req_node << ": " << seen << logs();
    // The response subject answers once (a singleton), and not in B.
    ASSERT_TRUE(responder.send("PUB " + reply + " 5\r\nagain\r\n"));
    seen.clear();
    ASSERT_TRUE(requester.send("PUB echo _INBOX.me 4\r\nlast\r\n"));
    std::string got;
    EXPECT_TRUE(responder.read_until("last\r\n", got)) << logs();
    EXPECT_TRUE(requester.ping_pong(got));
    EXPECT_EQ(got.find("again"), std::string::npos) << got;
  }
}

// The response goes to a reply subject subscribed on another node, and the
// responder sits on another shard than the requester (pairs of fresh
// connections alternate shards): the relayed response crosses a shard and
// then a route, whole.
TEST_P(AccountsCluster, RelayedResponseCrossesShardAndRoute) {
  RawConn inbox;
  const int req_node = GetParam().kinds[1] == Kind::Ring ? 1 : 0;
  const int other = (req_node + 1) % 3;
  ASSERT_TRUE(login(inbox, nodes_[other]->port(), "b", "SUB inbox.> 1\r\n"));
  {  // the inbox's interest has reached the requester's node
    RawConn probe;
    ASSERT_TRUE(login(probe, nodes_[req_node]->port(), "b", ""));
    std::string seen;
    bool there = false;
    for (int k = 0; k < 100 && !there; ++k) {
      ASSERT_TRUE(probe.send("PUB inbox.probe 1\r\nx\r\n"));
      there = read_msg(inbox, "inbox.probe", "x", seen, 100);
    }
    ASSERT_TRUE(there) << logs();
  }
  for (int i = 0; i < 4; ++i) {
    RawConn requester, responder;
    ASSERT_TRUE(login(requester, nodes_[req_node]->port(), "b", ""));
    ASSERT_TRUE(login(responder, nodes_[req_node]->port(), "a", "SUB svc.echo 1\r\n"));
    const std::string n = std::to_string(i);
    const std::string body(100000, static_cast<char>('a' + i));
    std::string line, seen;
    bool asked = false;
    for (int k = 0; k < 100 && !asked; ++k) {
      ASSERT_TRUE(requester.send("PUB echo inbox." + n + " 2\r\nhi\r\n"));
      asked = responder.read_line(line, 100);
    }
    ASSERT_TRUE(asked) << logs();
    size_t r = line.find("_R_.");
    ASSERT_NE(r, std::string::npos) << line;
    const std::string reply = line.substr(r, line.find(' ', r) - r);
    ASSERT_TRUE(responder.send("PUB " + reply + " " + std::to_string(body.size()) + "\r\n" + body + "\r\n"));
    EXPECT_TRUE(read_msg(inbox, "inbox." + n, body, seen)) << "pair " << i << logs();
  }
  std::string pong;
  EXPECT_TRUE(inbox.ping_pong(pong)) << logs();
  for (auto& node : nodes_) EXPECT_EQ(node->log().find("Protocol"), std::string::npos) << node->log_tail();
}

INSTANTIATE_TEST_SUITE_P(Topologies, AccountsCluster,
                         ::testing::Values(Topology{"stockseed_ring_stock", {Kind::Stock, Kind::Ring, Kind::Stock}},
                                           Topology{"ringseed_stock_stock", {Kind::Ring, Kind::Stock, Kind::Stock}},
                                           kAllRing,
                                           Topology{"tlsroutes_stockseed_ring_stock",
                                                    {Kind::Stock, Kind::Ring, Kind::Stock}}),
                         [](const auto& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace cltest
