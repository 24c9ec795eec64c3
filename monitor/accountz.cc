// /accountz and /accstatz for the one account ringnats has, the global "$G"
// (no system account). HTTP threads only.
#include "monitor/endpoint.h"

namespace ringnats::monitor {


Response render_accountz(const Query& q, Ctx& ctx) {
  std::string acc = q_str(q, "acc");
  Json j;
  j["server_id"] = ctx.server_id;
  j["now"] = go_time(ctx.now_ns, true);
  if (acc.empty()) {
    ServerSnapshot s = ctx.src.server();
    if (!s.system_account.empty()) j["system_account"] = s.system_account;
    j["accounts"] = Json::array({"$G"});
    return json_response(j);
  }
  if (acc != "$G") return bad_request("Account " + acc + " does not exist");
  ServerSnapshot s = ctx.src.server();
  SubsStats st = ctx.src.subs_stats();
  if (!s.system_account.empty()) j["system_account"] = s.system_account;
  Json d;
  d["account_name"] = "$G";
  d["update_time"] = go_time(s.start_ns, false);
  d["expired"] = false;
  d["complete"] = true;
  d["jetstream_enabled"] = false;
  d["leafnode_connections"] = s.leafnodes;
  d["client_connections"] = s.connections;
  d["subscriptions"] = st.num_subscriptions;
  d["sublist_stats"] = subs_stats_json(st);
  j["account_detail"] = std::move(d);
  return json_response(j);
}

Response render_accstatz(const Query& q, Ctx& ctx) {
  Response err;
  bool unused;
  if (!q_bool(q, "unused", unused, err)) return err;
  ServerSnapshot s = ctx.src.server();
  Json list = Json::array();
  if (unused || s.connections + s.leafnodes > 0) {
    Json a;
    a["acc"] = "$G";
    a["conns"] = s.connections;
    a["leafnodes"] = s.leafnodes;
    a["total_conns"] = s.connections + s.leafnodes;
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
