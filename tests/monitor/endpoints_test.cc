// Every endpoint rendered from a fake source: fields, omission rules, every
// /connz sort key, paging, closed connections, bad query values (status and
// body as nats-server 2.9), base paths and JSONP.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>

#include "fake_source.h"
#include "monitor/endpoint.h"
#include "monitor/http_server.h"

using namespace montest;

namespace {

struct Fixture : ::testing::Test {
  FakeSource src;
  ReqStats stats;
  std::mutex mu;

  Response get(const std::string& path, const Query& q = {}, const std::string& base = "/") {
    return serve(normalize_base_path(base), path, q, src, src.srv.server_id, stats, mu, kNow);
  }
  Json json(const std::string& path, const Query& q = {}) {
    Response r = get(path, q);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return Json::parse(r.body);
  }
  std::vector<uint64_t> cids(const Json& connz) {
    std::vector<uint64_t> out;
    for (const auto& c : connz["connections"]) out.push_back(c["cid"].get<uint64_t>());
    return out;
  }
  std::vector<std::string> keys(const Json& o) {
    std::vector<std::string> k;
    for (const auto& [key, v] : o.items()) k.push_back(key);
    return k;
  }
};

using Monitor = Fixture;

TEST_F(Monitor, VarzFieldsOrderAndStats) {
  src.srv.connect_urls = {"127.0.0.1:4222"};
  src.srv.cluster.name = "c1";
  src.srv.cluster.cluster_port = 6222;
  Json v = json("/varz");
  std::vector<std::string> want = {
      "server_id", "server_name", "version", "proto", "go", "host", "port", "connect_urls",
      "max_connections", "ping_interval", "ping_max", "http_host", "http_port", "http_base_path",
      "https_port", "auth_timeout", "max_control_line", "max_payload", "max_pending", "cluster",
      "gateway", "leaf", "mqtt", "websocket", "jetstream", "tls_timeout", "write_deadline",
      "start", "now", "uptime", "mem", "cores", "gomaxprocs", "cpu", "connections",
      "total_connections", "routes", "remotes", "leafnodes", "in_msgs", "out_msgs", "in_bytes",
      "out_bytes", "slow_consumers", "subscriptions", "http_req_stats", "config_load_time"};
  EXPECT_EQ(keys(v), want);
  EXPECT_EQ(v["uptime"], "1h2m5s");
  EXPECT_EQ(v["now"], "2024-03-01T12:00:00Z");
  EXPECT_EQ(v["ping_interval"], 120000000000LL);
  EXPECT_EQ(v["cluster"], (Json{{"name", "c1"}, {"cluster_port", 6222}}));
  EXPECT_EQ(v["http_req_stats"]["/varz"], 1);
  json("/varz");
  get("/connz");
  v = json("/varz");
  EXPECT_EQ(v["http_req_stats"]["/varz"], 3);
  EXPECT_EQ(v["http_req_stats"]["/connz"], 1);
  // omitempty fields appear when set.
  src.srv.git_commit = "abc";
  src.srv.auth_required = true;
  src.srv.max_subscriptions = 10;
  src.srv.system_account = "$SYS";
  v = json("/varz");
  EXPECT_EQ(v["git_commit"], "abc");
  EXPECT_EQ(v["auth_required"], true);
  EXPECT_EQ(v["max_subscriptions"], 10);
  EXPECT_EQ(v["system_account"], "$SYS");
}

TEST_F(Monitor, ConnzDefaultAndFields) {
  src.conns = {make_conn(3, 2), make_conn(1), make_conn(2, 1)};
  Json c = json("/connz");
  EXPECT_EQ(keys(c), (std::vector<std::string>{"server_id", "now", "num_connections", "total",
                                                "offset", "limit", "connections"}));
  EXPECT_EQ(c["server_id"], "NFAKESERVERID");
  EXPECT_EQ(c["limit"], 1024);
  EXPECT_EQ(c["total"], 3);
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{1, 2, 3}));
  const Json& one = c["connections"][0];
  EXPECT_EQ(keys(one), (std::vector<std::string>{
                           "cid", "kind", "type", "ip", "port", "start", "last_activity", "rtt",
                           "uptime", "idle", "pending_bytes", "in_msgs", "out_msgs", "in_bytes",
                           "out_bytes", "subscriptions", "name", "lang", "version"}));
  EXPECT_EQ(one["rtt"], "380\xC2\xB5s");
  EXPECT_EQ(one["uptime"], "1m39s");
  EXPECT_EQ(one["idle"], "1m38s");
  EXPECT_EQ(src.with_subs_calls.load(), 0);  // subs not asked for, not gathered
}

