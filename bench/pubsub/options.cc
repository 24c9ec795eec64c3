// Parses pubsub's flags (GNU style: --flag value, --flag=value, short -x v)
// and fills in per-mode defaults for the number of publishers and subscribers.

#include "bench/pubsub/options.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace ringnats::bench {

namespace {

const char* kUsage = R"(usage: pubsub MODE [options]

Modes:
  pub      publish only (P publishers)
  sub      subscribe only (S subscribers); -n is per subscriber, or use -d
  pubsub   P publishers, S subscribers on the same subject(s)
  fanout   1 publisher, N subscribers (1:N)
  fanin    N publishers, 1 subscriber (N:1)
  queue    1 publisher, N members of one queue group
  reqrep   K requesters (sequential each), R repliers in a queue group
  jspub    JetStream: P publishers, each with --window acks outstanding, into
           --stream (created by publisher 0 on --subject if missing); latency
           is publish-to-ack
  jsfetch  JetStream: P pull consumers sharing the durable --durable on
           --stream (made by consumer 0), fetching --fetch-batch at a time and
           acking each message, until -n are consumed or the stream is drained

Options:
  -s, --server URLS      nats://host:port, comma separated (default nats://127.0.0.1:4222);
                         connections are spread round-robin, subscribers first
  -n, --msgs N           messages to publish in total, split over publishers (default 100000)
  -d, --duration SECS    run for a duration instead of a count
      --size BYTES       payload size (default 128)
      --subject LIST     subject(s), comma separated; client i uses subject i mod count (default bench)
  -p, --pubs P           publishers (pub/pubsub; default 1)
  -S, --subs S           subscribers (sub/pubsub; default 1)
  -N, --clients N        N for fanout/fanin/queue (default 4)
  -c, --requesters K     concurrent requesters for reqrep (default 1)
      --repliers R       repliers for reqrep (default 1)
      --rate R           msgs/s per publisher (default 0 = unlimited)
  -t, --threads T        event-loop threads (default 1)
      --queue NAME       queue group name (default bench-q)
      --wait SECS        bound on waiting for subscribers after publishers end (default 10)
      --batch BYTES      bytes a publisher queues per flush (default 65536)
      --no-latency       do not embed send timestamps
      --stream NAME      JetStream stream (default BENCH)
      --storage KIND     file or memory, for a stream jspub creates (default file)
      --durable NAME     jsfetch's consumer (default bench-pull)
      --window N         jspub: acks outstanding per publisher (default 256)
      --fetch-batch N    jsfetch: messages per pull request (default 256)
      --json | --csv     machine-readable output on stdout
      --progress | --no-progress   live progress on stderr (default: when stderr is a tty)
  -q, --quiet            no per-client lines
  -v, --version          version
MB/s means 10^6 payload bytes per second. Latency: one-way (pub/sub, sizes >= 8) or round trip (reqrep).
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

int parse_options(int argc, char** argv, Options& o) {
  std::vector<std::string_view> pos;
  for (ArgCursor arg("pubsub", argc, argv); arg.next();) {
    const std::string_view a = arg.name();
    auto need = [&](std::string_view& out) { return arg.value(out); };
    auto bad = [&](std::string_view v) { return arg.bad(v); };
    std::string_view v;
    uint64_t u = 0;
    double d = 0;
    if (a == "-h" || a == "--help") { fputs(kUsage, stdout); return 1; }
    else if (a == "-v" || a == "--version") { printf("pubsub %s (io_uring)\n", RINGNATS_VERSION); return 1; }
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
    else if (a == "-t" || a == "--threads") { if (!need(v)) return 2; if (!to_u64(v, u) || u == 0 || u > 256) return bad(v); o.threads = static_cast<int>(u); }
    else if (a == "--queue") { if (!need(v)) return 2; o.queue = std::string(v); }
    else if (a == "--wait") { if (!need(v)) return 2; if (!to_double(v, d)) return bad(v); o.wait_s = d; }
    else if (a == "--batch") { if (!need(v)) return 2; if (!to_u64(v, u) || u == 0) return bad(v); o.batch = u; }
    else if (a == "--no-latency") o.latency = false;
    else if (a == "--stream") { if (!need(v)) return 2; o.js_stream = std::string(v); }
    else if (a == "--storage") { if (!need(v)) return 2; if (v != "file" && v != "memory") return bad(v); o.js_storage = std::string(v); }
    else if (a == "--durable") { if (!need(v)) return 2; o.js_durable = std::string(v); }
    else if (a == "--window") { if (!need(v)) return 2; if (!to_u64(v, u) || u == 0) return bad(v); o.js_window = u; }
    else if (a == "--fetch-batch") { if (!need(v)) return 2; if (!to_u64(v, u) || u == 0) return bad(v); o.js_fetch_batch = u; }
    else if (a == "--json") o.json = true;
    else if (a == "--csv") o.csv = true;
    else if (a == "--progress") o.progress = 1;
    else if (a == "--no-progress") o.progress = 0;
    else if (a == "-q" || a == "--quiet") o.quiet = true;
    else if (!a.empty() && a[0] == '-') { fprintf(stderr, "pubsub: unknown option %.*s (see --help)\n", static_cast<int>(a.size()), a.data()); return 2; }
    else pos.push_back(a);
  }
  if (pos.size() != 1) { fputs(kUsage, stderr); return 2; }
  const std::string_view m = pos[0];
  o.mode_name = std::string(m);
  const int n = o.clients;
  if (m == "pub") { o.mode = Mode::Pub; if (o.pubs < 0) o.pubs = 1; o.subs = 0; }
  else if (m == "sub") { o.mode = Mode::Sub; if (o.subs < 0) o.subs = 1; o.pubs = 0; }
  else if (m == "pubsub") { o.mode = Mode::PubSub; if (o.pubs < 0) o.pubs = 1; if (o.subs < 0) o.subs = 1; }
  else if (m == "fanout") { o.mode = Mode::Fanout; o.pubs = 1; o.subs = o.subs > 0 ? o.subs : n; }
  else if (m == "fanin") { o.mode = Mode::Fanin; o.pubs = o.pubs > 0 ? o.pubs : n; o.subs = 1; }
  else if (m == "queue") { o.mode = Mode::Queue; o.pubs = 1; o.subs = o.subs > 0 ? o.subs : n; }
  else if (m == "reqrep") { o.mode = Mode::ReqRep; o.pubs = 0; o.subs = 0; }
  else if (m == "jspub") { o.mode = Mode::JsPub; if (o.pubs < 0) o.pubs = 1; o.subs = 0; }
  else if (m == "jsfetch") { o.mode = Mode::JsFetch; if (o.pubs < 0) o.pubs = 1; o.subs = 0; }
  else { fprintf(stderr, "pubsub: unknown mode %.*s (see --help)\n", static_cast<int>(m.size()), m.data()); return 2; }
  if (o.mode != Mode::Sub && o.mode != Mode::ReqRep && o.pubs == 0) { fputs("pubsub: need at least one publisher\n", stderr); return 2; }
  if (o.mode == Mode::Sub && o.subs == 0) { fputs("pubsub: need at least one subscriber\n", stderr); return 2; }
  std::string err;
  if (!parse_server_list(o.servers_text, o.servers, err)) { fprintf(stderr, "pubsub: %s\n", err.c_str()); return 2; }
  if (o.json && o.csv) { fputs("pubsub: choose one of --json and --csv\n", stderr); return 2; }
  return 0;
}

}  // namespace ringnats::bench
