// /routez: route connections (subs=true|1|detail), as nats-server 2.9 shows
// them. HTTP threads only.
#include <cctype>

#include "monitor/endpoint.h"

namespace ringnats::monitor {


Json route_json(const RouteSnapshot& r, int64_t now, bool subs, bool detail) {
  Json j;
  j["rid"] = r.rid;
  j["remote_id"] = r.remote_id;
  j["did_solicit"] = r.did_solicit;
  j["is_configured"] = r.is_configured;
  j["ip"] = r.ip;
  j["port"] = r.port;
  j["start"] = go_time(r.start_ns, false);
  j["last_activity"] = go_time(r.last_activity_ns, false);
  j["rtt"] = nats_rtt(r.rtt_ns);
  j["uptime"] = nats_uptime(now - r.start_ns);
  j["idle"] = nats_uptime(now - r.last_activity_ns);
  j["pending_size"] = r.pending_bytes;
  j["in_msgs"] = r.in_msgs;
  j["out_msgs"] = r.out_msgs;
  j["in_bytes"] = r.in_bytes;
  j["out_bytes"] = r.out_bytes;
  j["subscriptions"] = r.num_subs;
  put_subs_list(j, r.subs, subs, detail, false);
  return j;
}

Response render_routez(const Query& q, Ctx& ctx) {
  Response err;
  std::string s = q_str(q, "subs");
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  bool detail = s == "detail", subs = false;
  if (!detail && !q_bool(q, "subs", subs, err)) return err;
  auto routes = ctx.src.routes(subs || detail);
  Json list = Json::array();
  for (const auto& r : routes) list.push_back(route_json(r, ctx.now_ns, subs, detail));
  Json j;
  j["server_id"] = ctx.server_id;
  j["now"] = go_time(ctx.now_ns, true);
  j["num_routes"] = routes.size();
  j["routes"] = std::move(list);
  return json_response(j);
}

}  // namespace ringnats::monitor