TEST_F(Monitor, ConnzSubsListAndDetail) {
  src.conns = {make_conn(1, 2)};
  src.conns[0].subs[1].queue = "q";
  src.conns[0].subs[1].max = 5;
  Json c = json("/connz", {{"subs", "1"}});
  EXPECT_EQ(c["connections"][0]["subscriptions_list"], (Json{"sub.1.0", "sub.1.1"}));
  c = json("/connz", {{"subs", "DETAIL"}});
  const Json& d = c["connections"][0]["subscriptions_list_detail"];
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(keys(d[0]), (std::vector<std::string>{"subject", "sid", "msgs", "cid"}));
  EXPECT_EQ(keys(d[1]), (std::vector<std::string>{"subject", "qgroup", "sid", "msgs", "max", "cid"}));
  c = json("/connz", {{"subs", "false"}});
  EXPECT_FALSE(c["connections"][0].contains("subscriptions_list"));
}

TEST_F(Monitor, ConnzEverySortKey) {
  auto a = make_conn(1), b = make_conn(2), c = make_conn(3);
  a.num_subs = 5; b.num_subs = 9; c.num_subs = 1;
  a.pending_bytes = 10; b.pending_bytes = 30; c.pending_bytes = 20;
  a.out_msgs = 3; b.out_msgs = 1; c.out_msgs = 2;
  a.in_msgs = 1; b.in_msgs = 3; c.in_msgs = 2;
  a.out_bytes = 100; b.out_bytes = 300; c.out_bytes = 200;
  a.in_bytes = 30; b.in_bytes = 20; c.in_bytes = 10;
  a.rtt_ns = 5; b.rtt_ns = 50; c.rtt_ns = 500;
  // start: a oldest; last activity: c latest
  a.start_ns = kNow - 300 * kSec; b.start_ns = kNow - 200 * kSec; c.start_ns = kNow - 100 * kSec;
  a.last_activity_ns = a.start_ns + 10 * kSec;   // active for 10s
  b.last_activity_ns = b.start_ns + 150 * kSec;  // 150s
  c.last_activity_ns = c.start_ns + 90 * kSec;   // 90s
  src.conns = {c, a, b};
  struct Case { const char* key; std::vector<uint64_t> want; } cases[] = {
      {"cid", {1, 2, 3}},       {"start", {1, 2, 3}},      {"subs", {2, 1, 3}},
      {"pending", {2, 3, 1}},   {"msgs_to", {1, 3, 2}},    {"msgs_from", {2, 3, 1}},
      {"bytes_to", {2, 3, 1}},  {"bytes_from", {1, 2, 3}}, {"last", {3, 2, 1}},
      {"idle", {2, 3, 1}},      {"uptime", {3, 2, 1}},     {"rtt", {3, 2, 1}},
  };
  for (const auto& k : cases) EXPECT_EQ(cids(json("/connz", {{"sort", k.key}})), k.want) << k.key;
}

