// Summary arithmetic and the three output formats. Rates use the time from
// the common start signal to each side's last event, so a slow drain shows up
// as a lower subscriber rate rather than being hidden.

#include "bench/pubsub/report.h"

#include <algorithm>
#include <cstdio>

namespace ringnats::bench {

namespace {

double secs_between(uint64_t a, uint64_t b) { return b > a ? static_cast<double>(b - a) / 1e9 : 0; }

std::string human(double v) {
  char b[32];
  if (v >= 1e9) snprintf(b, sizeof b, "%.2fG", v / 1e9);
  else if (v >= 1e6) snprintf(b, sizeof b, "%.2fM", v / 1e6);
  else if (v >= 1e4) snprintf(b, sizeof b, "%.1fk", v / 1e3);
  else snprintf(b, sizeof b, "%.0f", v);
  return b;
}

std::string dur(uint64_t ns) {
  char b[32];
  if (ns >= 1000000000ull) snprintf(b, sizeof b, "%.2fs", static_cast<double>(ns) / 1e9);
  else if (ns >= 1000000ull) snprintf(b, sizeof b, "%.2fms", static_cast<double>(ns) / 1e6);
  else if (ns >= 1000ull) snprintf(b, sizeof b, "%.1fus", static_cast<double>(ns) / 1e3);
  else snprintf(b, sizeof b, "%lluns", static_cast<unsigned long long>(ns));
  return b;
}

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += c; }
    else if (static_cast<unsigned char>(c) < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += c;
  }
  return o + "\"";
}

double client_secs(const ClientStats& c, uint64_t start_ns) {
  const uint64_t from = (c.role == Role::Sub || c.role == Role::Rep) ? start_ns : (c.first_ns ? c.first_ns : start_ns);
  return secs_between(from, c.last_ns);
}

}  // namespace

Summary summarize(const Options& o, std::deque<ClientStats>& clients, uint64_t start_ns,
                  const std::deque<uint64_t>& expected_per_sub) {
  Summary s;
  uint64_t pub_end = 0, sub_end = 0, sub_first = 0;
  size_t sub_i = 0;
  uint64_t queue_got = 0;
  for (ClientStats& c : clients) {
    const uint64_t m = c.msgs.load();
    const uint64_t b = c.bytes.load();
    if (c.failed.load()) {
      ++s.failed_clients;
      if (s.first_error.empty()) s.first_error = std::string(role_name(c.role)) + " " + std::to_string(c.id) + ": " + c.error;
    }
    switch (c.role) {
      case Role::Pub:
      case Role::Req:
        s.pub.msgs += m;
        s.pub.bytes += b;
        pub_end = std::max(pub_end, c.last_ns);
        if (c.role == Role::Req) s.latency.merge(c.hist);
        break;
      case Role::Sub: {
        s.sub.msgs += m;
        s.sub.bytes += b;
        sub_end = std::max(sub_end, c.last_ns);
        if (c.first_ns && (sub_first == 0 || c.first_ns < sub_first)) sub_first = c.first_ns;
        s.latency.merge(c.hist);
        const uint64_t e = sub_i < expected_per_sub.size() ? expected_per_sub[sub_i] : 0;
        ++sub_i;
        if (o.mode == Mode::Queue) {
          queue_got += m;
          s.expected = e;  // one group: every member carries the group total
        } else {
          s.expected += e;
          if (m < e) s.lost += e - m;
          else s.extra += m - e;
        }
        break;
      }
      case Role::Rep:
        s.sub.msgs += m;
        s.sub.bytes += b;
        sub_end = std::max(sub_end, c.last_ns);
        break;
    }
  }
  if (o.mode == Mode::Queue) {
    if (queue_got < s.expected) s.lost = s.expected - queue_got;
    else s.extra = queue_got - s.expected;
  }
  s.pub.secs = secs_between(start_ns, pub_end);
  // In sub-only mode the clock starts with the first message seen.
  s.sub.secs = secs_between(o.mode == Mode::Sub ? sub_first : start_ns, sub_end);
  if (o.mode == Mode::ReqRep || o.js()) s.sub.secs = s.pub.secs;
  return s;
}

