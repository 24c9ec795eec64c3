// Route INFO/CONNECT bytes and the accept/reject decisions, against the
// lines nats-server 2.9.10 put on the wire (wire notes sections 3 and 4).
#include <gtest/gtest.h>

#include <string>

#include "cluster/route_info.h"
#include "proto/route_args.h"

using namespace ringnats::cluster;
using ringnats::proto::JsonError;

namespace {

RouteInfo info_b() {
  RouteInfo i;
  i.server_id = "NBID";
  i.server_name = "B";
  i.version = "2.9.10";
  i.go = "go1.19.8";
  i.host = "127.0.0.1";
  i.port = 15249;
  i.headers = true;
  i.max_payload = 1048576;
  i.ip = "nats-route://127.0.0.1:15249/";
  i.nonce = "w32hRNmzShpuXf0";
  i.cluster = "t";
  i.connect_urls = {"127.0.0.1:14223"};
  i.lnoc = true;
  return i;
}

const char kInfoB[] =
    "{\"server_id\":\"NBID\",\"server_name\":\"B\",\"version\":\"2.9.10\",\"proto\":2,\"go\":\"go1.19.8\","
    "\"host\":\"127.0.0.1\",\"port\":15249,\"headers\":true,\"max_payload\":1048576,"
    "\"ip\":\"nats-route://127.0.0.1:15249/\",\"nonce\":\"w32hRNmzShpuXf0\",\"cluster\":\"t\","
    "\"connect_urls\":[\"127.0.0.1:14223\"],\"lnoc\":true}";

}  // namespace

TEST(RouteInfo, OwnLineMatchesTrace) {
  EXPECT_EQ(route_info_line(info_b(), false), std::string("INFO ") + kInfoB + " \r\n");
}

TEST(RouteInfo, GossipLineDropsNonceAndSpace) {
  EXPECT_EQ(route_info_line(info_b(), true),
            "INFO {\"server_id\":\"NBID\",\"server_name\":\"B\",\"version\":\"2.9.10\",\"proto\":2,\"go\":\"go1.19.8\","
            "\"host\":\"127.0.0.1\",\"port\":15249,\"headers\":true,\"max_payload\":1048576,"
            "\"ip\":\"nats-route://127.0.0.1:15249/\",\"cluster\":\"t\","
            "\"connect_urls\":[\"127.0.0.1:14223\"],\"lnoc\":true}\r\n");
}

TEST(RouteInfo, GossipFillsIpFromPeerAddress) {
  RouteInfo i = info_b();
  i.ip.clear();
  i.port = 14349;
  RouteInfo g = gossip_info(i, "127.0.0.1");
  EXPECT_EQ(g.ip, "nats-route://127.0.0.1:14349/");
  EXPECT_TRUE(g.nonce.empty());
  EXPECT_EQ(gossip_info(info_b(), "10.0.0.9").ip, "nats-route://127.0.0.1:15249/");  // advertised ip kept
  EXPECT_EQ(route_url("::1", 4248), "nats-route://[::1]:4248/");
}

TEST(RouteInfo, ParseRoundTrip) {
  RouteInfo back;
  ASSERT_TRUE(parse_route_info(std::string(kInfoB) + "  ", back));  // trailing space of the INFO line
  EXPECT_EQ(back.server_id, "NBID");
  EXPECT_EQ(back.proto, 2);
  EXPECT_EQ(back.port, 15249);
  EXPECT_EQ(back.max_payload, 1048576);
  EXPECT_EQ(back.connect_urls, std::vector<std::string>{"127.0.0.1:14223"});
  EXPECT_TRUE(back.lnoc);
  EXPECT_EQ(route_info_line(back, false), std::string("INFO ") + kInfoB + " \r\n");
}

TEST(RouteInfo, ParseKeepsUnknownToUsFieldsForGossip) {
  // A stock peer's extras (permissions, leafnode url, jetstream) survive re-forwarding.
  const char in[] =
      "{\"server_id\":\"NC\",\"server_name\":\"C\",\"version\":\"2.9.10\",\"proto\":2,\"go\":\"go1.19.8\","
      "\"host\":\"h\",\"port\":1,\"headers\":true,\"max_payload\":1024,\"jetstream\":true,\"cluster\":\"t\","
      "\"import\":{\"allow\":[\"a.>\"]},\"export\":{\"deny\":[\"b\"]},\"lnoc\":true,"
      "\"leafnode_urls\":[\"nats-leaf://h:7422\"]}";
  RouteInfo r;
  ASSERT_TRUE(parse_route_info(in, r));
  // Go re-encodes what it decoded, so '>' comes back escaped.
  std::string want = std::string("INFO ") + in + "\r\n";
  want.replace(want.find("a.>"), 3, "a.\\u003e");
  EXPECT_EQ(route_info_line(r, true), want);
}