TEST_F(Monitor, ConnzPaging) {
  for (uint64_t i = 1; i <= 10; ++i) src.conns.push_back(make_conn(i));
  Json c = json("/connz", {{"offset", "3"}, {"limit", "4"}});
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{4, 5, 6, 7}));
  EXPECT_EQ(c["num_connections"], 4);
  EXPECT_EQ(c["total"], 10);
  EXPECT_EQ(c["offset"], 3);
  EXPECT_EQ(c["limit"], 4);
  c = json("/connz", {{"offset", "8"}, {"limit", "4"}});
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{9, 10}));
  c = json("/connz", {{"offset", "50"}});
  EXPECT_EQ(c["connections"], Json::array());
  EXPECT_EQ(c["num_connections"], 0);
  c = json("/connz", {{"offset", "-5"}, {"limit", "-1"}});
  EXPECT_EQ(c["offset"], 0);
  EXPECT_EQ(c["limit"], 1024);
  c = json("/connz", {{"cid", "7"}});
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{7}));
  EXPECT_EQ(c["limit"], 1);
  EXPECT_EQ(c["total"], 10);
  c = json("/connz", {{"cid", "77"}});
  EXPECT_EQ(c["connections"], Json::array());
}

TEST_F(Monitor, ConnzClosedFromRing) {
  src.conns = {make_conn(1)};
  for (uint64_t cid : {5, 6, 7}) {
    ConnSnapshot c = make_conn(cid, 1);
    c.subs[0].account = "$G";
    c.stop_ns = kNow - int64_t(10 - cid) * kSec;
    c.reason = cid == 6 ? "Client Closed" : "Read Error";
    c.authorized_user = "u" + std::to_string(cid);
    src.ring.record(c);
  }
  Json c = json("/connz", {{"state", "closed"}});
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{5, 6, 7}));
  const Json& first = c["connections"][0];
  EXPECT_EQ(first["stop"], "2024-03-01T11:59:55Z");
  EXPECT_EQ(first["reason"], "Read Error");
  EXPECT_EQ(first["uptime"], "1m30s");  // frozen at the close
  EXPECT_EQ(keys(first)[7], "stop");
  EXPECT_EQ(keys(first)[8], "reason");
  EXPECT_FALSE(first.contains("authorized_user"));
  c = json("/connz", {{"state", "closed"}, {"sort", "stop"}});
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{7, 6, 5}));
  c = json("/connz", {{"state", "closed"}, {"sort", "reason"}});
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{6, 5, 7}));
  c = json("/connz", {{"state", "ANY"}});
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{1, 5, 6, 7}));
  EXPECT_EQ(c["total"], 4);
  c = json("/connz", {{"state", "all"}, {"subs", "detail"}, {"auth", "true"}});
  EXPECT_EQ(c["connections"][1]["subscriptions_list_detail"][0]["account"], "$G");
  EXPECT_EQ(c["connections"][1]["authorized_user"], "u5");
  c = json("/connz", {{"state", "closed"}, {"cid", "6"}});
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{6}));
  // nats looks only among closed connections for cid with state=any.
  c = json("/connz", {{"state", "any"}, {"cid", "1"}});
  EXPECT_EQ(c["connections"], Json::array());
  c = json("/connz", {{"state", "closed"}, {"user", "u7"}, {"auth", "1"}});
  EXPECT_EQ(cids(c), (std::vector<uint64_t>{7}));
  c = json("/connz", {{"state", "closed"}, {"acc", "$G"}});
  EXPECT_EQ(c["total"], 0);
  c = json("/connz", {{"acc", "OTHER"}});
  EXPECT_EQ(c["server_id"], "");
  EXPECT_TRUE(c["connections"].is_null());
  src.use_ring = false;
  c = json("/connz", {{"state", "closed"}});
  EXPECT_EQ(c["total"], 0);
}

TEST(ClosedRing, WrapsOldestFirst) {
  ClosedRing r(3);
  for (uint64_t i = 1; i <= 5; ++i) {
    ConnSnapshot c;
    c.cid = i;
    r.record(c);
  }
  auto s = r.snapshot();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].cid, 3u);
  EXPECT_EQ(s[2].cid, 5u);
  EXPECT_EQ(r.total(), 5u);
  EXPECT_EQ(ClosedRing().capacity(), 10000u);
}

