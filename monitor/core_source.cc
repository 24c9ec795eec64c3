// Snapshots of a running server for the monitor (see core_source.h). Every
// read of shard state happens on that shard's thread inside Server::gather;
// results travel back through a shared_ptr so a shard that answers after a
// timeout writes into memory that is still alive.
#include "monitor/core_source.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <thread>
#include <sstream>

#include "core/clock.h"
#include "core/cluster_hooks.h"
#include "core/log.h"
#include "core/server.h"
#include "proto/subject.h"

namespace ringnats::monitor {

namespace {

// nats-server's ClosedState texts for the reasons ringnats closes with.
std::string reason_text(proto::ErrCode why) {
  using proto::ErrCode;
  switch (why) {
    case ErrCode::None: return "Client Closed";
    case ErrCode::UnknownOp: return "Protocol Violation";  // as nats-server 2.9.10 lists it
    case ErrCode::MaxControlLine: return "Maximum Control Line Exceeded";
    case ErrCode::MaxPayload: return "Maximum Message Payload Exceeded";
    case ErrCode::AuthViolation: return "Authentication Failure";
    case ErrCode::AuthTimeout: return "Authentication Timeout";
    case ErrCode::StaleConnection: return "Stale Connection";
    case ErrCode::BadClientProtocol: return "Bad Client Protocol Version";
    case ErrCode::NoRespondersNeedsHeaders: return "No Responders Requires Headers";
    case ErrCode::MaxConnections: return "Maximum Connections Exceeded";
    case ErrCode::MaxSubscriptions: return "Maximum Subscriptions Exceeded";
    case ErrCode::RoutePort: return "Incorrect Port";
    case ErrCode::ProtocolViolation: return "Protocol Violation";
    case ErrCode::SlowConsumer: return "Slow Consumer (Pending Bytes)";
    case ErrCode::ServerShutdown: return "Server Shutdown";
    case ErrCode::TlsHandshake: return "TLS Handshake Error";
    default: return "Client Closed";
  }
}

const std::string& account_name(Server& srv, uint32_t id) {
  static const std::string global = "$G";
  const AccountTable& t = srv.accounts();
  return id < t.size() ? t.at(id).name : global;
}

// nats' ResponseType.String().
const char* response_type_text(ResponseType t) {
  switch (t) {
    case ResponseType::Stream: return "Streamed";
    case ResponseType::Chunked: return "Chunked";
    default: return "Singleton";
  }
}

// Index entries that are ringnats' own plumbing, not subscriptions: the one
// catch-all for service responses in each account that serves imports (nats
// has a subscription per request in flight instead, none at rest). The
// counts the monitor shows leave them out.
uint32_t plumbing_entries(const AccountTable& t) {
  uint32_t n = 0;
  for (const Account& a : t.all()) n += a.serves_imports ? 1 : 0;
  return n;
}

void fill_subs(Shard& s, const Conn& c, std::vector<SubDetail>& out) {
  out.reserve(c.subs.size());
  for (const auto& [sid, slot] : c.subs) {
    const Sub& sub = s.subscription(slot);
    if (!sub.alive) continue;
    SubDetail d;
    d.subject = sub.subject;
    d.queue = sub.queue;
    d.sid = sub.sid;
    d.msgs = static_cast<int64_t>(sub.delivered);
    d.max = static_cast<int64_t>(sub.max);
    d.cid = c.cid;
    out.push_back(std::move(d));
  }
}

ConnSnapshot conn_snapshot(Shard& s, const Conn& c, bool with_subs) {
  ConnSnapshot k;
  k.cid = c.cid;
  k.ip = c.remote_ip;
  k.port = c.remote_port;
  k.start_ns = c.start_wall_ns;
  // (Converted from the monotonic clock: never before the wall-clock start.)
  k.last_activity_ns = std::max(k.start_ns, mono_to_wall_ns(c.last_activity_ns));
  k.rtt_ns = c.rtt_ns;
  k.pending_bytes = static_cast<int64_t>(c.out.pending());
  k.in_msgs = static_cast<int64_t>(c.in_msgs);
  k.in_bytes = static_cast<int64_t>(c.in_bytes);
  k.out_msgs = static_cast<int64_t>(c.out_msgs);
  k.out_bytes = static_cast<int64_t>(c.out_bytes);
  k.num_subs = static_cast<uint32_t>(c.subs.size());
  k.name = c.name;
  k.lang = c.lang;
  k.version = c.version;
  // nats' getRawAuthUser: the user name, else the token the client sent.
  k.authorized_user = !c.auth_user.empty() ? c.auth_user : c.auth_token;
  k.account = account_name(s.server(), c.account);
  if (with_subs) fill_subs(s, c, k.subs);
  return k;
}

// Per-shard results of one gather, alive as long as any shard may write.
template <class T>
std::shared_ptr<std::vector<T>> per_shard(Server& srv) {
  return std::make_shared<std::vector<T>>(static_cast<size_t>(srv.nshards()));
}

int64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long long size = 0, resident = 0;
  f >> size >> resident;
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

// utime + stime of the whole process, in ns.
int64_t process_cpu_ns() {
  std::ifstream f("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t p = all.rfind(')');
  if (p == std::string::npos) return 0;
  std::istringstream in(all.substr(p + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // Fields after the command: state(3) ... utime(14) stime(15).
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return (utime + stime) * (1'000'000'000 / sysconf(_SC_CLK_TCK));
}

}  // namespace

CoreSource::CoreSource(Server& srv) : srv_(srv) {
  last_cpu_ns_ = process_cpu_ns();
  last_wall_ns_ = mono_ns();
}

double CoreSource::cpu_percent() {
  std::lock_guard<std::mutex> g(cpu_mu_);
  int64_t now = mono_ns();
  // Like nats' sampling: CPU used over the last interval, at most once a
  // second apart so back-to-back requests do not read noise.
  if (now - last_wall_ns_ >= 1'000'000'000) {
    int64_t cpu = process_cpu_ns();
    last_pcpu_ = 100.0 * static_cast<double>(cpu - last_cpu_ns_) / static_cast<double>(now - last_wall_ns_);
    last_cpu_ns_ = cpu;
    last_wall_ns_ = now;
  }
  return last_pcpu_;
}

ServerSnapshot CoreSource::server() {
  Use use(*this);
  if (!use) return ServerSnapshot{};
  const Options o = srv_.opts_snapshot();
  ServerSnapshot v;
  v.server_id = srv_.server_id();
  v.server_name = srv_.server_name();
  v.version = Server::kCompatVersion;
  v.host = o.host;
  v.port = srv_.client_port();
  v.auth_required = Server::auth_required(o);  // from the snapshot: a reload may be replacing opts_
  v.connect_urls = srv_.connect_urls();
  v.max_connections = o.max_connections;
  v.max_subscriptions = o.max_subs;
  v.ping_interval_ns = o.ping_interval_ns;
  v.ping_max = o.ping_max;
  v.http_host = o.http_host;
  v.http_port = o.http_port;
  v.http_base_path = o.http_base_path;
  v.auth_timeout = static_cast<double>(o.auth_timeout_ns) / 1e9;
  v.max_control_line = o.max_control_line;
  v.max_payload = o.max_payload;
  v.max_pending = o.max_pending;
  if (o.cluster.enabled || !o.cluster.routes.empty()) {
    v.cluster.name = srv_.cluster_name();
    v.cluster.addr = o.cluster.host;
    v.cluster.cluster_port = o.cluster.port;
    v.cluster.auth_timeout = static_cast<double>(o.cluster.auth_timeout_ns) / 1e9;
    v.cluster.tls_timeout = 2;  // nats' default, shown although TLS is refused
    for (const auto& r : o.cluster.routes) {
      std::string u = r;
      size_t at = u.find("://");
      if (at != std::string::npos) u = u.substr(at + 3);
      if (size_t cred = u.rfind('@'); cred != std::string::npos) u = u.substr(cred + 1);
      v.cluster.urls.push_back(u);
    }
  }
  v.write_deadline_ns = o.write_deadline_ns;
  v.start_ns = srv_.start_wall_ns();
  v.config_load_time_ns = srv_.start_wall_ns();
  v.mem = rss_bytes();
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  v.cores = static_cast<int>(ncpu > 0 ? ncpu : 1);
  v.gomaxprocs = srv_.nshards();
  v.cpu = cpu_percent();
  v.total_connections = srv_.total_clients();
  if (srv_.accounts().system() < srv_.accounts().size())
    v.system_account = srv_.accounts().at(srv_.accounts().system()).name;

  struct Counts {
    int64_t in_msgs = 0, out_msgs = 0, in_bytes = 0, out_bytes = 0, slow = 0;
    int clients = 0, routes = 0;
    uint32_t subs = 0;
  };
  auto counts = per_shard<Counts>(srv_);
  bool all = srv_.gather([counts](Shard& s) {
    Counts& k = (*counts)[static_cast<size_t>(s.id())];
    const ShardStats& st = s.stats();
    k.in_msgs = static_cast<int64_t>(st.closed_in_msgs);
    k.in_bytes = static_cast<int64_t>(st.closed_in_bytes);
    k.out_msgs = static_cast<int64_t>(st.closed_out_msgs);
    k.out_bytes = static_cast<int64_t>(st.closed_out_bytes);
    k.slow = static_cast<int64_t>(st.slow_consumers);
    k.subs = static_cast<uint32_t>(s.index_entries());
    s.for_each_conn([&](Conn* c) {
      k.in_msgs += static_cast<int64_t>(c->in_msgs);
      k.in_bytes += static_cast<int64_t>(c->in_bytes);
      k.out_msgs += static_cast<int64_t>(c->out_msgs);
      k.out_bytes += static_cast<int64_t>(c->out_bytes);
      if (c->type == ConnType::Client) ++k.clients;
      else if (c->route) ++k.routes;
    });
  });
  if (!all) return v;  // stopping: a shard may still write the counts
  for (const Counts& k : *counts) {
    v.in_msgs += k.in_msgs;
    v.in_bytes += k.in_bytes;
    v.out_msgs += k.out_msgs;
    v.out_bytes += k.out_bytes;
    v.slow_consumers += k.slow;
    v.connections += k.clients;
    v.routes += k.routes;
    v.subscriptions += k.subs;
  }
  v.subscriptions -= std::min(v.subscriptions, plumbing_entries(srv_.accounts()));
  v.remotes = v.routes;
  return v;
}

std::vector<ConnSnapshot> CoreSource::open_conns(bool with_subs) {
  Use use(*this);
  if (!use) return {};
  auto res = per_shard<std::vector<ConnSnapshot>>(srv_);
  if (!srv_.gather([res, with_subs](Shard& s) {
    auto& out = (*res)[static_cast<size_t>(s.id())];
    s.for_each_conn([&](Conn* c) {
      if (c->type == ConnType::Client) out.push_back(conn_snapshot(s, *c, with_subs));
    });
  }))
    return {};
  std::vector<ConnSnapshot> all;
  for (auto& v : *res)
    for (auto& c : v) all.push_back(std::move(c));
  return all;
}

std::vector<RouteSnapshot> CoreSource::routes(bool with_subs) {
  Use use(*this);
  if (!use) return {};
  auto res = per_shard<std::vector<RouteSnapshot>>(srv_);
  Server& srv = srv_;
  bool all = srv_.gather([res, with_subs, &srv](Shard& s) {
    ClusterHooks* cl = srv.cluster();
    if (!cl) return;
    auto& out = (*res)[static_cast<size_t>(s.id())];
    s.for_each_conn([&](Conn* c) {
      ClusterHooks::RouteView view;
      if (c->type != ConnType::Route || !cl->route_view(c, with_subs, view)) return;
      RouteSnapshot r;
      r.rid = c->cid;
      r.remote_id = view.remote_id;
      r.did_solicit = view.solicited;
      r.is_configured = view.configured;
      r.ip = c->remote_ip;
      r.port = c->remote_port;
      r.start_ns = c->start_wall_ns;
      r.last_activity_ns = mono_to_wall_ns(c->last_activity_ns);
      r.rtt_ns = c->rtt_ns;
      r.pending_bytes = static_cast<int64_t>(c->out.pending());
      r.in_msgs = static_cast<int64_t>(c->in_msgs);
      r.in_bytes = static_cast<int64_t>(c->in_bytes);
      r.out_msgs = static_cast<int64_t>(c->out_msgs);
      r.out_bytes = static_cast<int64_t>(c->out_bytes);
      r.num_subs = static_cast<uint32_t>(view.num_subs);
      for (auto& [acc, subject, queue] : view.subs) {
        SubDetail d;
        d.subject = subject;
        d.queue = queue;
        // nats' route sid: "<account> <subject>[ <queue>]" (and no account
        // field under a route).
        d.sid = account_name(srv, acc);
        d.sid.push_back(' ');
        d.sid.append(subject);
        if (!queue.empty()) {
          d.sid.push_back(' ');
          d.sid.append(queue);
        }
        r.subs.push_back(std::move(d));
      }
      out.push_back(std::move(r));
    });
  });
  std::vector<RouteSnapshot> list;
  if (!all) return list;
  for (auto& v : *res)
    for (auto& r : v) list.push_back(std::move(r));
  return list;
}

SubsStats CoreSource::subs_stats() {
  Use use(*this);
  if (!use) return {};
  auto res = per_shard<size_t>(srv_);
  SubsStats st;
  if (!srv_.gather([res](Shard& s) { (*res)[static_cast<size_t>(s.id())] = s.index_entries(); }))
    return st;
  for (size_t n : *res) st.num_subscriptions += static_cast<uint32_t>(n);
  st.num_subscriptions -= std::min(st.num_subscriptions, plumbing_entries(srv_.accounts()));
  return st;
}

std::vector<SubDetail> CoreSource::subs(const std::string& test, const std::string& acc) {
  Use use(*this);
  if (!use) return {};
  const AccountTable& accounts = srv_.accounts();
  uint32_t only = kNoAccount;  // every account
  if (!acc.empty()) {
    only = accounts.find(acc);
    if (only == kNoAccount) return {};
  }
  auto res = per_shard<std::vector<SubDetail>>(srv_);
  Server& srv = srv_;
  bool all = srv_.gather([res, test, only, &srv](Shard& s) {
    auto& out = (*res)[static_cast<size_t>(s.id())];
    const AccountTable& t = srv.accounts();
    s.for_each_sub([&](const Sub& sub) {
      Conn* c = s.conn_at(sub.conn_slot, sub.conn_gen);
      if (!c) return;
      auto add = [&](const std::string& subject) {
        if (!test.empty() && !proto::subject_matches(subject, test)) return;
        SubDetail d;
        d.account = account_name(srv, sub.account);
        d.subject = subject;
        d.queue = sub.queue;
        d.sid = sub.sid;
        d.msgs = static_cast<int64_t>(sub.delivered);
        d.max = static_cast<int64_t>(sub.max);
        d.cid = c->cid;
        out.push_back(std::move(d));
      };
      if (only == kNoAccount || sub.account == only) add(sub.subject);
      // Its shadows in exporters' indexes, as nats lists them there (under
      // the subscriber's account).
      for (const auto& [im, shadow] : sub.shadows)
        if (only == kNoAccount || t.stream_import(im).exporter == only) add(shadow);
    });
  });
  std::vector<SubDetail> list;
  if (!all) return list;
  for (auto& v : *res)
    for (auto& d : v) list.push_back(std::move(d));
  // Service imports: an entry in the importer's index each, listed as nats
  // lists its importing account's internal subscriptions (no client here:
  // cid 0; sid: the import's place among the account's service imports).
  for (const Account& a : accounts.all()) {
    if (only != kNoAccount && a.id != only) continue;
    int n = 0;
    for (uint32_t id : a.service_imports) {
      const ServiceImportRt& si = accounts.service_import(id);
      ++n;
      if (!test.empty() && !proto::subject_matches(si.from, test)) continue;
      SubDetail d;
      d.account = a.name;
      d.subject = si.from;
      d.sid = std::to_string(n);
      list.push_back(std::move(d));
    }
  }
  return list;
}

std::vector<AccountSnapshot> CoreSource::accounts() {
  Use use(*this);
  if (!use) return {};
  const AccountTable& t = srv_.accounts();
  const size_t n = t.size();
  struct Counts {
    std::vector<int> conns;
    std::vector<size_t> entries;
    std::vector<int64_t> in_msgs, in_bytes, out_msgs, out_bytes;
  };
  auto res = per_shard<Counts>(srv_);
  bool all = srv_.gather([res, n](Shard& s) {
    Counts& k = (*res)[static_cast<size_t>(s.id())];
    k.conns.assign(n, 0);
    k.entries.assign(n, 0);
    k.in_msgs.assign(n, 0);
    k.in_bytes.assign(n, 0);
    k.out_msgs.assign(n, 0);
    k.out_bytes.assign(n, 0);
    for (size_t a = 0; a < n; ++a) k.entries[a] = s.partition(static_cast<uint32_t>(a)).entries();
    s.for_each_conn([&](Conn* c) {
      if (c->type != ConnType::Client || c->account >= n) return;
      ++k.conns[c->account];
      k.in_msgs[c->account] += static_cast<int64_t>(c->in_msgs);
      k.in_bytes[c->account] += static_cast<int64_t>(c->in_bytes);
      k.out_msgs[c->account] += static_cast<int64_t>(c->out_msgs);
      k.out_bytes[c->account] += static_cast<int64_t>(c->out_bytes);
    });
  });
  if (!all) return {};
  std::vector<AccountSnapshot> list(n);
  {
    std::lock_guard<std::mutex> g(acc_mu_);
    for (size_t a = 0; a < n && a < acc_closed_.size(); ++a) {
      list[a].in_msgs = acc_closed_[a].in_msgs;
      list[a].in_bytes = acc_closed_[a].in_bytes;
      list[a].out_msgs = acc_closed_[a].out_msgs;
      list[a].out_bytes = acc_closed_[a].out_bytes;
      list[a].slow_consumers = acc_closed_[a].slow;
    }
  }
  for (const Counts& k : *res)
    for (size_t a = 0; a < n; ++a) {
      list[a].conns += k.conns[a];
      list[a].stats.num_subscriptions += static_cast<uint32_t>(k.entries[a]);
      list[a].in_msgs += k.in_msgs[a];
      list[a].in_bytes += k.in_bytes[a];
      list[a].out_msgs += k.out_msgs[a];
      list[a].out_bytes += k.out_bytes[a];
    }
  for (size_t a = 0; a < n; ++a) {
    const Account& acc = t.at(static_cast<uint32_t>(a));
    AccountSnapshot& x = list[a];
    x.name = acc.name;
    x.is_system = acc.id == t.system();
    x.update_ns = srv_.start_wall_ns();
    if (acc.serves_imports && x.stats.num_subscriptions > 0) --x.stats.num_subscriptions;  // plumbing_entries
    if (acc.opts) {
      for (const ServiceExport& e : acc.opts->service_exports) {
        AccountExport ex;
        ex.subject = e.subject;
        ex.service = true;
        ex.response_type = response_type_text(e.response_type);
        ex.approved = e.accounts;
        x.exports.push_back(std::move(ex));
      }
      for (const StreamExport& e : acc.opts->stream_exports) {
        AccountExport ex;
        ex.subject = e.subject;
        ex.approved = e.accounts;
        x.exports.push_back(std::move(ex));
      }
    }
    for (uint32_t id : acc.stream_imports) {
      const StreamImportRt& im = t.stream_import(id);
      AccountImport ai;
      ai.subject = im.from;
      ai.account = account_name(srv_, im.exporter);
      ai.local_subject = im.to;
      x.imports.push_back(std::move(ai));
    }
    for (uint32_t id : acc.service_imports) {
      const ServiceImportRt& si = t.service_import(id);
      AccountImport ai;
      ai.subject = si.from;
      ai.account = account_name(srv_, si.exporter);
      ai.to = si.to;
      ai.service = true;
      x.imports.push_back(std::move(ai));
    }
  }
  return list;
}

std::vector<ShardLoopSnapshot> CoreSource::shard_loops() {
  Use use(*this);
  if (!use) return {};
  auto res = per_shard<ShardLoopSnapshot>(srv_);
  bool all = srv_.gather([res](Shard& s) {
    ShardLoopSnapshot& k = (*res)[static_cast<size_t>(s.id())];
    k.shard = s.id();
    const ShardStats& st = s.stats();
    using K = LoopFigure::Kind;
    auto add = [&](const char* name, const char* help, K kind, double v) {
      k.figures.push_back(LoopFigure{name, help, kind, v});
    };
    add("loop_turns_total", "Loop turns of the shard.", K::Counter, static_cast<double>(st.turns));
    add("loop_sleeps_total", "Loop turns that ended with the shard asleep.", K::Counter,
        static_cast<double>(st.sleeps));
    add("stalls_total", "Fast-producer stalls begun (a publisher reached a subscriber past half its max_pending).",
        K::Counter, static_cast<double>(st.stalls));
    add("link_throttles_total", "Publishers paused while the links to peer shards were backed up.",
        K::Counter, static_cast<double>(st.link_throttles));
    add("recv_no_buffer_total", "Receives that found no provided buffer.", K::Counter,
        static_cast<double>(st.recv_no_buffer));
    add("held_copies_total", "Paused receive remainders copied out because buffers ran short.",
        K::Counter, static_cast<double>(st.held_copies));
    add("spilled_bytes", "Bytes waiting in order behind full rings to peer shards.", K::Gauge,
        static_cast<double>(s.links().spill_bytes()));
    add("inflight_bytes", "Payload bytes pinned by records in flight to peer shards.", K::Gauge,
        static_cast<double>(s.links().inflight_bytes()));
    add("recv_buffers_held", "Provided receive buffers held by the shard (not the kernel).", K::Gauge,
        static_cast<double>(s.reactor_view().buffers_held()));
    Histogram h;
    h.name = "turn_duration_seconds";
    h.help = "Time a loop turn spent working (the longest anything on the shard waits for it).";
    uint64_t cum = 0;
    for (int i = 0; i < ShardStats::kTurnBuckets; ++i) {
      cum += st.turn_hist[i];
      h.bounds.push_back(static_cast<double>(ShardStats::kTurnBoundsNs[i]) / 1e9);
      h.counts.push_back(cum);
    }
    h.count = cum + st.turn_hist[ShardStats::kTurnBuckets];
    h.sum = static_cast<double>(st.turn_ns_sum) / 1e9;
    k.histograms.push_back(std::move(h));
    int conns = 0;
    s.for_each_conn([&](Conn*) { ++conns; });
    add("connections", "Open connections on the shard (clients and routes).", K::Gauge, conns);
  });
  if (!all) return {};
  return std::move(*res);
}

void CoreSource::close() {
  closed_flag_.store(true);
  // A call in flight is at most one gather, which a stopping server ends
  // within 100 ms; give it a few of those.
  for (int i = 0; i < 300 && inflight_.load() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void CoreSource::client_closing(Shard& s, const Conn& c, proto::ErrCode why) {
  ConnSnapshot k = conn_snapshot(s, c, true);
  // The ring keeps each subscription's account (nats' newSubDetail), and
  // the user name alone (nats keeps opts.Username, never a token).
  for (auto& d : k.subs) d.account = k.account;
  k.authorized_user = c.auth_user;
  {
    // Its counters stay with its account (/accstatz).
    std::lock_guard<std::mutex> g(acc_mu_);
    if (acc_closed_.size() <= c.account) acc_closed_.resize(c.account + 1);
    AccClosed& a = acc_closed_[c.account];
    a.in_msgs += static_cast<int64_t>(c.in_msgs);
    a.in_bytes += static_cast<int64_t>(c.in_bytes);
    a.out_msgs += static_cast<int64_t>(c.out_msgs);
    a.out_bytes += static_cast<int64_t>(c.out_bytes);
    if (why == proto::ErrCode::SlowConsumer) ++a.slow;
  }
  k.stop_ns = wall_ns();
  k.reason = reason_text(why);
  closed_.record(std::move(k));
}

namespace {
struct Running {
  std::unique_ptr<CoreSource> source;
  std::unique_ptr<MonitorServer> http;
};
Running& running() {
  static Running* r = new Running;  // never destroyed, see stop_monitor
  return *r;
}
}  // namespace

bool start_monitor(Server& srv, std::string& err) {
  const Options& o = srv.opts();
  const int https = o.security.https_port;
  if (o.http_port == 0 && https == 0) return true;
  if (o.http_port != 0 && https != 0) {
    err = "can't specify both HTTP (" + std::to_string(o.http_port) + ") and HTTPs (" + std::to_string(https) +
          ") ports";
    return false;
  }
  if (https != 0 && !o.security.tls.enabled) {
    err = "TLS cert and key required for HTTPS";
    return false;
  }
  Running& r = running();
  r.source = std::make_unique<CoreSource>(srv);
  r.http = std::make_unique<MonitorServer>();
  MonitorServer::TlsFiles files{o.security.tls.cert_file, o.security.tls.key_file};
  if (!r.http->start(o.http_host, https ? https : o.http_port, o.http_base_path, *r.source, err,
                     https ? &files : nullptr))
    return false;
  srv.set_monitor(r.source.get());
  log::notice("%s", r.http->log_line().c_str());
  return true;
}

// Called once the server is stopping. First no request may use the server
// any more (close() waits for those in flight); then the HTTP listener is
// stopped, but waited for at most 2.5 s: a client that sends its request a
// byte at a time would otherwise hold the stop as long as it likes. False
// when its workers are still running: the caller must then leave without
// running static destructors, which those workers may still be reading.
bool stop_monitor(Server& srv) {
  Running& r = running();
  srv.set_monitor(nullptr);
  if (r.source) r.source->close();
  if (!r.http) return true;
  struct Done {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto d = std::make_shared<Done>();
  std::thread([d, h = r.http.get()] {
    h->stop();
    std::lock_guard<std::mutex> g(d->mu);
    d->done = true;
    d->cv.notify_all();
  }).detach();
  std::unique_lock<std::mutex> g(d->mu);
  return d->cv.wait_for(g, std::chrono::milliseconds(2500), [&] { return d->done; });
}

}  // namespace ringnats::monitor
