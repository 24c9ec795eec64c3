// /accountz (the hosted accounts; ?acc= one account's detail: connections,
// index statistics, exports and imports, in nats-server 2.9's shapes) and
// /accstatz (per-account connection and message counts). HTTP threads only.
#include "monitor/endpoint.h"

namespace ringnats::monitor {

namespace {

// nats' ExtExport (jwt.Export's fields, then approved_accounts).
Json export_json(const AccountExport& e) {
  Json j;
  j["subject"] = e.subject;
  j["type"] = e.service ? "service" : "stream";
  if (e.service && !e.response_type.empty()) j["response_type"] = e.response_type;
  if (!e.approved.empty()) j["approved_accounts"] = e.approved;
  return j;
}

// nats' ExtImport (jwt.Import's fields, then invalid, share, tracking).
Json import_json(const AccountImport& i) {
  Json j;
  j["subject"] = i.subject;
  j["account"] = i.account;
  if (!i.to.empty()) j["to"] = i.to;
  if (!i.local_subject.empty()) j["local_subject"] = i.local_subject;
  j["type"] = i.service ? "service" : "stream";
  j["invalid"] = false;
  j["share"] = false;
  j["tracking"] = false;
  return j;
}

Json detail_json(const AccountSnapshot& a) {
  Json d;
  d["account_name"] = a.name;
  d["update_time"] = go_time(a.update_ns, false);
  if (a.is_system) d["is_system"] = true;
  d["expired"] = false;
  d["complete"] = true;
  d["jetstream_enabled"] = false;
  d["leafnode_connections"] = a.leafnodes;
  d["client_connections"] = a.conns;
  d["subscriptions"] = a.stats.num_subscriptions;
  if (!a.exports.empty()) {
    Json e = Json::array();
    for (const auto& x : a.exports) e.push_back(export_json(x));
    d["exports"] = std::move(e);
  }
  if (!a.imports.empty()) {
    Json i = Json::array();
    for (const auto& x : a.imports) i.push_back(import_json(x));
    d["imports"] = std::move(i);
  }
  d["sublist_stats"] = subs_stats_json(a.stats);
  return d;
}

}  // namespace

Response render_accountz(const Query& q, Ctx& ctx) {
  std::string acc = q_str(q, "acc");
  std::vector<AccountSnapshot> accounts = ctx.src.accounts();
  const AccountSnapshot* found = nullptr;
  for (const auto& a : accounts)
    if (a.name == acc) found = &a;
  if (!acc.empty() && !found) return bad_request("Account " + acc + " does not exist");
  ServerSnapshot s = ctx.src.server();
  Json j;
  j["server_id"] = ctx.server_id;
  j["now"] = go_time(ctx.now_ns, true);
  if (!s.system_account.empty()) j["system_account"] = s.system_account;
  if (acc.empty()) {
    Json names = Json::array();
    for (const auto& a : accounts) names.push_back(a.name);
    j["accounts"] = std::move(names);
  } else {
    j["account_detail"] = detail_json(*found);
  }
  return json_response(j);
}

Response render_accstatz(const Query& q, Ctx& ctx) {
  Response err;
  bool unused;
  if (!q_bool(q, "unused", unused, err)) return err;
  Json list = Json::array();
  // Without unused=1, only accounts with a client connected here (nats'
  // numLocalConnections: leaf nodes do not count).
  for (const auto& s : ctx.src.accounts()) {
    if (!unused && s.conns == 0) continue;
    Json a;
    a["acc"] = s.name;
    a["conns"] = s.conns;
    a["leafnodes"] = s.leafnodes;
    a["total_conns"] = s.conns + s.leafnodes;
    a["sent"] = Json{{"msgs", s.out_msgs}, {"bytes", s.out_bytes}};
    a["received"] = Json{{"msgs", s.in_msgs}, {"bytes", s.in_bytes}};
    a["slow_consumers"] = s.slow_consumers;
    list.push_back(std::move(a));
  }
  Json j;
  j["server_id"] = ctx.server_id;
  j["now"] = go_time(ctx.now_ns, true);
  j["account_statz"] = std::move(list);
  return json_response(j);
}

}  // namespace ringnats::monitor
