// /metrics: Prometheus text exposition 0.0.4 of the /varz counters, the
// subscription index, each route and each shard's loop figures. Names carry
// the ringnats_ prefix, counters end in _total, units are seconds and bytes.
// HTTP threads only.
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "monitor/endpoint.h"

namespace ringnats::monitor {

namespace {

std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string escape_label(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\') o += "\\\\";
    else if (c == '"') o += "\\\"";
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

std::string escape_help(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\') o += "\\\\";
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

// A metric name made safe: [a-zA-Z0-9_:] only.
std::string sanitize(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':') ? c : '_';
  return o;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string label_text(const Labels& l) {
  if (l.empty()) return "";
  std::string o = "{";
  for (size_t i = 0; i < l.size(); ++i) {
    if (i) o += ',';
    o += l[i].first + "=\"" + escape_label(l[i].second) + "\"";
  }
  return o + "}";
}

// Families in first-seen order, each written as one block (the format wants
// a family's samples together).
class Exposition {
 public:
  void add(const std::string& name, const char* type, const std::string& help,
           const Labels& labels, double v) {
    family(name, type, help).lines.push_back(name + label_text(labels) + " " + num(v));
  }
  void counter(const std::string& base, const std::string& help, double v, const Labels& l = {}) {
    std::string n = "ringnats_" + base;
    if (n.size() < 6 || n.compare(n.size() - 6, 6, "_total") != 0) n += "_total";
    add(n, "counter", help, l, v);
  }
  void gauge(const std::string& base, const std::string& help, double v, const Labels& l = {}) {
    add("ringnats_" + base, "gauge", help, l, v);
  }
  void histogram(const Histogram& h, const Labels& l) {
    std::string n = "ringnats_" + sanitize(h.name);
    Family& f = family(n, "histogram", h.help);
    for (size_t i = 0; i < h.bounds.size() && i < h.counts.size(); ++i) {
      Labels b = l;
      b.emplace_back("le", num(h.bounds[i]));
      f.lines.push_back(n + "_bucket" + label_text(b) + " " + num(double(h.counts[i])));
    }
    Labels inf = l;
    inf.emplace_back("le", "+Inf");
    f.lines.push_back(n + "_bucket" + label_text(inf) + " " + num(double(h.count)));
    f.lines.push_back(n + "_sum" + label_text(l) + " " + num(h.sum));
    f.lines.push_back(n + "_count" + label_text(l) + " " + num(double(h.count)));
  }
  std::string text() const {
    std::string o;
    for (const auto& f : fams_) {
      o += "# HELP " + f.name + " " + escape_help(f.help) + "\n";
      o += "# TYPE " + f.name + " " + f.type + "\n";
      for (const auto& l : f.lines) o += l + "\n";
    }
    return o;
  }

 private:
  struct Family {
    std::string name, type, help;
    std::vector<std::string> lines;
  };
  Family& family(const std::string& name, const char* type, const std::string& help) {
    for (auto& f : fams_)
      if (f.name == name) return f;
    fams_.push_back(Family{name, type, help, {}});
    return fams_.back();
  }
  std::vector<Family> fams_;
};

}  // namespace

std::string metrics_text(const ServerSnapshot& s, const SubsStats& st,
                         const std::vector<RouteSnapshot>& routes,
                         const std::vector<ShardLoopSnapshot>& shards, const ReqStats& req,
                         uint64_t closed_total, int64_t now_ns) {
  constexpr double kNs = 1e9;
  Exposition e;
  e.gauge("info", "Server identity; always 1.", 1,
          {{"server_id", s.server_id}, {"server_name", s.server_name}, {"version", s.version}});
  e.gauge("start_time_seconds", "Server start, seconds since the Unix epoch.", double(s.start_ns) / kNs);
  e.gauge("uptime_seconds", "Seconds since the server started.", double(now_ns - s.start_ns) / kNs);
  e.gauge("resident_memory_bytes", "Resident set size in bytes.", double(s.mem));
  e.gauge("cpu_usage_ratio", "CPU use, 1 = one CPU fully busy.", s.cpu / 100.0);
  e.gauge("cores", "CPUs the process may run on.", s.cores);
  e.gauge("shards", "Shard (loop thread) count.", s.gomaxprocs);
  e.gauge("max_connections", "Client connection limit.", s.max_connections);
  e.gauge("max_payload_bytes", "Largest message payload accepted.", double(s.max_payload));
  e.gauge("max_pending_bytes", "Outbound bytes a client may have pending.", double(s.max_pending));
  e.gauge("connections", "Open client connections.", s.connections);
  e.counter("connections_accepted", "Client connections accepted.", double(s.total_connections));
  e.counter("connections_closed", "Client connections closed (recorded for /connz).", double(closed_total));
  e.gauge("routes", "Open route connections.", s.routes);
  e.gauge("remotes", "Servers reached by routes.", s.remotes);
  e.gauge("leafnodes", "Leaf node connections.", s.leafnodes);
  e.counter("in_messages", "Messages received from clients and routes.", double(s.in_msgs));
  e.counter("out_messages", "Messages sent to clients and routes.", double(s.out_msgs));
  e.counter("in_bytes", "Payload bytes received from clients and routes.", double(s.in_bytes));
  e.counter("out_bytes", "Payload bytes sent to clients and routes.", double(s.out_bytes));
  e.counter("slow_consumers", "Connections closed or stalled as slow consumers.", double(s.slow_consumers));
  e.gauge("subscriptions", "Subscriptions in the index, route interest included.", s.subscriptions);
  e.counter("sublist_inserts", "Subscriptions inserted into the index.", double(st.num_inserts));
  e.counter("sublist_removes", "Subscriptions removed from the index.", double(st.num_removes));
  e.counter("sublist_matches", "Subjects matched against the index.", double(st.num_matches));
  e.gauge("sublist_cache_entries", "Cached match results.", st.num_cache);
  e.gauge("sublist_cache_hit_ratio", "Share of matches answered from the cache.", st.cache_hit_rate);
  e.gauge("sublist_fanout_max", "Largest fan-out of a cached match.", st.max_fanout);
  e.gauge("sublist_fanout_avg", "Average fan-out of cached matches.", st.avg_fanout);
  for (const auto& [path, n] : req)
    e.counter("http_requests", "Monitoring requests served, by path.", double(n), {{"path", path}});
  for (const auto& r : routes) {
    Labels l{{"rid", std::to_string(r.rid)}, {"remote_id", r.remote_id}};
    e.counter("route_in_messages", "Messages received on the route.", double(r.in_msgs), l);
    e.counter("route_out_messages", "Messages sent on the route.", double(r.out_msgs), l);
    e.counter("route_in_bytes", "Bytes received on the route.", double(r.in_bytes), l);
    e.counter("route_out_bytes", "Bytes sent on the route.", double(r.out_bytes), l);
    e.gauge("route_pending_bytes", "Bytes queued for the route's socket.", double(r.pending_bytes), l);
    e.gauge("route_subscriptions", "Interest the peer registered on the route.", r.num_subs, l);
    e.gauge("route_rtt_seconds", "Last measured round trip on the route.", double(r.rtt_ns) / kNs, l);
  }
  for (const auto& sh : shards) {
    Labels l{{"shard", std::to_string(sh.shard)}};
    for (const auto& f : sh.figures) {
      std::string n = "shard_" + sanitize(f.name);
      if (f.kind == LoopFigure::Kind::Counter) e.counter(n, f.help, f.value, l);
      else e.gauge(n, f.help, f.value, l);
    }
    for (const auto& h : sh.histograms) {
      Histogram hh = h;
      hh.name = "shard_" + h.name;
      e.histogram(hh, l);
    }
  }
  return e.text();
}

Response render_metrics(const Query&, Ctx& ctx) {
  ServerSnapshot s = ctx.src.server();
  std::string body = metrics_text(s, ctx.src.subs_stats(), ctx.src.routes(false), ctx.src.shard_loops(),
                                  ctx.req_stats, ctx.closed ? ctx.closed->total() : 0, ctx.now_ns);
  return Response{200, std::move(body), "text/plain; version=0.0.4; charset=utf-8"};
}

}  // namespace ringnats::monitor