TEST_F(Monitor, BadQueryValues) {
  struct Case { std::string path; Query q; std::string body; } cases[] = {
      {"/connz", {{"sort", "bad"}}, "invalid sorting option: bad"},
      {"/connz", {{"sort", "stop"}}, "sort by stop only valid on closed connections"},
      {"/connz", {{"sort", "reason"}, {"state", "any"}}, "sort by reason only valid on closed connections"},
      {"/connz", {{"limit", "x"}}, "Error decoding int for 'limit': strconv.Atoi: parsing \"x\": invalid syntax"},
      {"/connz", {{"offset", "99999999999999999999"}},
       "Error decoding int for 'offset': strconv.Atoi: parsing \"99999999999999999999\": value out of range"},
      {"/connz", {{"cid", "-1"}}, "Error decoding uint64 for 'cid': strconv.ParseUint: parsing \"-1\": invalid syntax"},
      {"/connz", {{"state", "bogus"}}, "Error decoding state for bogus"},
      {"/connz", {{"subs", "x"}}, "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"x\": invalid syntax"},
      {"/connz", {{"auth", "maybe"}}, "Error decoding boolean for 'auth': strconv.ParseBool: parsing \"maybe\": invalid syntax"},
      {"/routez", {{"subs", "2"}}, "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"2\": invalid syntax"},
      {"/subsz", {{"subs", "y"}}, "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"y\": invalid syntax"},
      {"/subsz", {{"limit", "1.5"}}, "Error decoding int for 'limit': strconv.Atoi: parsing \"1.5\": invalid syntax"},
      {"/subsz", {{"test", "a.*"}}, "invalid test subject, must be valid publish subject: a.*"},
      {"/subsz", {{"test", "a..b"}}, "invalid test subject, must be valid publish subject: a..b"},
      {"/accountz", {{"acc", "FOO"}}, "Account FOO does not exist"},
      {"/accstatz", {{"unused", "z"}}, "Error decoding boolean for 'unused': strconv.ParseBool: parsing \"z\": invalid syntax"},
      {"/leafz", {{"subs", "z"}}, "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"z\": invalid syntax"},
      {"/gatewayz", {{"accs", "z"}}, "Error decoding boolean for 'accs': strconv.ParseBool: parsing \"z\": invalid syntax"},
      {"/healthz", {{"js-enabled-only", "z"}},
       "Error decoding boolean for 'js-enabled-only': strconv.ParseBool: parsing \"z\": invalid syntax"},
  };
  for (const auto& c : cases) {
    Response r = get(c.path, c.q);
    EXPECT_EQ(r.status, 400) << c.path;
    EXPECT_EQ(r.body, c.body) << c.path;
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  }
}

TEST_F(Monitor, Routez) {
  RouteSnapshot r;
  r.rid = 4;
  r.remote_id = "NREMOTE";
  r.ip = "127.0.0.1";
  r.port = 6222;
  r.start_ns = kNow - 5 * kSec;
  r.last_activity_ns = kNow;
  r.rtt_ns = 268'999;
  r.num_subs = 1;
  r.subs.push_back(SubDetail{"", "foo", "", "$G foo", 3, 0, 4});
  src.rts = {r};
  Json j = json("/routez");
  EXPECT_EQ(keys(j), (std::vector<std::string>{"server_id", "now", "num_routes", "routes"}));
  const Json& one = j["routes"][0];
  EXPECT_EQ(keys(one), (std::vector<std::string>{
                           "rid", "remote_id", "did_solicit", "is_configured", "ip", "port",
                           "start", "last_activity", "rtt", "uptime", "idle", "pending_size",
                           "in_msgs", "out_msgs", "in_bytes", "out_bytes", "subscriptions"}));
  EXPECT_EQ(one["rtt"], "268\xC2\xB5s");
  EXPECT_EQ(one["uptime"], "5s");
  j = json("/routez", {{"subs", "1"}});
  EXPECT_EQ(j["routes"][0]["subscriptions_list"], Json::array({"foo"}));
  j = json("/routez", {{"subs", "detail"}});
  EXPECT_EQ(j["routes"][0]["subscriptions_list_detail"][0]["sid"], "$G foo");
  src.rts.clear();
  j = json("/routez");
  EXPECT_EQ(j["routes"], Json::array());
  EXPECT_EQ(j["num_routes"], 0);
}

