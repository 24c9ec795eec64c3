// `nats`: the pub/sub/req/reply subset of the natscli tool, printing what
// natscli prints (timestamped log lines on stderr, message output on stdout)
// so walkthroughs written for natscli work unchanged against ringnats.

#include <signal.h>
#include <unistd.h>

#include <cstdarg>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include "bench/client/net.h"
#include "tools/nats/sync_conn.h"

using ringnats::bench::ServerUrl;
using ringnats::tools::Msg;
using ringnats::tools::SyncConn;

namespace {

volatile sig_atomic_t g_interrupted = 0;
void on_sigint(int) { g_interrupted = 1; }

// Go's log package with log.Ltime: "15:04:05 " then the message.
void logf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void logf(const char* fmt, ...) {
  time_t t = time(nullptr);
  tm lt;
  localtime_r(&t, &lt);
  char ts[16];
  strftime(ts, sizeof ts, "%H:%M:%S", &lt);
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  std::string s = std::string(ts) + " " + msg;
  if (s.empty() || s.back() != '\n') s += '\n';
  fputs(s.c_str(), stderr);
}

// Go's %q for strings.
std::string goq(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) { char b[8]; snprintf(b, sizeof b, "\\x%02x", c); o += b; }
        else o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

// Go's time.Duration String(): 12ns, 1.5µs, 1.234567ms, 2.5s.
std::string go_duration(uint64_t ns) {
  auto fmt = [](uint64_t v, uint64_t unit, int digits, const char* suffix) {
    std::string whole = std::to_string(v / unit);
    std::string frac = std::to_string(v % unit);
    frac.insert(0, static_cast<size_t>(digits) - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return whole + (frac.empty() ? "" : "." + frac) + suffix;
  };
  if (ns < 1000) return std::to_string(ns) + "ns";
  if (ns < 1000000) return fmt(ns, 1000, 3, "µs");
  if (ns < 1000000000) return fmt(ns, 1000000, 6, "ms");
  return fmt(ns, 1000000000, 9, "s");
}

std::string new_inbox() {
  static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::mt19937_64 rng(rd());
  std::string s = "_INBOX.";
  for (int i = 0; i < 22; ++i) s += alphabet[rng() % 62];
  return s;
}

std::string expand(std::string body, int count) {
  for (const char* pat : {"{{Count}}", "{{ Count }}", "{{.Count}}", "{{ .Count }}"}) {
    size_t p;
    while ((p = body.find(pat)) != std::string::npos) body.replace(p, strlen(pat), std::to_string(count));
  }
  return body;
}

std::string read_stdin() {
  std::string s;
  char b[65536];
  size_t n;
  while ((n = fread(b, 1, sizeof b, stdin)) > 0) s.append(b, n);
  return s;
}

int fail(const std::string& e) {
  fprintf(stderr, "nats: error: %s\n", e.c_str());
  return 1;
}

void print_headers(const std::string& h) {
  // Skip the "NATS/1.0" status line; print "Key: Value" lines as they are.
  size_t p = h.find("\r\n");
  if (p == std::string::npos) return;
  p += 2;
  bool any = false;
  while (p < h.size()) {
    size_t e = h.find("\r\n", p);
    if (e == std::string::npos || e == p) break;
    printf("%s\n", h.substr(p, e - p).c_str());
    any = true;
    p = e + 2;
  }
  if (any) printf("\n");
}

const char* kUsage =
    "usage: nats [-s URLS] [--timeout DUR] COMMAND ...\n"
    "  pub <subject> [body] [--count N] [--reply SUBJ] [--sleep DUR] [-q]\n"
    "  sub <subject> [--queue Q] [--count N] [--raw]\n"
    "  req <subject> [body] [--count N] [--raw]\n"
    "  reply <subject> [body] [--queue Q] [--count N] [--echo]\n"
    "  -s/--server: nats://host:port, comma separated (default $NATS_URL or nats://127.0.0.1:4222)\n";

double parse_dur(const std::string& s) {  // "5s", "300ms", "2" -> seconds
  char* end = nullptr;
  double v = strtod(s.c_str(), &end);
  std::string u = end ? end : "";
  if (u == "ms") return v / 1000;
  if (u == "us" || u == "µs") return v / 1e6;
  if (u == "m") return v * 60;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::string servers = getenv("NATS_URL") ? getenv("NATS_URL") : "nats://127.0.0.1:4222";
  std::string queue, reply_to, cmd;
  bool queue_set = false, raw = false, echo = false, quiet = false;
  long count = -1;
  double timeout_s = 5, sleep_s = 0;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v;
    bool inl = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      v = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      inl = true;
    }
    auto val = [&]() -> std::string {
      if (inl) return v;
      if (i + 1 >= argc) { fprintf(stderr, "nats: error: expected argument for flag '%s'\n", a.c_str()); exit(1); }
      return argv[++i];
    };
    if (a == "-s" || a == "--server") servers = val();
    else if (a == "--queue" || (a == "-q" && cmd == "reply")) { queue = val(); queue_set = true; }
    else if (a == "--count") count = atol(val().c_str());
    else if (a == "--reply") reply_to = val();
    else if (a == "--timeout") timeout_s = parse_dur(val());
    else if (a == "--sleep") sleep_s = parse_dur(val());
    else if (a == "--raw" || a == "-r") raw = true;
    else if (a == "--echo") echo = true;
    else if (a == "--quiet" || a == "-q") quiet = true;
    else if (a == "-h" || a == "--help") { fputs(kUsage, stdout); return 0; }
    else if (a.size() > 1 && a[0] == '-') { fprintf(stderr, "nats: error: unknown long flag '%s'\n", a.c_str()); return 1; }
    else if (cmd.empty()) cmd = a;
    else pos.push_back(a);
  }
  if (cmd == "publish") cmd = "pub";
  if (cmd == "subscribe") cmd = "sub";
  if (cmd == "request") cmd = "req";
  if (cmd.empty() || (cmd != "pub" && cmd != "sub" && cmd != "req" && cmd != "reply")) { fputs(kUsage, stderr); return 1; }
  if (pos.empty()) return fail("required argument 'subject' not provided");
  const std::string subject = pos[0];
  const bool body_set = pos.size() > 1;
  std::string body = body_set ? pos[1] : "";

