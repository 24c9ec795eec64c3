// /connz: open and recently closed client connections with nats-server 2.9's
// options (sort, paging, state, cid, subs, auth, user, acc, mqtt_client), its
// error texts, and its quirks. HTTP threads only.
#include <algorithm>
#include <functional>
#include <utility>

#include "monitor/endpoint.h"

namespace ringnats::monitor {

namespace {

enum class State { Open, Closed, Any };

bool parse_state(const std::string& s, State& out, Response& err) {
  std::string l = s;
  for (char& c : l) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (l.empty() || l == "open") out = State::Open;
  else if (l == "closed") out = State::Closed;
  else if (l == "any" || l == "all") out = State::Any;
  else {
    err = bad_request("Error decoding state for " + s);
    return false;
  }
  return true;
}

int64_t uptime_ns(const ConnSnapshot& c, int64_t now) {
  return (c.stop_ns ? c.stop_ns : now) - c.start_ns;
}

// The order each sort key gives; nats sorts descending except cid/start,
// uptime (ascending in 2.9) and reason. "rtt" is 2.10's key (descending).
using Less = std::function<bool(const ConnSnapshot*, const ConnSnapshot*)>;
bool sort_less(const std::string& key, int64_t now, Less& out) {
  using C = const ConnSnapshot*;
  if (key.empty() || key == "cid" || key == "start") out = [](C a, C b) { return a->cid < b->cid; };
  else if (key == "subs") out = [](C a, C b) { return a->num_subs > b->num_subs; };
  else if (key == "pending") out = [](C a, C b) { return a->pending_bytes > b->pending_bytes; };
  else if (key == "msgs_to") out = [](C a, C b) { return a->out_msgs > b->out_msgs; };
  else if (key == "msgs_from") out = [](C a, C b) { return a->in_msgs > b->in_msgs; };
  else if (key == "bytes_to") out = [](C a, C b) { return a->out_bytes > b->out_bytes; };
  else if (key == "bytes_from") out = [](C a, C b) { return a->in_bytes > b->in_bytes; };
  else if (key == "last") out = [](C a, C b) { return a->last_activity_ns > b->last_activity_ns; };
  else if (key == "idle")  // nats compares last_activity - start, descending
    out = [](C a, C b) {
      return a->last_activity_ns - a->start_ns > b->last_activity_ns - b->start_ns;
    };
  else if (key == "uptime")
    out = [now](C a, C b) { return uptime_ns(*a, now) < uptime_ns(*b, now); };
  else if (key == "stop") out = [](C a, C b) { return a->stop_ns > b->stop_ns; };
  else if (key == "reason") out = [](C a, C b) { return a->reason < b->reason; };
  else if (key == "rtt") out = [](C a, C b) { return a->rtt_ns > b->rtt_ns; };
  else return false;
  return true;
}

Json sub_detail_json(const SubDetail& d, bool with_account) {
  Json j;
  if (with_account && !d.account.empty()) j["account"] = d.account;
  j["subject"] = d.subject;
  if (!d.queue.empty()) j["qgroup"] = d.queue;
  j["sid"] = d.sid;
  j["msgs"] = d.msgs;
  if (d.max) j["max"] = d.max;
  j["cid"] = d.cid;
  return j;
}

}  // namespace

Json sub_detail(const SubDetail& d, bool with_account) { return sub_detail_json(d, with_account); }

void put_subs_list(Json& j, const std::vector<SubDetail>& list, bool subs, bool detail, bool with_account) {
  if (list.empty() || (!subs && !detail)) return;
  Json a = Json::array();
  for (const auto& d : list) a.push_back(detail ? sub_detail_json(d, with_account) : Json(d.subject));
  j[detail ? "subscriptions_list_detail" : "subscriptions_list"] = std::move(a);
}

Json conn_json(const ConnSnapshot& c, int64_t now, bool subs, bool detail, bool auth) {
  const bool closed = c.stop_ns != 0;
  Json j;
  j["cid"] = c.cid;
  if (!c.kind.empty()) j["kind"] = c.kind;
  if (!c.type.empty()) j["type"] = c.type;
  j["ip"] = c.ip;
  j["port"] = c.port;
  j["start"] = go_time(c.start_ns, false);
  j["last_activity"] = go_time(c.last_activity_ns, false);
  if (closed) j["stop"] = go_time(c.stop_ns, true);
  if (!c.reason.empty()) j["reason"] = c.reason;
  j["rtt"] = nats_rtt(c.rtt_ns);
  // A closed connection's figures were frozen at its close.
  int64_t at = closed ? c.stop_ns : now;
  j["uptime"] = nats_uptime(at - c.start_ns);
  j["idle"] = nats_uptime(at - c.last_activity_ns);
  j["pending_bytes"] = c.pending_bytes;
  j["in_msgs"] = c.in_msgs;
  j["out_msgs"] = c.out_msgs;
  j["in_bytes"] = c.in_bytes;
  j["out_bytes"] = c.out_bytes;
  j["subscriptions"] = c.num_subs;
  if (!c.name.empty()) j["name"] = c.name;
  if (!c.lang.empty()) j["lang"] = c.lang;
  if (!c.version.empty()) j["version"] = c.version;
  if (auth && !c.authorized_user.empty()) j["authorized_user"] = c.authorized_user;
  if (auth && !c.account.empty() && c.account != "$G") j["account"] = c.account;
  // Open connections list their subs without the account; the closed ring
  // kept it (nats fills the two from different places).
  put_subs_list(j, c.subs, subs, detail, closed);
  return j;
}

Response render_connz(const Query& q, Ctx& ctx) {
  Response err;
  std::string sort = q_str(q, "sort");
  bool auth, subs = false, detail = false;
  int64_t offset, limit;
  uint64_t cid;
  State state = State::Open;
  if (!q_bool(q, "auth", auth, err)) return err;
  std::string subs_s = q_str(q, "subs");
  for (char& c : subs_s) c = char(std::tolower(static_cast<unsigned char>(c)));
  detail = subs_s == "detail";
  if (!detail && !q_bool(q, "subs", subs, err)) return err;
  if (!q_int(q, "offset", offset, err)) return err;
  if (!q_int(q, "limit", limit, err)) return err;
  if (!q_uint(q, "cid", cid, err)) return err;
  if (!parse_state(q_str(q, "state"), state, err)) return err;
  std::string user = q_str(q, "user"), acc = q_str(q, "acc"), mqtt = q_str(q, "mqtt_client");

  Less less;
  if (!sort_less(sort, ctx.now_ns, less)) return bad_request("invalid sorting option: " + sort);
  if (offset < 0) offset = 0;
  if (limit <= 0) limit = 1024;
  if (sort == "stop" && state != State::Closed)
    return bad_request("sort by stop only valid on closed connections");
  if (sort == "reason" && state != State::Closed)
    return bad_request("sort by reason only valid on closed connections");
  if (cid > 0) limit = 1;

  Json j;
  bool known = acc.empty();
  if (!known)
    for (const auto& a : ctx.src.accounts())
      if (a.name == acc) known = true;
  // An unknown account: nats answers before it fills in its id.
  if (!known) {
    j["server_id"] = "";
    j["now"] = go_time(ctx.now_ns, true);
    j["num_connections"] = 0;
    j["total"] = 0;
    j["offset"] = offset;
    j["limit"] = limit;
    j["connections"] = nullptr;
    return json_response(j);
  }

  std::vector<ConnSnapshot> all_open, open, closed;
  if (state != State::Closed) all_open = ctx.src.open_conns(subs || detail);
  if (state != State::Open && ctx.closed) closed = ctx.closed->snapshot();
  auto account_of = [](const ConnSnapshot& c) { return c.account.empty() ? std::string("$G") : c.account; };
  for (auto& c : all_open)
    if (acc.empty() || account_of(c) == acc) open.push_back(c);
  // nats' closed ring keeps the account name only when it is not "$G", so an
  // acc=$G filter drops every closed connection.
  if (!acc.empty())
    closed.erase(std::remove_if(closed.begin(), closed.end(),
                                [&](const ConnSnapshot& c) { return acc == "$G" || account_of(c) != acc; }),
                 closed.end());
  int64_t total = int64_t(open.size() + closed.size());

  std::vector<const ConnSnapshot*> list;
  if (cid > 0) {
    // nats looks among closed connections for state=closed and state=any,
    // and among open ones only for state=open.
    if (state != State::Open) {
      for (const auto& c : closed) if (c.cid == cid) { list.push_back(&c); break; }
    } else {
      // (nats looks among every open connection here, whatever `acc` says.)
      for (const auto& c : all_open) if (c.cid == cid) { list.push_back(&c); break; }
    }
  } else {
    for (const auto& c : open) {
      if (!user.empty() && c.authorized_user != user) continue;
      if (!mqtt.empty()) continue;  // no MQTT clients here
      list.push_back(&c);
    }
    for (const auto& c : closed) {
      if (!user.empty() && c.authorized_user != user) continue;
      if (!mqtt.empty()) continue;
      list.push_back(&c);
    }
  }
  std::stable_sort(list.begin(), list.end(), less);

  int64_t n = int64_t(list.size());
  int64_t lo = std::min(offset, n), hi = std::min(offset + limit, n);
  Json conns = Json::array();
  for (int64_t i = lo; i < hi; ++i) conns.push_back(conn_json(*list[i], ctx.now_ns, subs, detail, auth));

  j["server_id"] = ctx.server_id;
  j["now"] = go_time(ctx.now_ns, true);
  j["num_connections"] = hi - lo;
  j["total"] = total;
  j["offset"] = offset;
  j["limit"] = limit;
  j["connections"] = std::move(conns);
  return json_response(j);
}

}  // namespace ringnats::monitor