TEST_F(Monitor, Subsz) {
  src.stats.num_subscriptions = 3;
  src.stats.cache_hit_rate = 0.25;
  src.stats.avg_fanout = 1.5;
  for (int i = 0; i < 3; ++i)
    src.all_subs.push_back(SubDetail{"", i == 2 ? "foo" : "s" + std::to_string(i), "", std::to_string(i), 0, 0, 1});
  // Without subs: the statistics alone.
  Json j = json("/subsz");
  EXPECT_EQ(keys(j), (std::vector<std::string>{"num_subscriptions", "num_cache", "num_inserts",
                                                "num_removes", "num_matches", "cache_hit_rate",
                                                "max_fanout", "avg_fanout"}));
  EXPECT_EQ(get("/subsz").body.find("\"cache_hit_rate\": 0.25") != std::string::npos, true);
  j = json("/subsz", {{"subs", "1"}});
  EXPECT_EQ(keys(j)[0], "server_id");
  EXPECT_EQ(j["total"], 3);
  EXPECT_EQ(j["subscriptions_list"][0]["account"], "$G");
  j = json("/subsz", {{"subs", "1"}, {"offset", "1"}, {"limit", "1"}});
  EXPECT_EQ(j["subscriptions_list"].size(), 1u);
  EXPECT_EQ(j["subscriptions_list"][0]["subject"], "s1");
  EXPECT_EQ(j["total"], 1);
  j = json("/subsz", {{"subs", "1"}, {"test", "foo"}});
  EXPECT_EQ(j["subscriptions_list"].size(), 1u);
  j = json("/subsz", {{"subs", "1"}, {"test", "nomatch"}});
  EXPECT_FALSE(j.contains("subscriptions_list"));  // empty page: statistics only
  j = json("/subsz", {{"subs", "1"}, {"acc", "OTHER"}});
  EXPECT_EQ(j["num_subscriptions"], 0);
  j = json("/subscriptionsz", {{"subs", "1"}});
  EXPECT_EQ(j["total"], 3);
  EXPECT_EQ(json("/varz")["http_req_stats"]["/subsz"], 8);
}

TEST_F(Monitor, AccountzAndAccstatz) {
  Json j = json("/accountz");
  EXPECT_EQ(keys(j), (std::vector<std::string>{"server_id", "now", "accounts"}));
  EXPECT_EQ(j["accounts"], Json::array({"$G"}));
  src.srv.connections = 2;
  src.stats.num_subscriptions = 7;
  j = json("/accountz", {{"acc", "$G"}});
  const Json& d = j["account_detail"];
  EXPECT_EQ(keys(d), (std::vector<std::string>{"account_name", "update_time", "expired", "complete",
                                                "jetstream_enabled", "leafnode_connections",
                                                "client_connections", "subscriptions", "sublist_stats"}));
  EXPECT_EQ(d["client_connections"], 2);
  EXPECT_EQ(d["subscriptions"], 7);
  src.srv.in_msgs = 3;
  src.srv.out_bytes = 9;
  j = json("/accstatz");
  ASSERT_EQ(j["account_statz"].size(), 1u);
  const Json& a = j["account_statz"][0];
  EXPECT_EQ(keys(a), (std::vector<std::string>{"acc", "conns", "leafnodes", "total_conns", "sent",
                                                "received", "slow_consumers"}));
  EXPECT_EQ(a["received"]["msgs"], 3);
  EXPECT_EQ(a["sent"]["bytes"], 9);
  src.srv.connections = 0;
  EXPECT_EQ(json("/accstatz")["account_statz"], Json::array());
  EXPECT_EQ(json("/accstatz", {{"unused", "1"}})["account_statz"].size(), 1u);
}

