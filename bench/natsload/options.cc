// Parses natsload's flags: the subset of bench/pubsub's that means something
// for a libnats application (no io_uring threads or batch size), with the
// same names and per-mode defaults so tools/bench-compare passes both tools
// the same scenario arguments.

#include "bench/natsload/options.h"

#include <nats/nats.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace ringnats::bench {

namespace {

const char* kUsage = R"(usage: natsload MODE [options]

bench/pubsub's scenarios driven through libnats (the NATS C client) as an
application would drive it: one natsConnection per client with default options
(only the URL, no reconnect, and no limit on a subscription's pending messages
so the tool itself never drops), async subscriptions with a callback,
natsConnection_Publish from one application thread per publisher, and
natsConnection_Request for each request.

Modes:
  pub      publish only (P publishers)
  pubsub   P publishers, S subscribers on the same subject(s)
  fanout   1 publisher, N subscribers (1:N)
  fanin    N publishers, 1 subscriber (N:1)
  queue    1 publisher, N members of one queue group
  reqrep   K requesters (sequential each), R repliers in a queue group

Options:
  -s, --server URLS      nats://host:port, comma separated (default nats://127.0.0.1:4222);
                         connections are spread round-robin, subscribers first
  -n, --msgs N           messages to publish in total, split over publishers (default 100000)
  -d, --duration SECS    run for a duration instead of a count
      --size BYTES       payload size (default 128)
      --subject LIST     subject(s), comma separated; client i uses subject i mod count (default bench)
  -p, --pubs P           publishers (pub/pubsub; default 1)
  -S, --subs S           subscribers (pubsub; default 1)
  -N, --clients N        N for fanout/fanin/queue (default 4)
  -c, --requesters K     concurrent requesters for reqrep (default 1)
      --repliers R       repliers for reqrep (default 1)
      --rate R           msgs/s per publisher (default 0 = unlimited)
      --queue NAME       queue group name (default bench-q)
      --wait SECS        bound on waiting for subscribers after publishers end (default 10)
      --request-timeout SECS  natsConnection_Request timeout (default 10)
      --lazy-reply       repliers publish replies without flushing them, as with libnats' default
                         options: its flusher thread then sends each one up to 1 ms later. By default
                         the replier connections set natsOptions_SetSendAsap, as a latency-minded
                         service would.
      --no-latency       do not embed send timestamps
      --json | --csv     machine-readable output on stdout (the same as bench/pubsub's)
      --progress | --no-progress   live progress on stderr (default: when stderr is a tty)
  -q, --quiet            no per-client lines
  -v, --version          natsload's and libnats' versions
MB/s means 10^6 payload bytes per second. Latency: one-way (pub/sub, sizes >= 8) or round trip (reqrep).
"load tool CPU" is this process's CPU (every libnats thread) from the start to the end of the
measurement, per CPU it may run on; 90% or more is reported as saturated.
Exit status: 0 ok, 2 usage or connection error, 3 messages lost.
)";

bool to_u64(std::string_view s, uint64_t& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::string t(s);
  double d = strtod(t.c_str(), &end);  // accepts 1e6
  if (end == t.c_str() || *end != '\0' || d < 0) return false;
  v = static_cast<uint64_t>(d);
  return true;
}

bool to_double(std::string_view s, double& v) {
  std::string t(s);
  char* end = nullptr;
  v = strtod(t.c_str(), &end);
  return end != t.c_str() && *end == '\0' && v >= 0;
}

}  // namespace