  std::vector<ServerUrl> pool;
  std::string err;
  if (!ringnats::bench::parse_server_list(servers, pool, err)) return fail(err);
  SyncConn nc(pool, "NATS CLI Version 0.1.0");
  nc.on_disconnect = [](const std::string& why) { logf(">>> Disconnected due to: %s, will attempt reconnect", why.c_str()); };
  if (!nc.connect(err)) return fail("nats: " + err);
  const int tmo_ms = static_cast<int>(timeout_s * 1000);
  signal(SIGINT, on_sigint);
  signal(SIGTERM, on_sigint);

  if (cmd == "pub") {
    if (!body_set && !isatty(0)) { if (!quiet) logf("Reading payload from STDIN"); body = read_stdin(); }
    if (count < 1) count = count == -1 ? 1 : 32767;
    for (long i = 1; i <= count && !g_interrupted; ++i) {
      const std::string b = expand(body, static_cast<int>(i));
      if (!nc.publish(subject, reply_to, b) || !nc.flush(tmo_ms, err)) return fail("nats: " + (err.empty() ? "connection closed" : err));
      if (!quiet) logf("Published %zu bytes to %s", b.size(), goq(subject).c_str());
      if (count > 1 && sleep_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(sleep_s));
    }
    return 0;
  }

  if (cmd == "sub") {
    if (!nc.subscribe(subject, queue, 1)) return fail("nats: connection closed");
    if (count > 0) nc.unsubscribe(1, static_cast<uint64_t>(count));
    if (!nc.flush(tmo_ms, err)) return fail("nats: " + err);
    if (!raw) logf("Subscribing on %s", subject.c_str());
    long n = 0;
    while (!g_interrupted) {
      Msg m;
      int r = nc.next(m, 500);
      if (r < 0) return fail("nats: connection closed");
      if (r == 0) continue;
      ++n;
      if (raw) {
        printf("%s\n", m.data.c_str());
      } else {
        if (!m.reply.empty()) printf("[#%ld] Received on %s with reply %s\n", n, goq(m.subject).c_str(), goq(m.reply).c_str());
        else printf("[#%ld] Received on %s\n", n, goq(m.subject).c_str());
        print_headers(m.headers);
        printf("%s\n", m.data.c_str());
        if (m.data.empty() || m.data.back() != '\n') printf("\n");
      }
      fflush(stdout);
      if (count > 0 && n >= count) break;
    }
    return 0;
  }

  if (cmd == "req") {
    if (!body_set && !isatty(0)) body = read_stdin();
    if (count < 1) count = count == -1 ? 1 : 32767;
    for (long i = 1; i <= count && !g_interrupted; ++i) {
      if (!raw) logf("Sending request on %s", goq(subject).c_str());
      const std::string inbox = new_inbox();
      nc.subscribe(inbox, "", static_cast<uint64_t>(i + 1));
      nc.unsubscribe(static_cast<uint64_t>(i + 1), 1);
      const auto t0 = std::chrono::steady_clock::now();
      if (!nc.publish(subject, inbox, expand(body, static_cast<int>(i)))) return fail("nats: connection closed");
      Msg m;
      for (;;) {
        int r = nc.next(m, tmo_ms);
        if (r < 0) return fail("nats: connection closed");
        if (r == 0) return fail("nats: timeout");
        if (m.subject == inbox) break;
      }
      const auto rtt = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
      if (m.headers.rfind("NATS/1.0 503", 0) == 0) { logf("No responders are available"); return 0; }
      if (!raw) {
        logf("Received with rtt %s", go_duration(static_cast<uint64_t>(rtt)).c_str());
        print_headers(m.headers);
      }
      if (m.data.empty()) printf("nil body\n");
      else {
        printf("%s\n", m.data.c_str());
        if (!raw && m.data.back() != '\n') printf("\n");
      }
      fflush(stdout);
    }
    return 0;
  }

  // reply
  if (!queue_set) queue = "NATS-RPLY-22";
  if (!body_set && !echo) { logf("No body or command supplied, enabling echo mode"); echo = true; }
  if (!nc.subscribe(subject, queue, 1)) return fail("nats: connection closed");
  if (count > 0) nc.unsubscribe(1, static_cast<uint64_t>(count));
  if (!nc.flush(tmo_ms, err)) return fail("nats: " + err);
  logf("Listening on %s in group %s", goq(subject).c_str(), goq(queue).c_str());
  long n = 0;
  while (!g_interrupted) {
    Msg m;
    int r = nc.next(m, 500);
    if (r < 0) return fail("nats: connection closed");
    if (r == 0) continue;
    logf("[#%ld] Received on subject %s:", n, goq(m.subject).c_str());
    print_headers(m.headers);
    printf("\n%s\n", m.data.c_str());
    fflush(stdout);
    if (!m.reply.empty()) nc.publish(m.reply, "", echo ? m.data : expand(body, static_cast<int>(n)));
    ++n;
    if (count > 0 && n >= count) { nc.flush(tmo_ms, err); break; }
  }
  logf("\nDraining...");
  logf("Exiting");
  return 1;  // natscli ends `reply` with log.Fatalf, so its exit status is 1
}