// Several accounts: /accountz names them all and details one with nats'
// export and import shapes; /accstatz lists the ones with clients; /connz
// and /subsz filter by account; /connz shows the account only with auth=1
// and never "$G".
TEST_F(Monitor, SeveralAccounts) {
  src.srv.system_account = "$SYS";
  AccountSnapshot g, a, b, sys;
  g.name = "$G";
  a.name = "A";
  a.conns = 2;
  a.stats.num_subscriptions = 4;
  a.out_msgs = 5;
  a.exports = {AccountExport{"svc.>", true, "Singleton", {}}, AccountExport{"a.>", false, "", {"B"}}};
  b.name = "B";
  b.conns = 1;
  b.imports = {AccountImport{"a.>", "A", "", "a.>", false}, AccountImport{"svc.>", "A", "svc.>", "", true}};
  sys.name = "$SYS";
  sys.is_system = true;
  src.accs = {g, a, b, sys};
  Json j = json("/accountz");
  EXPECT_EQ(keys(j), (std::vector<std::string>{"server_id", "now", "system_account", "accounts"}));
  EXPECT_EQ(j["accounts"], Json::array({"$G", "A", "B", "$SYS"}));
  j = json("/accountz", {{"acc", "A"}});
  const Json& d = j["account_detail"];
  EXPECT_EQ(keys(d), (std::vector<std::string>{"account_name", "update_time", "expired", "complete",
                                                "jetstream_enabled", "leafnode_connections",
                                                "client_connections", "subscriptions", "exports",
                                                "sublist_stats"}));
  EXPECT_EQ(d["client_connections"], 2);
  EXPECT_EQ(d["subscriptions"], 4);
  EXPECT_EQ(d["exports"][0], Json::parse(R"({"subject":"svc.>","type":"service","response_type":"Singleton"})"));
  EXPECT_EQ(d["exports"][1], Json::parse(R"({"subject":"a.>","type":"stream","approved_accounts":["B"]})"));
  j = json("/accountz", {{"acc", "B"}});
  EXPECT_EQ(j["account_detail"]["imports"][0],
            Json::parse(R"({"subject":"a.>","account":"A","local_subject":"a.>","type":"stream",
                           "invalid":false,"share":false,"tracking":false})"));
  EXPECT_EQ(j["account_detail"]["imports"][1],
            Json::parse(R"({"subject":"svc.>","account":"A","to":"svc.>","type":"service",
                           "invalid":false,"share":false,"tracking":false})"));
  j = json("/accountz", {{"acc", "$SYS"}});
  EXPECT_EQ(j["account_detail"]["is_system"], true);
  EXPECT_EQ(get("/accountz", {{"acc", "Z"}}).body, "Account Z does not exist");

  j = json("/accstatz");
  ASSERT_EQ(j["account_statz"].size(), 2u);
  EXPECT_EQ(j["account_statz"][0]["acc"], "A");
  EXPECT_EQ(j["account_statz"][0]["sent"]["msgs"], 5);
  EXPECT_EQ(j["account_statz"][1]["acc"], "B");
  EXPECT_EQ(json("/accstatz", {{"unused", "1"}})["account_statz"].size(), 4u);

  ConnSnapshot c1 = make_conn(1, 1), c2 = make_conn(2, 1), c3 = make_conn(3);
  c1.account = "A";
  c1.authorized_user = "a";
  c2.account = "B";
  c3.account = "$G";
  src.conns = {c1, c2, c3};
  ConnSnapshot gone = make_conn(4, 1);
  gone.account = "B";
  gone.subs[0].account = "B";
  gone.stop_ns = kNow;
  gone.reason = "Client Closed";
  src.ring.record(gone);
  j = json("/connz", {{"acc", "B"}, {"state", "any"}, {"auth", "1"}, {"subs", "detail"}});
  EXPECT_EQ(j["total"], 2);
  ASSERT_EQ(j["connections"].size(), 2u);
  EXPECT_EQ(j["connections"][0]["account"], "B");
  EXPECT_FALSE(j["connections"][0]["subscriptions_list_detail"][0].contains("account"));
  EXPECT_EQ(j["connections"][1]["subscriptions_list_detail"][0]["account"], "B");
  j = json("/connz", {{"acc", "A"}});
  ASSERT_EQ(j["connections"].size(), 1u);
  EXPECT_FALSE(j["connections"][0].contains("account"));  // only with auth=1
  j = json("/connz", {{"auth", "1"}});
  EXPECT_EQ(j["connections"][0]["authorized_user"], "a");
  EXPECT_FALSE(j["connections"][2].contains("account"));  // never "$G"
  // acc=$G: its open clients, none of the closed ones (nats keeps no "$G").
  j = json("/connz", {{"acc", "$G"}, {"state", "any"}});
  EXPECT_EQ(j["total"], 1);
  // An account nobody hosts: nats' empty answer.
  j = json("/connz", {{"acc", "Z"}});
  EXPECT_EQ(j["server_id"], "");
  EXPECT_TRUE(j["connections"].is_null());
  // The cid lookup ignores acc among open connections, as nats.
  j = json("/connz", {{"acc", "A"}, {"cid", "2"}});
  EXPECT_EQ(j["num_connections"], 1);

  src.all_subs = {SubDetail{"A", "a.foo", "", "1", 0, 0, 1}, SubDetail{"B", "a.>", "", "1", 0, 0, 2},
                  SubDetail{"B", "b.x", "", "2", 0, 0, 2}};
  j = json("/subsz", {{"subs", "1"}, {"acc", "A"}});
  EXPECT_EQ(j["num_subscriptions"], 4);
  EXPECT_EQ(j["subscriptions_list"].size(), 1u);
  j = json("/subsz", {{"acc", "Z"}});
  EXPECT_EQ(j["num_subscriptions"], 0);
}