void print_text(const Options& o, const std::deque<ClientStats>& clients, const Summary& s, uint64_t start_ns) {
  const bool rr = o.mode == Mode::ReqRep;
  const std::string threads = o.threads > 0 ? std::to_string(o.threads) + " thread(s), " : std::string();
  printf("%s %s: %zu B messages, %d %s, %d %s, %sserver %s\n", o.prog.c_str(), o.mode_name.c_str(), o.size,
         rr ? o.requesters : o.pubs, rr ? "requester(s)" : "pub", rr ? o.repliers : o.subs, rr ? "replier(s)" : "sub",
         threads.c_str(), o.servers_text.c_str());
  if (!o.quiet) {
    for (const ClientStats& c : clients) {
      const double secs = client_secs(c, start_ns);
      const uint64_t m = c.msgs.load();
      const double r = secs > 0 ? static_cast<double>(m) / secs : 0;
      const double mb = secs > 0 ? static_cast<double>(c.bytes.load()) / secs / 1e6 : 0;
      printf("  [%s %d] %-12s %10llu msgs  %8.3fs  %9s msgs/s  %9.2f MB/s%s%s\n", role_name(c.role), c.id,
             c.subject.c_str(), static_cast<unsigned long long>(m), secs, human(r).c_str(), mb,
             c.failed.load() ? "  FAILED: " : "", c.failed.load() ? c.error.c_str() : "");
    }
  }
  const char* pl = o.mode == Mode::ReqRep ? "requests" : o.mode == Mode::JsPub ? "acked" : o.mode == Mode::JsFetch ? "consumed" : "pub";
  const bool one_sided = o.mode == Mode::Pub || o.mode == Mode::ReqRep || o.js();
  if (s.pub.msgs || o.mode != Mode::Sub)
    printf("%-8s aggregate: %llu msgs in %.3fs = %s msgs/s, %.2f MB/s\n", pl, static_cast<unsigned long long>(s.pub.msgs),
           s.pub.secs, human(s.pub.msgs_per_sec()).c_str(), s.pub.mb_per_sec());
  if (!one_sided)
    printf("%-8s aggregate: %llu msgs in %.3fs = %s msgs/s, %.2f MB/s\n", "sub", static_cast<unsigned long long>(s.sub.msgs),
           s.sub.secs, human(s.sub.msgs_per_sec()).c_str(), s.sub.mb_per_sec());
  if (!one_sided && o.mode != Mode::Sub)
    printf("delivery: expected %llu, received %llu, lost %llu%s\n", static_cast<unsigned long long>(s.expected),
           static_cast<unsigned long long>(s.expected - s.lost + s.extra), static_cast<unsigned long long>(s.lost),
           s.extra ? (" (extra " + std::to_string(s.extra) + ")").c_str() : "");
  if (s.latency.count())
    printf("latency (%s, %llu samples): min %s p50 %s p90 %s p99 %s p99.9 %s max %s\n",
           o.mode == Mode::ReqRep ? "round trip" : o.mode == Mode::JsPub ? "publish to ack"
                                   : o.mode == Mode::JsFetch                            ? "pull request, full batch"
                                                                                        : "one way",
           static_cast<unsigned long long>(s.latency.count()),
           dur(s.latency.min()).c_str(), dur(s.latency.percentile(50)).c_str(), dur(s.latency.percentile(90)).c_str(),
           dur(s.latency.percentile(99)).c_str(), dur(s.latency.percentile(99.9)).c_str(), dur(s.latency.max()).c_str());
  if (s.load.wall_s > 0)
    printf("load tool CPU: %.3fs user + %.3fs sys in %.3fs on %d CPU(s) = %.0f%%%s\n", s.load.user_s, s.load.sys_s,
           s.load.wall_s, s.load.cpus, s.load.util() * 100, s.load.saturated() ? " (saturated)" : "");
  if (s.failed_clients) printf("%d client(s) failed; first: %s\n", s.failed_clients, s.first_error.c_str());
}

