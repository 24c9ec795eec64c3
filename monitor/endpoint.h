// What every endpoint renderer shares: the parsed query, the response, and
// the request context (source, closed ring, clock, request counts). Renderers
// run on an HTTP thread and touch only what the context hands them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "monitor/closed_ring.h"
#include "monitor/go_format.h"
#include "monitor/source.h"

namespace ringnats::monitor {

// Query parameters, first value of each (as Go's URL.Query().Get).
using Query = std::map<std::string, std::string>;

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// Per-path request counts for /varz's http_req_stats (keys "/varz", "/" ...).
using ReqStats = std::map<std::string, uint64_t>;

struct Ctx {
  MonitorSource& src;
  const ClosedRing* closed = nullptr;  // null: nothing recorded
  std::string server_id;
  int64_t now_ns = 0;                  // wall clock
  ReqStats req_stats;                  // copy taken for this request
  std::string base_path = "/";         // normalised, for the root page links
};

// A 400 with nats' plain-text error body.
inline Response bad_request(std::string msg) {
  return Response{400, std::move(msg), "text/plain; charset=utf-8"};
}
inline Response json_response(const Json& j, bool indent = true) {
  return Response{200, go_json(j, indent), "application/json"};
}

// Query decoders with nats' error texts; false with `err` (a 400) on a bad
// value, an absent or empty parameter gives the default.
bool q_bool(const Query& q, const std::string& key, bool& out, Response& err);
bool q_int(const Query& q, const std::string& key, int64_t& out, Response& err);
bool q_uint(const Query& q, const std::string& key, uint64_t& out, Response& err);
std::string q_str(const Query& q, const std::string& key);

// The endpoints, one file each; `path` in dispatch() is relative to the base
// path ("/varz"). dispatch() answers 404 for an unknown path (Go's body).
Response render_root(const Query& q, Ctx& ctx);
Response render_varz(const Query& q, Ctx& ctx);
Response render_connz(const Query& q, Ctx& ctx);
Response render_routez(const Query& q, Ctx& ctx);
Response render_subsz(const Query& q, Ctx& ctx);
Response render_accountz(const Query& q, Ctx& ctx);
Response render_accstatz(const Query& q, Ctx& ctx);
Response render_healthz(const Query& q, Ctx& ctx);
Response render_gatewayz(const Query& q, Ctx& ctx);
Response render_leafz(const Query& q, Ctx& ctx);
Response render_metrics(const Query& q, Ctx& ctx);
Response not_found();

// The JSON builders behind them (pure, for reuse and tests).
Json varz_json(const ServerSnapshot& s, const ReqStats& stats, int64_t now_ns);
Json conn_json(const ConnSnapshot& c, int64_t now_ns, bool subs, bool detail, bool auth);
Json route_json(const RouteSnapshot& r, int64_t now_ns, bool subs, bool detail);
Json sub_detail(const SubDetail& d, bool with_account);
// "subscriptions_list" (subjects, with `subs`) or "subscriptions_list_detail"
// (with `detail`) into j, as /connz and /routez both show them.
void put_subs_list(Json& j, const std::vector<SubDetail>& list, bool subs, bool detail, bool with_account);
Json subs_stats_json(const SubsStats& s);
std::string metrics_text(const ServerSnapshot& s, const SubsStats& st,
                         const std::vector<RouteSnapshot>& routes,
                         const std::vector<ShardLoopSnapshot>& shards, const ReqStats& req,
                         uint64_t closed_total, int64_t now_ns);

// Finds the renderer for `path`; null for an unknown one. `stats_key` gets
// the http_req_stats key the request counts under ("" for none).
using Renderer = Response (*)(const Query&, Ctx&);
Renderer find_endpoint(const std::string& path, std::string& stats_key);

}  // namespace ringnats::monitor
