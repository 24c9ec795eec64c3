// Route-protocol differential tests: each case is played against a fresh
// stock nats-server and a fresh ringnats, both standalone with a cluster
// port. A fake route peer does the handshake (CONNECT + INFO) and sends the
// case's bytes; a local client (subscribed to `foo` and to `qq` in group
// `grp`) may publish. The stock run must match the table (which keeps the
// table honest) and the ringnats run must match the stock run: what comes
// back on the route, whether the route stays open, and what the client sees.
// ringnats runs one shard here, so a step's effects (interest, deliveries)
// are in place when its PING is answered, as they are in nats-server.
//
// Then, outside the table: the client URLs (connect_urls) a node advertises
// as routes come and go, the route registry (the peer can come back), and,
// ringnats only, the limits where nats-server is worse (huge queue weights
// and routed payloads).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster_harness.h"

namespace cltest {
namespace {

constexpr bool kOpen = false;
constexpr bool kClosed = true;

enum class Who { Route, Client };

struct RStep {
  Who who;
  std::string bytes;  // "$SERVER_ID" is replaced by the node's server id
};

struct RouteCase {
  std::string name;
  std::vector<RStep> steps;
  std::string route;    // what the node sent the route after the handshake
  bool closed;          // whether it closed the route
  std::string client;   // what the client got after its setup
  // Non-empty: ringnats is known to differ until this core change lands;
  // the case still checks nats-server, and the ringnats run is reported and
  // skipped while it differs.
  std::string pending = {};
};

void PrintTo(const RouteCase& c, std::ostream* os) { *os << c.name; }

RStep R(std::string b) { return RStep{Who::Route, std::move(b)}; }
RStep C(std::string b) { return RStep{Who::Client, std::move(b)}; }

const std::string kClientSetup =
    "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1,\"headers\":true}\r\n"
    "SUB foo 1\r\nSUB qq grp 2\r\n";
const std::string kInvalidSub = "-ERR 'Invalid Subscription'\r\n";
const std::string kUnknownOp = "-ERR 'Unknown Protocol Operation'\r\n";

std::string fake_info(const std::string& id, const std::string& extra) {
  return "INFO {\"server_id\":\"" + id + "\",\"server_name\":\"o\",\"host\":\"127.0.0.1\",\"port\":1" + extra +
         "}\r\n";
}

std::vector<RouteCase> cases() {
  std::vector<RouteCase> c;
  const std::string big(1'500'000, 'x');  // over the default max_payload (1 MiB)

  // ---- RS+ / RS- / LS+ / LS- / UNSUB: interest from the peer
  c.push_back({"rs_plus_invalid_subject_empty_token", {R("RS+ $G foo..bar\r\n")}, kInvalidSub, kOpen, ""});
  c.push_back({"rs_plus_invalid_subject_gt_not_last", {R("RS+ $G >.foo\r\n")}, kInvalidSub, kOpen, ""});
  c.push_back({"rs_plus_invalid_subject_dot", {R("RS+ $G .\r\n")}, kInvalidSub, kOpen, ""});
  c.push_back({"rs_plus_invalid_subject_queue", {R("RS+ $G foo..bar q 1\r\n")}, kInvalidSub, kOpen, ""});
  c.push_back({"rs_plus_invalid_subject_route_kept",
               {R("RS+ $G foo..bar\r\nRS+ $G foo\r\n"), C("PUB foo 2\r\nhi\r\n")},
               kInvalidSub + "RMSG $G foo 2\r\nhi\r\n", kOpen, "MSG foo 1 2\r\nhi\r\n"});
  c.push_back({"rs_plus_unknown_account_before_subject_check", {R("RS+ $X foo..bar\r\n")}, "", kOpen, ""});
  c.push_back({"rs_plus_queue_without_weight_closes", {R("RS+ $G qq grp\r\n")}, "", kClosed, ""});
  c.push_back({"rs_minus_with_weight_closes", {R("RS- $G qq grp 2\r\n")}, "", kClosed, ""});
  c.push_back({"rs_minus_invalid_subject_ignored", {R("RS- $G foo..bar\r\n")}, "", kOpen, ""});
  c.push_back({"rs_plus_bad_weight_never_picked", {R("RS+ $G qq grp x\r\n"), C("PUB qq 2\r\nhi\r\n")}, "",
               kOpen, "MSG qq 2 2\r\nhi\r\n"});
  c.push_back({"rs_plus_zero_weight_never_picked", {R("RS+ $G qq grp 0\r\n"), C("PUB qq 2\r\nhi\r\n")}, "",
               kOpen, "MSG qq 2 2\r\nhi\r\n"});
  c.push_back({"rs_plus_plain", {R("RS+ $G bar\r\n"), C("PUB bar 2\r\nhi\r\n")}, "RMSG $G bar 2\r\nhi\r\n",
               kOpen, ""});
  c.push_back({"ls_plus_registers_interest", {R("LS+ org $G foo\r\n"), C("PUB foo 2\r\nhi\r\n")},
               "RMSG $G foo 2\r\nhi\r\n", kOpen, "MSG foo 1 2\r\nhi\r\n"});
  c.push_back({"ls_plus_queue", {R("LS+ org $G foo q9 1\r\n"), C("PUB foo 2\r\nhi\r\n")},
               "RMSG $G foo | q9 2\r\nhi\r\n", kOpen, "MSG foo 1 2\r\nhi\r\n"});
  c.push_back({"ls_minus_drops_interest", {R("LS+ org $G bar\r\nLS- $G bar\r\n"), C("PUB bar 2\r\nhi\r\n")}, "",
               kOpen, ""});
  c.push_back({"unsub_drops_interest_like_rs_minus",
               {R("RS+ $G bar\r\nUNSUB $G bar\r\n"), C("PUB bar 2\r\nhi\r\n")}, "", kOpen, ""});
  c.push_back({"unsub_wrong_arg_count_closes", {R("UNSUB 1\r\n")}, "", kClosed, ""});
  c.push_back({"sub_ignored", {R("SUB bar 1\r\n"), C("PUB bar 2\r\nhi\r\n")}, "", kOpen, ""});
  c.push_back({"sub_without_args_unknown_op", {R("SUB\r\n")}, kUnknownOp, kClosed, ""});

  // ---- RMSG / HMSG / LMSG from the peer
  c.push_back({"rmsg_plain", {R("RMSG $G foo 3\r\nabc\r\n")}, "", kOpen, "MSG foo 1 3\r\nabc\r\n"});
  c.push_back({"rmsg_reply", {R("RMSG $G foo r 3\r\nabc\r\n")}, "", kOpen, "MSG foo 1 r 3\r\nabc\r\n"});
  c.push_back({"rmsg_queue_named", {R("RMSG $G qq | grp 3\r\nabc\r\n")}, "", kOpen, "MSG qq 2 3\r\nabc\r\n"});
  c.push_back({"rmsg_queue_named_with_reply", {R("RMSG $G qq + r grp 3\r\nabc\r\n")}, "", kOpen,
               "MSG qq 2 r 3\r\nabc\r\n"});
  {
    // Our group named after 40 others: every name counts, not just the first 32.
    std::string many;
    for (int i = 0; i < 40; ++i) many += " q" + std::to_string(i);
    c.push_back({"rmsg_queue_named_after_40_others", {R("RMSG $G qq |" + many + " grp 3\r\nabc\r\n")}, "",
                 kOpen, "MSG qq 2 3\r\nabc\r\n"});
  }
  c.push_back({"rmsg_no_queue_list_skips_groups", {R("RMSG $G qq 3\r\nabc\r\n")}, "", kOpen, ""});
  c.push_back({"rmsg_plus_reply_no_queues", {R("RMSG $G foo + r 3\r\nabc\r\n")}, "", kOpen,
               "MSG foo 1 r 3\r\nabc\r\n"});
  c.push_back({"rmsg_unknown_account_dropped", {R("RMSG $X foo 3\r\nabc\r\n")}, "", kOpen, ""});
  c.push_back({"rmsg_bad_size_closes", {R("RMSG $G foo abc\r\n")}, "", kClosed, ""});
  c.push_back({"rmsg_too_few_args_closes", {R("RMSG $G foo\r\n")}, "", kClosed, ""});
  c.push_back({"rmsg_over_max_payload_delivered", {R("RMSG $G foo 1500000\r\n" + big + "\r\n")}, "", kOpen,
               "MSG foo 1 1500000\r\n" + big + "\r\n"});
  c.push_back({"hmsg_headers", {R("HMSG $G foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n")}, "", kOpen,
               "HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"});
  c.push_back({"hmsg_header_over_total_closes", {R("HMSG $G foo 5 3\r\nabc\r\n")}, "", kClosed, ""});
  c.push_back({"rmsg_bad_reply_indicator_closes", {R("RMSG $G foo ? q 3\r\nabc\r\n")}, "", kClosed, ""});
  c.push_back({"rmsg_letter_reply_indicator_closes", {R("RMSG $G foo r q1 q2 3\r\nabc\r\n")}, "", kClosed, ""});
  c.push_back({"rmsg_plus_alone_is_a_reply", {R("RMSG $G foo + 3\r\nabc\r\n")}, "", kOpen,
               "MSG foo 1 + 3\r\nabc\r\n"});
  c.push_back({"rmsg_pipe_alone_is_a_reply", {R("RMSG $G foo | 3\r\nabc\r\n")}, "", kOpen,
               "MSG foo 1 | 3\r\nabc\r\n"});
  c.push_back({"lmsg_delivered", {R("LMSG org $G foo 0 3\r\nabc\r\n")}, "", kOpen, "MSG foo 1 3\r\nabc\r\n"});
  c.push_back({"lmsg_with_headers_and_reply", {R("LMSG org $G foo r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n")}, "", kOpen,
               "HMSG foo 1 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"});
  c.push_back({"lmsg_without_header_size_closes", {R("LMSG org $G foo 3\r\nabc\r\n")}, "", kClosed, ""});

  // ---- other operations
  c.push_back({"account_sub_ignored", {R("A+ $G\r\n")}, "", kOpen, ""});
  c.push_back({"account_unsub_ignored", {R("A- $G\r\n")}, "", kOpen, ""});
  c.push_back({"pub_on_route_dropped", {R("PUB foo 3\r\nabc\r\n")}, "", kOpen, ""});
  c.push_back({"hpub_on_route_dropped", {R("HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n")}, "", kOpen, ""});
  c.push_back({"msg_on_route_unknown_op", {R("MSG foo 1 3\r\nabc\r\n")}, kUnknownOp, kClosed, ""});
  c.push_back({"unknown_op", {R("FOO\r\n")}, kUnknownOp, kClosed, ""});
  c.push_back({"ok_ignored", {R("+OK\r\n")}, "", kOpen, ""});
  c.push_back({"err_closes", {R("-ERR 'x'\r\n")}, "", kClosed, ""});
  c.push_back({"ping_lower_case", {R("ping\r\n")}, "PONG\r\n", kOpen, ""});

  // ---- INFO after the handshake (updates and gossip)
  c.push_back({"info_update_other_cluster_closes",
               {R("INFO {\"server_id\":\"" + kFakeRouteId + "\",\"server_name\":\"fake\",\"cluster\":\"zz\"}\r\n")},
               "", kClosed, ""});
  c.push_back({"info_gossip_other_cluster_closes", {R(fake_info("NOTHER", ",\"cluster\":\"zz\""))}, "", kClosed,
               ""});
  c.push_back({"info_gossip_own_id_closes", {R(fake_info("$SERVER_ID", ",\"cluster\":\"test-cluster\""))}, "",
               kClosed, ""});
  c.push_back({"info_gossip_without_cluster_kept", {R(fake_info("NOTHER", ""))}, "", kOpen, ""});
  c.push_back({"info_update_ldm_kept",
               {R("INFO {\"server_id\":\"" + kFakeRouteId + "\",\"server_name\":\"fake\",\"ldm\":true}\r\n")}, "",
               kOpen, ""});
  c.push_back({"info_update_connect_urls_ignored",
               {R("INFO {\"server_id\":\"" + kFakeRouteId +
                  "\",\"server_name\":\"fake\",\"connect_urls\":[\"10.9.9.9:4222\"]}\r\n")},
               "", kOpen, ""});
  c.push_back({"info_bad_json_closes", {R("INFO {bad\r\n")}, "", kClosed, ""});

  // ---- CONNECT after the handshake
  c.push_back({"connect_repeated_kept",
               {R("CONNECT {\"name\":\"x\",\"cluster\":\"test-cluster\"}\r\n"), R("RS+ $G bar\r\n"),
                C("PUB bar 2\r\nhi\r\n")},
               "RMSG $G bar 2\r\nhi\r\n", kOpen, ""});
  c.push_back({"connect_repeated_other_cluster_rejected", {R("CONNECT {\"name\":\"x\",\"cluster\":\"zz\"}\r\n")},
               "-ERR 'Rejecting connection, cluster name \"zz\" does not match \"test-cluster\"'\r\n", kClosed,
               ""});
  return c;
}

struct RunResult {
  std::string route, client, handshake;
  bool closed = false;
  bool timed_out = false;
  std::string error;  // setup failure
};

// One case against one fresh node. With `want` (the stock result), reading
// goes on past the final sync until the transcripts reach it or diverge.
RunResult run_case(Kind kind, const RouteCase& tc, const RunResult* want) {
  RunResult res;
  NodeSpec spec;
  spec.kind = kind;
  spec.name = "D";
  spec.client_port = fresh_port();
  spec.cluster_port = fresh_port();
  spec.shards = 1;
  Node node(spec);
  if (!node.start(&res.error)) return res;

  Peer client(Peer::Kind::Client);
  client.set_self(node.client_hp());
  Peer route(Peer::Kind::Route);
  if (!client.connect(node.port()) || !client.send(kClientSetup) || !client.sync()) {
    res.error = "client setup failed";
    return res;
  }
  client.take();
  if (!route.connect(spec.cluster_port) || !route.send(fake_route_hello(FakeRouteSpec{})) || !route.sync()) {
    res.error = "route handshake failed: " + itest::escape(route.transcript()) + "\n" + node.log_tail();
    return res;
  }
  res.handshake = route.take();
  std::string sid = route.server_id();

  for (const auto& st : tc.steps) {
    std::string bytes = st.bytes;
    for (size_t p; (p = bytes.find("$SERVER_ID")) != std::string::npos;) bytes.replace(p, 10, sid);
    Peer& p = st.who == Who::Route ? route : client;
    if (p.closed()) continue;
    p.send(bytes);
    p.sync();
  }
  if (!route.closed()) route.sync();
  client.sync();
  if (want) {
    if (!route.closed()) route.settle(want->route, 1000);
    client.settle(want->client, 1000);
  }
  res.route = route.transcript();
  res.closed = route.closed();
  res.client = client.transcript();
  res.timed_out = route.timed_out() || client.timed_out();
  return res;
}

std::string first_difference(const std::string& got, const std::string& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  auto clip = [](const std::string& s, size_t at) { return itest::escape(s.substr(at, 160)); };
  return "at byte " + std::to_string(i) + ": got \"" + clip(got, i) + "\", want \"" + clip(want, i) + "\"";
}

class RouteDifferential : public ::testing::TestWithParam<RouteCase> {};

TEST_P(RouteDifferential, SameAnswersAsNatsServer) {
  const RouteCase& tc = GetParam();

  RunResult stock = run_case(Kind::Stock, tc, nullptr);
  ASSERT_TRUE(stock.error.empty()) << stock.error;
  EXPECT_FALSE(stock.timed_out) << "a PING went unanswered by nats-server on an open connection";
  EXPECT_TRUE(stock.route == tc.route) << "nats-server disagrees with the table (route): "
                                       << first_difference(stock.route, tc.route);
  EXPECT_EQ(stock.closed, tc.closed) << "nats-server close state disagrees with the table";
  EXPECT_TRUE(stock.client == tc.client) << "nats-server disagrees with the table (client): "
                                         << first_difference(stock.client, tc.client);

  RunResult ring = run_case(Kind::Ring, tc, &stock);
  ASSERT_TRUE(ring.error.empty()) << ring.error;
  bool same = ring.route == stock.route && ring.closed == stock.closed && ring.client == stock.client;
  if (!tc.pending.empty() && !same) {
    GTEST_SKIP() << "known divergence, waits for " << tc.pending << ": route "
                 << first_difference(ring.route, stock.route) << ", closed " << ring.closed << " vs "
                 << stock.closed << ", client " << first_difference(ring.client, stock.client);
  }
  EXPECT_TRUE(ring.route == stock.route) << "ringnats answered the route differently: "
                                         << first_difference(ring.route, stock.route);
  EXPECT_EQ(ring.closed, stock.closed) << "route close state differs from nats-server";
  EXPECT_TRUE(ring.client == stock.client) << "client saw something else than on nats-server: "
                                           << first_difference(ring.client, stock.client);
  if (!tc.pending.empty() && same)
    std::fprintf(stderr, "note: %s now matches nats-server; drop its pending mark\n", tc.name.c_str());
}

INSTANTIATE_TEST_SUITE_P(Route, RouteDifferential, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<RouteCase>& i) { return i.param.name; });

// ---- client URLs (connect_urls) as routes come and go -----------------------
//
// nats-server 2.9.10, seen with a fake route: no connect_urls before any
// route, none after a route that announced no client URLs (and no async
// INFO), [self, theirs] once a route announced some, and [self] after that
// route went away, with an async INFO each time to protocol-1 clients that
// finished their handshake, never to protocol-0 ones; a client that connects
// later gets [self] in its first INFO and no INFO after its first PONG.

class ClientUrls : public ::testing::TestWithParam<Kind> {};

std::vector<std::string> urls_of(RawConn& c) {
  std::string line;
  if (!c.read_until("\r\n", line)) return {"<no INFO>"};
  return info_connect_urls(line);
}

TEST_P(ClientUrls, OwnUrlKeptAfterLastRouteGoes) {
  NodeSpec spec;
  spec.kind = GetParam();
  spec.name = "U";
  spec.client_port = fresh_port();
  spec.cluster_port = fresh_port();
  Node node(spec);
  std::string err;
  ASSERT_TRUE(node.start(&err)) << err;
  const std::string self = node.client_hp();

  InfoWatcher p1;  // protocol 1, handshake done
  ASSERT_TRUE(p1.connect(node.port()));
  EXPECT_TRUE(info_connect_urls(p1.latest_info()).empty()) << p1.latest_info();
  RawConn p0;  // protocol 0
  ASSERT_TRUE(p0.connect(node.port()));
  std::string junk;
  ASSERT_TRUE(p0.read_until("\r\n", junk));
  ASSERT_TRUE(p0.send("CONNECT {\"verbose\":false,\"protocol\":0}\r\nPING\r\n"));
  ASSERT_TRUE(p0.read_until("PONG\r\n", junk));

  auto route_up = [&](Peer& r, const FakeRouteSpec& f) {
    ASSERT_TRUE(r.connect(spec.cluster_port));
    ASSERT_TRUE(r.send(fake_route_hello(f)));
    ASSERT_TRUE(r.sync()) << node.log_tail();
  };

  // A route that announces no client URLs changes nothing.
  {
    Peer r(Peer::Kind::Route);
    FakeRouteSpec f;
    route_up(r, f);
    p1.pump(300);
    EXPECT_TRUE(info_connect_urls(p1.latest_info()).empty()) << "async INFO for a route without URLs: "
                                                             << p1.latest_info();
    RawConn fresh;
    ASSERT_TRUE(fresh.connect(node.port()));
    EXPECT_TRUE(urls_of(fresh).empty());
    r.raw().close();
  }
  p1.pump(300);
  EXPECT_TRUE(info_connect_urls(p1.latest_info()).empty()) << p1.latest_info();

  // One that announces a URL: [self, it]; when it goes: [self].
  {
    Peer r(Peer::Kind::Route);
    FakeRouteSpec f;
    f.id = "NFAKEROUTE2" + std::string(45, 'Y');
    f.info_extra = ",\"connect_urls\":[\"10.9.9.9:4222\"]";
    route_up(r, f);
    EXPECT_TRUE(p1.wait_urls({self, "10.9.9.9:4222"})) << p1.latest_info();
    EXPECT_EQ(info_connect_urls(p1.latest_info()).front(), self) << "own URL first: " << p1.latest_info();
    r.raw().close();
  }
  EXPECT_TRUE(p1.wait_urls({self})) << "after the last route went: " << p1.latest_info();
  RawConn late;
  ASSERT_TRUE(late.connect(node.port()));
  EXPECT_EQ(urls_of(late), std::vector<std::string>{self});
  ASSERT_TRUE(late.send("CONNECT {\"verbose\":false,\"protocol\":1}\r\nPING\r\n"));
  std::string got;
  ASSERT_TRUE(late.read_until("PONG\r\n", got));
  EXPECT_EQ(got, "PONG\r\n");
  late.read_some(200);
  EXPECT_EQ(late.buffer(), "") << "INFO after the first PONG of a client that connected after the change";

  // protocol 0 never got an INFO.
  ASSERT_TRUE(p0.send("PING\r\n"));
  ASSERT_TRUE(p0.read_until("PONG\r\n", got));
  EXPECT_EQ(got.find("INFO"), std::string::npos) << itest::escape(got);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ClientUrls, ::testing::Values(Kind::Ring, Kind::Stock),
                         [](const auto& i) { return std::string(kind_name(i.param)); });

// A peer in lame duck mode: its client URLs are withdrawn at once.
TEST_P(ClientUrls, LameDuckPeerUrlsWithdrawn) {
  NodeSpec spec;
  spec.kind = GetParam();
  spec.name = "L";
  spec.client_port = fresh_port();
  spec.cluster_port = fresh_port();
  Node node(spec);
  std::string err;
  ASSERT_TRUE(node.start(&err)) << err;
  const std::string self = node.client_hp();
  InfoWatcher p1;
  ASSERT_TRUE(p1.connect(node.port()));
  Peer r(Peer::Kind::Route);
  FakeRouteSpec f;
  f.info_extra = ",\"connect_urls\":[\"10.9.9.8:4222\"]";
  ASSERT_TRUE(r.connect(spec.cluster_port));
  ASSERT_TRUE(r.send(fake_route_hello(f)));
  ASSERT_TRUE(r.sync());
  EXPECT_TRUE(p1.wait_urls({self, "10.9.9.8:4222"})) << p1.latest_info();
  ASSERT_TRUE(r.send("INFO {\"server_id\":\"" + f.id + "\",\"server_name\":\"fake\",\"cluster\":\"" + f.cluster +
                     "\",\"connect_urls\":[\"10.9.9.8:4222\"],\"ldm\":true}\r\n"));
  ASSERT_TRUE(r.sync());
  EXPECT_FALSE(r.closed());
  EXPECT_TRUE(p1.wait_urls({self})) << "lame duck peer's URL still listed: " << p1.latest_info();
}

// ---- the route registry -------------------------------------------------------

class RouteRegistry : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    NodeSpec s;
    s.kind = GetParam();
    s.name = "G";
    s.client_port = fresh_port();
    s.cluster_port = fresh_port();
    node_ = std::make_unique<Node>(s);
    std::string err;
    ASSERT_TRUE(node_->start(&err)) << err;
  }
  // Handshake as `f`; true if the node keeps the route over two round trips.
  bool route_kept(Peer& r, const std::string& hello) {
    if (!r.connect(node_->spec().cluster_port) || !r.send(hello) || !r.sync()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return r.sync() && !r.closed();
  }
  std::unique_ptr<Node> node_;
};