void print_json(const Options& o, const std::deque<ClientStats>& clients, const Summary& s, uint64_t start_ns) {
  auto side = [](const Side& x) {
    char b[256];
    snprintf(b, sizeof b, "{\"msgs\":%llu,\"bytes\":%llu,\"secs\":%.6f,\"msgs_per_sec\":%.1f,\"mb_per_sec\":%.3f}",
             static_cast<unsigned long long>(x.msgs), static_cast<unsigned long long>(x.bytes), x.secs, x.msgs_per_sec(),
             x.mb_per_sec());
    return std::string(b);
  };
  const Histogram& h = s.latency;
  printf("{\"mode\":%s,\"servers\":%s,\"size\":%zu,\"pubs\":%d,\"subs\":%d,\"requesters\":%d,\"repliers\":%d,"
         "\"threads\":%d,\"rate\":%llu,",
         json_str(o.mode_name).c_str(), json_str(o.servers_text).c_str(), o.size, o.pubs, o.subs,
         o.mode == Mode::ReqRep ? o.requesters : 0, o.mode == Mode::ReqRep ? o.repliers : 0, o.threads,
         static_cast<unsigned long long>(o.rate));
  printf("\"pub\":%s,\"sub\":%s,\"expected\":%llu,\"lost\":%llu,\"extra\":%llu,\"failed_clients\":%d,\"error\":%s,",
         side(s.pub).c_str(), side(s.sub).c_str(), static_cast<unsigned long long>(s.expected),
         static_cast<unsigned long long>(s.lost), static_cast<unsigned long long>(s.extra), s.failed_clients,
         json_str(s.first_error).c_str());
  printf("\"latency_ns\":{\"count\":%llu,\"min\":%llu,\"mean\":%.0f,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,"
         "\"p999\":%llu,\"max\":%llu},",
         static_cast<unsigned long long>(h.count()), static_cast<unsigned long long>(h.min()), h.mean(),
         static_cast<unsigned long long>(h.percentile(50)), static_cast<unsigned long long>(h.percentile(90)),
         static_cast<unsigned long long>(h.percentile(99)), static_cast<unsigned long long>(h.percentile(99.9)),
         static_cast<unsigned long long>(h.max()));
  printf("\"load_cpu\":{\"user_secs\":%.6f,\"sys_secs\":%.6f,\"wall_secs\":%.6f,\"cpus\":%d,\"util\":%.4f,"
         "\"saturated\":%s},",
         s.load.user_s, s.load.sys_s, s.load.wall_s, s.load.cpus, s.load.util(), s.load.saturated() ? "true" : "false");
  printf("\"clients\":[");
  bool first = true;
  for (const ClientStats& c : clients) {
    const double secs = client_secs(c, start_ns);
    const uint64_t m = c.msgs.load();
    printf("%s{\"role\":\"%s\",\"id\":%d,\"subject\":%s,\"server\":%s,\"msgs\":%llu,\"bytes\":%llu,\"secs\":%.6f,"
           "\"msgs_per_sec\":%.1f,\"mb_per_sec\":%.3f,\"failed\":%s}",
           first ? "" : ",", role_name(c.role), c.id, json_str(c.subject).c_str(), json_str(c.server).c_str(),
           static_cast<unsigned long long>(m), static_cast<unsigned long long>(c.bytes.load()), secs,
           secs > 0 ? static_cast<double>(m) / secs : 0.0,
           secs > 0 ? static_cast<double>(c.bytes.load()) / secs / 1e6 : 0.0, c.failed.load() ? "true" : "false");
    first = false;
  }
  printf("]}\n");
}

void print_csv(const Options& o, const Summary& s) {
  const Histogram& h = s.latency;
  printf("mode,size,pubs,subs,threads,pub_msgs,pub_secs,pub_msgs_per_sec,pub_mb_per_sec,sub_msgs,sub_secs,"
         "sub_msgs_per_sec,sub_mb_per_sec,expected,lost,lat_count,lat_p50_ns,lat_p90_ns,lat_p99_ns,lat_p999_ns,lat_max_ns,"
         "load_cpu_secs,load_wall_secs,load_cpus,load_util\n");
  printf("%s,%zu,%d,%d,%d,%llu,%.6f,%.1f,%.3f,%llu,%.6f,%.1f,%.3f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%.6f,%.6f,%d,%.4f\n",
         o.mode_name.c_str(), o.size, o.mode == Mode::ReqRep ? o.requesters : o.pubs,
         o.mode == Mode::ReqRep ? o.repliers : o.subs, o.threads, static_cast<unsigned long long>(s.pub.msgs), s.pub.secs,
         s.pub.msgs_per_sec(), s.pub.mb_per_sec(), static_cast<unsigned long long>(s.sub.msgs), s.sub.secs,
         s.sub.msgs_per_sec(), s.sub.mb_per_sec(), static_cast<unsigned long long>(s.expected),
         static_cast<unsigned long long>(s.lost), static_cast<unsigned long long>(h.count()),
         static_cast<unsigned long long>(h.percentile(50)), static_cast<unsigned long long>(h.percentile(90)),
         static_cast<unsigned long long>(h.percentile(99)), static_cast<unsigned long long>(h.percentile(99.9)),
         static_cast<unsigned long long>(h.max()), s.load.user_s + s.load.sys_s, s.load.wall_s, s.load.cpus,
         s.load.util());
}

}  // namespace ringnats::bench
