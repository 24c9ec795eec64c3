// The small endpoints: /healthz, and /gatewayz and /leafz, which are always
// empty (ringnats has no gateways or leaf nodes) but keep nats' shape and
// query checks. HTTP threads only.
#include "monitor/endpoint.h"

namespace ringnats::monitor {

Response render_healthz(const Query& q, Ctx&) {
  Response err;
  bool b;
  for (const char* k : {"js-enabled", "js-enabled-only", "js-server-only"})
    if (!q_bool(q, k, b, err)) return err;
  Json j;
  j["status"] = "ok";
  return json_response(j, false);
}

Response render_gatewayz(const Query& q, Ctx& ctx) {
  Response err;
  bool accs;
  if (!q_bool(q, "accs", accs, err)) return err;
  Json j;
  j["server_id"] = ctx.server_id;
  j["now"] = go_time(ctx.now_ns, true);
  j["outbound_gateways"] = Json::object();
  j["inbound_gateways"] = Json::object();
  return json_response(j);
}

Response render_leafz(const Query& q, Ctx& ctx) {
  Response err;
  bool subs;
  if (!q_bool(q, "subs", subs, err)) return err;
  Json j;
  j["server_id"] = ctx.server_id;
  j["now"] = go_time(ctx.now_ns, true);
  j["leafnodes"] = 0;
  j["leafs"] = nullptr;
  return json_response(j);
}

}  // namespace ringnats::monitor