int parse_natsload_options(int argc, char** argv, Options& o, NatsOnly& n) {
  o.prog = "natsload";
  o.threads = 0;   // libnats runs its own threads; the report leaves the count out
  o.batch = 0;
  std::vector<std::string_view> pos;
  for (ArgCursor arg("natsload", argc, argv); arg.next();) {
    const std::string_view a = arg.name();
    auto need = [&](std::string_view& out) { return arg.value(out); };
    auto bad = [&](std::string_view v) { return arg.bad(v); };
    std::string_view v;
    uint64_t u = 0;
    double d = 0;
    if (a == "-h" || a == "--help") { fputs(kUsage, stdout); return 1; }
    else if (a == "-v" || a == "--version") { printf("natsload %s (libnats %s)\n", RINGNATS_VERSION, nats_GetVersion()); return 1; }
    else if (a == "-s" || a == "--server") { if (!need(v)) return 2; o.servers_text = std::string(v); }
    else if (a == "-n" || a == "--msgs" || a == "--count") { if (!need(v)) return 2; if (!to_u64(v, u)) return bad(v); o.msgs = u; }
    else if (a == "-d" || a == "--duration") { if (!need(v)) return 2; if (!to_double(v, d)) return bad(v); o.duration_s = d; }
    else if (a == "--size") { if (!need(v)) return 2; if (!to_u64(v, u) || u > 64 * 1024 * 1024) return bad(v); o.size = u; }
    else if (a == "--subject" || a == "--subjects") {
      if (!need(v)) return 2;
      o.subjects.clear();
      size_t p = 0;
      while (p <= v.size()) {
        size_t c = v.find(',', p);
        if (c == std::string_view::npos) c = v.size();
        if (c > p) o.subjects.emplace_back(v.substr(p, c - p));
        p = c + 1;
      }
      if (o.subjects.empty()) return bad(v);
    }
    else if (a == "-p" || a == "--pubs") { if (!need(v)) return 2; if (!to_u64(v, u)) return bad(v); o.pubs = static_cast<int>(u); }
    else if (a == "-S" || a == "--subs") { if (!need(v)) return 2; if (!to_u64(v, u)) return bad(v); o.subs = static_cast<int>(u); }
    else if (a == "-N" || a == "--clients") { if (!need(v)) return 2; if (!to_u64(v, u) || u == 0) return bad(v); o.clients = static_cast<int>(u); }
    else if (a == "-c" || a == "--requesters") { if (!need(v)) return 2; if (!to_u64(v, u) || u == 0) return bad(v); o.requesters = static_cast<int>(u); }
    else if (a == "--repliers") { if (!need(v)) return 2; if (!to_u64(v, u) || u == 0) return bad(v); o.repliers = static_cast<int>(u); }
    else if (a == "--rate") { if (!need(v)) return 2; if (!to_u64(v, u)) return bad(v); o.rate = u; }
    else if (a == "--queue") { if (!need(v)) return 2; o.queue = std::string(v); }
    else if (a == "--wait") { if (!need(v)) return 2; if (!to_double(v, d)) return bad(v); o.wait_s = d; }
    else if (a == "--request-timeout") { if (!need(v)) return 2; if (!to_double(v, d) || d <= 0) return bad(v); n.request_timeout_s = d; }
    else if (a == "--lazy-reply") n.lazy_reply = true;
    else if (a == "--no-latency") o.latency = false;
    else if (a == "--json") o.json = true;
    else if (a == "--csv") o.csv = true;
    else if (a == "--progress") o.progress = 1;
    else if (a == "--no-progress") o.progress = 0;
    else if (a == "-q" || a == "--quiet") o.quiet = true;
    else if (!a.empty() && a[0] == '-') { fprintf(stderr, "natsload: unknown option %.*s (see --help)\n", static_cast<int>(a.size()), a.data()); return 2; }
    else pos.push_back(a);
  }
  if (pos.size() != 1) { fputs(kUsage, stderr); return 2; }
  const std::string_view m = pos[0];
  o.mode_name = std::string(m);
  const int c = o.clients;
  if (m == "pub") { o.mode = Mode::Pub; if (o.pubs < 0) o.pubs = 1; o.subs = 0; }
  else if (m == "pubsub") { o.mode = Mode::PubSub; if (o.pubs < 0) o.pubs = 1; if (o.subs < 0) o.subs = 1; }
  else if (m == "fanout") { o.mode = Mode::Fanout; o.pubs = 1; o.subs = o.subs > 0 ? o.subs : c; }
  else if (m == "fanin") { o.mode = Mode::Fanin; o.pubs = o.pubs > 0 ? o.pubs : c; o.subs = 1; }
  else if (m == "queue") { o.mode = Mode::Queue; o.pubs = 1; o.subs = o.subs > 0 ? o.subs : c; }
  else if (m == "reqrep") { o.mode = Mode::ReqRep; o.pubs = 0; o.subs = 0; }
  else { fprintf(stderr, "natsload: unknown mode %.*s (see --help)\n", static_cast<int>(m.size()), m.data()); return 2; }
  if (o.mode != Mode::ReqRep && o.pubs == 0) { fputs("natsload: need at least one publisher\n", stderr); return 2; }
  std::string err;
  if (!parse_server_list(o.servers_text, o.servers, err)) { fprintf(stderr, "natsload: %s\n", err.c_str()); return 2; }
  if (o.json && o.csv) { fputs("natsload: choose one of --json and --csv\n", stderr); return 2; }
  return 0;
}

}  // namespace ringnats::bench
