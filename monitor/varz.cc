// /varz: the server's identity, limits and counters in nats-server 2.9's field
// order and omission rules. HTTP threads only.
#include "monitor/endpoint.h"

namespace ringnats::monitor {

namespace {

Json cluster_json(const ClusterSnapshot& c) {
  Json j = Json::object();  // every field omitempty
  if (!c.name.empty()) j["name"] = c.name;
  if (!c.addr.empty()) j["addr"] = c.addr;
  if (c.cluster_port) j["cluster_port"] = c.cluster_port;
  if (c.auth_timeout != 0) j["auth_timeout"] = c.auth_timeout;
  if (!c.urls.empty()) j["urls"] = c.urls;
  if (c.tls_timeout != 0) j["tls_timeout"] = c.tls_timeout;
  return j;
}

}  // namespace

Json varz_json(const ServerSnapshot& s, const ReqStats& stats, int64_t now_ns) {
  Json j;
  j["server_id"] = s.server_id;
  j["server_name"] = s.server_name;
  j["version"] = s.version;
  j["proto"] = s.proto;
  if (!s.git_commit.empty()) j["git_commit"] = s.git_commit;
  j["go"] = s.go;
  j["host"] = s.host;
  j["port"] = s.port;
  if (s.auth_required) j["auth_required"] = true;
  if (!s.connect_urls.empty()) j["connect_urls"] = s.connect_urls;
  j["max_connections"] = s.max_connections;
  if (s.max_subscriptions) j["max_subscriptions"] = s.max_subscriptions;
  j["ping_interval"] = s.ping_interval_ns;
  j["ping_max"] = s.ping_max;
  j["http_host"] = s.http_host;
  j["http_port"] = s.http_port;
  j["http_base_path"] = s.http_base_path;
  j["https_port"] = s.https_port;
  j["auth_timeout"] = s.auth_timeout;
  j["max_control_line"] = s.max_control_line;
  j["max_payload"] = s.max_payload;
  j["max_pending"] = s.max_pending;
  j["cluster"] = cluster_json(s.cluster);
  j["gateway"] = Json::object();
  j["leaf"] = Json::object();
  j["mqtt"] = Json::object();
  j["websocket"] = Json::object();
  j["jetstream"] = Json::object();
  j["tls_timeout"] = s.tls_timeout;
  j["write_deadline"] = s.write_deadline_ns;
  j["start"] = go_time(s.start_ns, false);
  j["now"] = go_time(now_ns, true);
  j["uptime"] = nats_uptime(now_ns - s.start_ns);
  j["mem"] = s.mem;
  j["cores"] = s.cores;
  j["gomaxprocs"] = s.gomaxprocs;
  j["cpu"] = s.cpu;
  j["connections"] = s.connections;
  j["total_connections"] = s.total_connections;
  j["routes"] = s.routes;
  j["remotes"] = s.remotes;
  j["leafnodes"] = s.leafnodes;
  j["in_msgs"] = s.in_msgs;
  j["out_msgs"] = s.out_msgs;
  j["in_bytes"] = s.in_bytes;
  j["out_bytes"] = s.out_bytes;
  j["slow_consumers"] = s.slow_consumers;
  j["subscriptions"] = s.subscriptions;
  Json hs = Json::object();
  for (const auto& [k, v] : stats) hs[k] = v;  // Go sorts map keys; std::map does too
  j["http_req_stats"] = hs;
  j["config_load_time"] = go_time(s.config_load_time_ns, false);
  if (!s.system_account.empty()) j["system_account"] = s.system_account;
  return j;
}

Response render_varz(const Query&, Ctx& ctx) {
  return json_response(varz_json(ctx.src.server(), ctx.req_stats, ctx.now_ns));
}

}  // namespace ringnats::monitor