TEST_F(Monitor, HealthzGatewayzLeafz) {
  Response r = get("/healthz");
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}");
  Json g = json("/gatewayz");
  EXPECT_EQ(keys(g), (std::vector<std::string>{"server_id", "now", "outbound_gateways", "inbound_gateways"}));
  EXPECT_EQ(g["outbound_gateways"], Json::object());
  Json l = json("/leafz");
  EXPECT_EQ(l["leafnodes"], 0);
  EXPECT_TRUE(l["leafs"].is_null());
}

TEST_F(Monitor, RootPageAndNotFound) {
  Response r = get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  for (const char* p : {"./varz", "./connz", "./routez", "./subsz", "./accountz", "./accstatz",
                        "./healthz", "./leafz", "./gatewayz", "./metrics"})
    EXPECT_NE(r.body.find(std::string("href=\"") + p + "\""), std::string::npos) << p;
  for (const char* p : {"/nope", "/varz/", "//varz", "/connzz"}) {
    Response n = get(p);
    EXPECT_EQ(n.status, 404) << p;
    EXPECT_EQ(n.body, "404 page not found\n");
  }
}

TEST_F(Monitor, BasePath) {
  EXPECT_EQ(normalize_base_path(""), "/");
  EXPECT_EQ(normalize_base_path("mon/"), "/mon");
  EXPECT_EQ(normalize_base_path("/a//b/../c/"), "/a/c");
  EXPECT_EQ(get("/mon/varz", {}, "mon/").status, 200);
  EXPECT_EQ(get("/mon", {}, "/mon").status, 200);
  EXPECT_NE(get("/mon", {}, "/mon").body.find("href=\"./mon/varz\""), std::string::npos);
  EXPECT_EQ(get("/mon/", {}, "/mon").status, 404);
  EXPECT_EQ(get("/varz", {}, "/mon").status, 404);
  EXPECT_EQ(get("/", {}, "/mon").status, 404);
  EXPECT_EQ(get("/monvarz", {}, "/mon").status, 404);
}

TEST_F(Monitor, Jsonp) {
  Response r = get("/healthz", {{"callback", "cb"}});
  EXPECT_EQ(r.body, "cb({\"status\":\"ok\"})");
  EXPECT_EQ(r.content_type, "application/javascript");
  r = get("/connz", {{"callback", "cb"}, {"sort", "x"}});  // errors stay plain
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "invalid sorting option: x");
}

}  // namespace