TEST(RouteInfo, ParseErrors) {
  RouteInfo r;
  EXPECT_EQ(parse_route_info("{\"port\":\"x\"}", r).error, JsonError::Type);
  EXPECT_EQ(parse_route_info("{\"port\":1", r).error, JsonError::Syntax);
  EXPECT_EQ(parse_route_info("[]", r).error, JsonError::Type);
}

TEST(RouteConnect, OursMatchesTraceWithoutLnoc) {
  RouteConnect c = RouteConnect::ours("NBID", "t", false);
  EXPECT_EQ(route_connect_line(c),
            "CONNECT {\"echo\":true,\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"headers\":true,"
            "\"name\":\"NBID\",\"cluster\":\"t\"}\r\n");
  c.lnoc = true;  // the stock line, for comparison with the trace
  EXPECT_EQ(route_connect_line(c),
            "CONNECT {\"echo\":true,\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"headers\":true,"
            "\"name\":\"NBID\",\"cluster\":\"t\",\"lnoc\":true}\r\n");
  RouteConnect d = RouteConnect::ours("NBID", "tlNM6adOQR47gHI8FHk5IS", true);
  d.user = "u";
  d.pass = "p";
  EXPECT_EQ(route_connect_line(d),
            "CONNECT {\"echo\":true,\"verbose\":false,\"pedantic\":false,\"user\":\"u\",\"pass\":\"p\","
            "\"tls_required\":false,\"headers\":true,\"name\":\"NBID\",\"cluster\":\"tlNM6adOQR47gHI8FHk5IS\","
            "\"cluster_dynamic\":true}\r\n");
}

TEST(RouteConnect, Parse) {
  RouteConnect c;
  ASSERT_TRUE(parse_route_connect(
      R"({"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"NBID","cluster":"t","lnoc":true})",
      c));
  EXPECT_TRUE(c.echo);
  EXPECT_TRUE(c.headers);
  EXPECT_EQ(c.name, "NBID");
  EXPECT_EQ(c.cluster, "t");
  EXPECT_TRUE(c.lnoc);
  EXPECT_FALSE(c.cluster_dynamic);
  EXPECT_EQ(check_route_connect(c, "t", false), RouteConnectVerdict::Accept);
  // Missing keys take Go's zero values.
  ASSERT_TRUE(parse_route_connect("{}", c));
  EXPECT_FALSE(c.headers);
  EXPECT_FALSE(c.echo);
}

TEST(RouteConnect, ClientOnRoutePort) {
  RouteConnect c;
  // Seen live: a client CONNECT on the cluster port.
  ASSERT_TRUE(parse_route_connect(R"({"verbose":false,"lang":"go","cluster":5})", c));  // lang wins before types
  EXPECT_EQ(c.lang, "go");
  auto v = check_route_connect(c, "t", false);
  EXPECT_EQ(v, RouteConnectVerdict::ClientOnRoutePort);
  EXPECT_EQ(route_connect_error(v, c, "t"), "-ERR 'attempted to connect to route port'\r\n");
  // Without lang the route fields are type-checked.
  EXPECT_EQ(parse_route_connect(R"({"cluster":5})", c).error, JsonError::Type);
  // Client fields are type-checked first, even on routes.
  EXPECT_EQ(parse_route_connect(R"({"protocol":"x","lang":"go"})", c).error, JsonError::Type);
  EXPECT_EQ(parse_route_connect(R"({"cluster":"t")", c).error, JsonError::Syntax);
}