// The INFO, not the CONNECT, says who the peer is: when they disagree, the
// route is still forgotten when it closes, so the peer can come back.
TEST_P(RouteRegistry, PeerReconnectsWhenConnectNameDiffersFromInfoId) {
  FakeRouteSpec f;
  std::string hello = fake_route_hello(f);
  std::string other = hello;
  other.replace(other.find(f.id), f.id.size(), "NCONNECTNAME" + std::string(44, 'Z'));
  {
    Peer r(Peer::Kind::Route);
    ASSERT_TRUE(route_kept(r, other)) << node_->log_tail();
  }
  Peer again(Peer::Kind::Route);
  bool ok = wait_until([&] {
    Peer p(Peer::Kind::Route);
    if (!route_kept(p, hello)) return false;
    again = std::move(p);
    return true;
  }, 3000);
  EXPECT_TRUE(ok) << "peer refused after its first route closed (registry kept the old one)\n"
                  << node_->log_tail();
}

// A dynamic cluster name that adopts a peer's configured name drops every
// other route (nats: removeAllRoutesExcept), whose names no longer agree.
TEST_P(RouteRegistry, AdoptingPeerClusterNameDropsOtherRoutes) {
  // This fixture's node has a configured name; restart it without one.
  node_->stop();
  NodeSpec s = node_->spec();
  s.cluster_name.clear();
  node_ = std::make_unique<Node>(s);
  std::string err;
  ASSERT_TRUE(node_->start(&err)) << err;

  Peer first(Peer::Kind::Route);
  ASSERT_TRUE(first.connect(s.cluster_port));
  std::string dyn = first.server_info();
  size_t k = dyn.find("\"cluster\":\"");
  ASSERT_NE(k, std::string::npos) << dyn;
  std::string name = dyn.substr(k + 11, dyn.find('"', k + 11) - (k + 11));
  FakeRouteSpec a;
  a.cluster = name;
  a.dynamic = true;
  ASSERT_TRUE(first.send(fake_route_hello(a)));
  ASSERT_TRUE(first.sync()) << node_->log_tail();

  Peer second(Peer::Kind::Route);
  FakeRouteSpec b;
  b.id = "NFAKEFIXED" + std::string(46, 'F');
  b.name = "fixed";
  b.cluster = "fixed-name";
  ASSERT_TRUE(second.connect(s.cluster_port));
  ASSERT_TRUE(second.send(fake_route_hello(b)));
  ASSERT_TRUE(second.sync()) << node_->log_tail();
  EXPECT_TRUE(first.raw().expect_closed(3000)) << "route under the old name kept\n" << node_->log_tail();
  EXPECT_TRUE(second.sync()) << "the adopted peer's route was dropped";
}

