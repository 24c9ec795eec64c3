// /subsz (and its alias /subscriptionsz): the subscription index's statistics,
// and with subs=1 a page of client subscriptions, optionally only those a
// literal `test` subject matches, of one account (acc=) or all. HTTP threads
// only.
#include <algorithm>

#include "monitor/endpoint.h"

namespace ringnats::monitor {


namespace {

// A valid publish subject: non-empty tokens split by '.', no wildcard token,
// no whitespace (nats' IsValidLiteralSubject).
bool valid_literal(const std::string& s) {
  if (s.empty()) return false;
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    std::string_view tok(s.data() + start, (dot == std::string::npos ? s.size() : dot) - start);
    if (tok.empty() || tok == "*" || tok == ">") return false;
    for (char c : tok)
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

Json subs_stats_json(const SubsStats& s) {
  Json j;
  j["num_subscriptions"] = s.num_subscriptions;
  j["num_cache"] = s.num_cache;
  j["num_inserts"] = s.num_inserts;
  j["num_removes"] = s.num_removes;
  j["num_matches"] = s.num_matches;
  j["cache_hit_rate"] = s.cache_hit_rate;
  j["max_fanout"] = s.max_fanout;
  j["avg_fanout"] = s.avg_fanout;
  return j;
}

Response render_subsz(const Query& q, Ctx& ctx) {
  Response err;
  bool subs;
  int64_t offset, limit;
  if (!q_bool(q, "subs", subs, err)) return err;
  if (!q_int(q, "offset", offset, err)) return err;
  if (!q_int(q, "limit", limit, err)) return err;
  std::string test = q_str(q, "test"), acc = q_str(q, "acc");
  if (offset < 0) offset = 0;
  if (limit <= 0) limit = 1024;
  if (!test.empty() && !valid_literal(test))
    return bad_request("invalid test subject, must be valid publish subject: " + test);

  // acc= narrows the statistics and the list to that account's index; an
  // account nobody hosts has neither.
  SubsStats st;
  bool none = false;
  if (acc.empty()) {
    st = ctx.src.subs_stats();
  } else {
    none = true;
    for (const auto& a : ctx.src.accounts())
      if (a.name == acc) {
        st = a.stats;
        none = false;
      }
  }
  Json stats = subs_stats_json(st);
  if (!subs || none) return json_response(stats);

  std::vector<SubDetail> list = ctx.src.subs(test, acc);
  int64_t n = int64_t(list.size());
  int64_t lo = std::min(offset, n), hi = std::min(offset + limit, n);
  // nats prints only the statistics when the page is empty.
  if (hi <= lo) return json_response(stats);
  Json page = Json::array();
  for (int64_t i = lo; i < hi; ++i) {
    SubDetail d = list[i];
    if (d.account.empty()) d.account = "$G";
    page.push_back(sub_detail(d, true));
  }
  Json j;
  j["server_id"] = ctx.server_id;
  j["now"] = go_time(ctx.now_ns, true);
  for (const auto& [k, v] : stats.items()) j[k] = v;
  j["total"] = hi - lo;  // nats reports the page's size here
  j["offset"] = offset;
  j["limit"] = limit;
  j["subscriptions_list"] = std::move(page);
  return json_response(j);
}

}  // namespace ringnats::monitor