TEST(RouteConnect, GatewayAndClusterRejections) {
  RouteConnect c;
  ASSERT_TRUE(parse_route_connect(R"({"gateway":"g","cluster":"t"})", c));
  auto v = check_route_connect(c, "t", false);
  EXPECT_EQ(v, RouteConnectVerdict::Gateway);
  EXPECT_EQ(route_connect_error(v, c, "t"), "-ERR 'Rejecting connection from gateway \"g\" on the Route port'\r\n");
  c.gateway = "g\"q";  // seen live: Go's %q escaping
  EXPECT_EQ(route_connect_error(v, c, "t"),
            "-ERR 'Rejecting connection from gateway \"g\\\"q\" on the Route port'\r\n");

  // Both dynamic: the lower name rejects the higher one (trace 4.5).
  ASSERT_TRUE(parse_route_connect(R"({"name":"NC","cluster":"MUfEXp0D3vVRf9w2XykwDS","cluster_dynamic":true})", c));
  v = check_route_connect(c, "tlNM6adOQR47gHI8FHk5IS", true);
  EXPECT_EQ(v, RouteConnectVerdict::ClusterMismatch);
  EXPECT_EQ(route_connect_error(v, c, "tlNM6adOQR47gHI8FHk5IS"),
            "-ERR 'Rejecting connection, cluster name \"MUfEXp0D3vVRf9w2XykwDS\" does not match "
            "\"tlNM6adOQR47gHI8FHk5IS\"'\r\n");
  // A dynamic server whose name sorts lower takes the peer's name.
  EXPECT_EQ(check_route_connect(c, "AAA", true), RouteConnectVerdict::AdoptName);
  // A configured (non-dynamic) peer name always wins over our dynamic one.
  ASSERT_TRUE(parse_route_connect(R"({"cluster":"fixed"})", c));
  EXPECT_EQ(check_route_connect(c, "tlNM6adOQR47gHI8FHk5IS", true), RouteConnectVerdict::AdoptName);
  // Our configured name never yields.
  EXPECT_EQ(check_route_connect(c, "t", false), RouteConnectVerdict::ClusterMismatch);
  EXPECT_EQ(route_connect_error(check_route_connect(c, "t", false), c, "t"),
            "-ERR 'Rejecting connection, cluster name \"fixed\" does not match \"t\"'\r\n");
  EXPECT_EQ(route_connect_error(RouteConnectVerdict::Accept, c, "t"), "");
  // Go's %q quoting.
  c.cluster = "a\"b\\c\n";
  EXPECT_EQ(route_connect_error(RouteConnectVerdict::ClusterMismatch, c, "t"),
            "-ERR 'Rejecting connection, cluster name \"a\\\"b\\\\c\\n\" does not match \"t\"'\r\n");
}

TEST(RouteInfoCheck, Order) {
  RouteInfo i = info_b();
  RouteInfoContext ctx{"NAID", "A", "t", false, false, false, ""};
  EXPECT_EQ(check_route_info(i, ctx).verdict, RouteInfoVerdict::Register);

  RouteInfo self = i;
  self.server_id = "NAID";
  EXPECT_EQ(check_route_info(self, ctx).verdict, RouteInfoVerdict::SelfRoute);

  RouteInfo other = i;
  other.cluster = "u";
  EXPECT_EQ(check_route_info(other, ctx).verdict, RouteInfoVerdict::ClusterConflict);
  other.cluster.clear();  // an INFO without a cluster name is not a conflict
  EXPECT_EQ(check_route_info(other, ctx).verdict, RouteInfoVerdict::Register);

  RouteInfoContext dyn = ctx;
  dyn.our_dynamic = true;
  dyn.our_cluster = "aaa";
  other.cluster = "zzz";
  other.cluster_dynamic = true;
  RouteInfoCheck r = check_route_info(other, dyn);
  EXPECT_TRUE(r.adopt_cluster);
  EXPECT_EQ(r.verdict, RouteInfoVerdict::Register);
  dyn.our_cluster = "zzzz";
  EXPECT_EQ(check_route_info(other, dyn).verdict, RouteInfoVerdict::ClusterConflict);

  RouteInfo dup = i;
  dup.server_name = "A";
  EXPECT_EQ(check_route_info(dup, ctx).verdict, RouteInfoVerdict::DuplicateName);
  RouteInfoContext sol = ctx;
  sol.solicited = true;  // only the accepting side checks names
  EXPECT_EQ(check_route_info(dup, sol).verdict, RouteInfoVerdict::Register);

  RouteInfoContext later = ctx;
  later.info_received = true;
  later.remote_id = "NBID";
  EXPECT_EQ(check_route_info(i, later).verdict, RouteInfoVerdict::Update);
  RouteInfo c = i;
  c.server_id = "NCID";
  EXPECT_EQ(check_route_info(c, later).verdict, RouteInfoVerdict::Gossip);
  c.server_id = "NAID";  // nats checks for its own id before anything else, on any INFO
  EXPECT_EQ(check_route_info(c, later).verdict, RouteInfoVerdict::SelfRoute);
}

// Queue weights from RS+/LS+: a bad (-1) or zero weight is never picked, and
// a huge one is capped so group totals cannot wrap.
TEST(RouteQueueWeight, Clamped) {
  using ringnats::proto::kMaxRouteQueueWeight;
  using ringnats::proto::route_queue_weight;
  EXPECT_EQ(route_queue_weight(-1), 0u);
  EXPECT_EQ(route_queue_weight(0), 0u);
  EXPECT_EQ(route_queue_weight(1), 1u);
  EXPECT_EQ(route_queue_weight(70000), 70000u);
  EXPECT_EQ(route_queue_weight(static_cast<int32_t>(kMaxRouteQueueWeight)), kMaxRouteQueueWeight);
  EXPECT_EQ(route_queue_weight(999'999'999), kMaxRouteQueueWeight);
  EXPECT_LT(4095ull * kMaxRouteQueueWeight, 1ull << 32);
}