INSTANTIATE_TEST_SUITE_P(Kinds, RouteRegistry, ::testing::Values(Kind::Ring, Kind::Stock),
                         [](const auto& i) { return std::string(kind_name(i.param)); });

// ---- limits where nats-server is worse (ringnats only) -----------------------

// A CONNECT repeated on a registered route must not change whom the route
// is registered as: the peer can reconnect after it closes. nats-server
// 2.9.10 takes the new CONNECT's name as the route's remote id, so on close
// it forgets the wrong id and refuses the peer as a duplicate from then on.
TEST(RouteLimits, RepeatedConnectKeepsRegistry) {
  NodeSpec spec;
  spec.kind = Kind::Ring;
  spec.name = "K";
  spec.client_port = fresh_port();
  spec.cluster_port = fresh_port();
  Node node(spec);
  std::string err;
  ASSERT_TRUE(node.start(&err)) << err;
  std::string hello = fake_route_hello(FakeRouteSpec{});
  {
    Peer r(Peer::Kind::Route);
    ASSERT_TRUE(r.connect(spec.cluster_port));
    ASSERT_TRUE(r.send(hello));
    ASSERT_TRUE(r.sync());
    ASSERT_TRUE(r.send("CONNECT {\"name\":\"x\",\"cluster\":\"test-cluster\"}\r\n"));
    ASSERT_TRUE(r.sync());
  }
  bool ok = wait_until([&] {
    Peer p(Peer::Kind::Route);
    if (!p.connect(spec.cluster_port) || !p.send(hello) || !p.sync()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return p.sync() && !p.closed();
  }, 3000);
  EXPECT_TRUE(ok) << "peer refused after a repeated CONNECT\n" << node.log_tail();
}

// Huge queue weights: nats-server 2.9.10 expands a route's queue entry into
// `weight` list entries, so 999,999,999 hangs it; ringnats clamps weights
// (proto::kMaxRouteQueueWeight). Five routes whose weights sum to 2^32 - 1,
// plus one local member, once made a 32-bit group total wrap to 0, and every
// message to the group was lost. Each message must reach exactly one member.
TEST(RouteLimits, HugeQueueWeightsStillDeliverEachMessageOnce) {
  NodeSpec spec;
  spec.kind = Kind::Ring;
  spec.name = "W";
  spec.client_port = fresh_port();
  spec.cluster_port = fresh_port();
  spec.shards = 1;  // the routes' interest is in place once their PINGs are answered
  Node node(spec);
  std::string err;
  ASSERT_TRUE(node.start(&err)) << err;

  RawConn member;
  ASSERT_TRUE(itest::connect_quiet(member, node.port(), "SUB qq grp 1\r\n"));
  const uint64_t weights[5] = {999'999'999, 999'999'999, 999'999'999, 999'999'999,
                               (uint64_t(1) << 32) - 1 - 4 * 999'999'999ull};
  std::vector<std::unique_ptr<Peer>> routes;
  for (int i = 0; i < 5; ++i) {
    auto r = std::make_unique<Peer>(Peer::Kind::Route);
    FakeRouteSpec f;
    f.id = "NFAKEW" + std::to_string(i) + std::string(49, 'W');
    f.name = "w" + std::to_string(i);
    ASSERT_TRUE(r->connect(spec.cluster_port));
    ASSERT_TRUE(r->send(fake_route_hello(f) + "RS+ $G qq grp " + std::to_string(weights[i]) + "\r\n"));
    ASSERT_TRUE(r->sync()) << node.log_tail();
    r->take();
    routes.push_back(std::move(r));
  }
  RawConn pub;
  ASSERT_TRUE(itest::connect_quiet(pub, node.port()));
  constexpr int kN = 40;
  std::string pubs;
  for (int i = 0; i < kN; ++i) pubs += "PUB qq 3\r\nm" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "\r\n";
  std::string junk;
  ASSERT_TRUE(pub.send(pubs));
  ASSERT_TRUE(pub.ping_pong(junk));

  std::multiset<std::string> seen;
  auto collect = [&] {
    member.read_some(kPollMs);
    std::vector<std::string> frames;
    size_t used = itest::split_frames(member.buffer(), frames);
    member.buffer().erase(0, used);
    for (auto& f : frames)
      if (f.rfind("MSG qq", 0) == 0) seen.insert(f.substr(f.size() - 5, 3));
    for (auto& r : routes) {
      r->raw().read_some(1);
      std::vector<std::string> rf;
      size_t u = split_route_frames(r->raw().buffer(), rf);
      r->raw().buffer().erase(0, u);
      for (auto& f : rf) {
        if (f == "PING\r\n") r->raw().send("PONG\r\n");
        if (f.rfind("RMSG $G qq | grp 3\r\n", 0) == 0) seen.insert(f.substr(f.size() - 5, 3));
      }
    }
    return seen.size() >= static_cast<size_t>(kN);
  };
  wait_until(collect, 5000);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kN)) << "messages lost (or duplicated) with huge queue weights\n"
                                                  << node.log_tail();
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size()) << "a message went twice";
}

// A routed payload no client could be sent (over max_pending) closes the
// route at its control line; nats-server 2.9.10 instead allocates what the
// size says (up to ~1 GB for 999999999) and waits for it.
TEST(RouteLimits, RoutedPayloadOverMaxPendingClosesRoute) {
  NodeSpec spec;
  spec.kind = Kind::Ring;
  spec.name = "P";
  spec.client_port = fresh_port();
  spec.cluster_port = fresh_port();
  Node node(spec);
  std::string err;
  ASSERT_TRUE(node.start(&err)) << err;
  Peer r(Peer::Kind::Route);
  ASSERT_TRUE(r.connect(spec.cluster_port));
  ASSERT_TRUE(r.send(fake_route_hello(FakeRouteSpec{})));
  ASSERT_TRUE(r.sync());
  ASSERT_TRUE(r.send("RMSG $G foo 999999999\r\nabc"));
  EXPECT_TRUE(r.raw().expect_closed(2000)) << "the route is kept and the node waits for the payload";
}

}  // namespace
}  // namespace cltest
