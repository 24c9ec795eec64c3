// pubsub: a NATS load generator in the spirit of `nats bench`. The main thread
// dials every connection, hands them to event-loop threads, and steps the run
// through its phases: all ready (subscriptions confirmed by PONG) -> go ->
// publishers done (each confirmed by PONG) -> bounded subscriber drain -> stop.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "bench/client/net.h"
#include "bench/client/uring_client.h"
#include "bench/pubsub/js_roles.h"
#include "bench/pubsub/load_cpu.h"
#include "bench/pubsub/options.h"
#include "bench/pubsub/report.h"
#include "bench/pubsub/roles.h"

using namespace ringnats::bench;

namespace {

std::atomic<bool>* g_stop = nullptr;

void on_signal(int) {
  if (g_stop) g_stop->store(true);
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

struct Worker {
  std::vector<Conn*> conns;
  std::thread th;
  int init_err = 0;
};

void run_worker(Worker& w, Shared& sh) {
  Loop loop;
  w.init_err = loop.init(static_cast<unsigned>(w.conns.size()));
  if (w.init_err < 0) return;
  for (Conn* c : w.conns) loop.add(c);
  const uint64_t tick = 1000000;  // 1 ms: bounds how late flags and rate budgets are seen
  while (!sh.stop.load(std::memory_order_relaxed)) loop.turn(tick);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (int r = parse_options(argc, argv, o); r != 0) return r == 1 ? 0 : 2;
  signal(SIGPIPE, SIG_IGN);
  Shared sh;
  sh.opt = &o;
  g_stop = &sh.stop;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  // Plan the clients: subscriber-like roles first so they take the first URLs.
  std::deque<ClientStats> clients;
  auto add = [&](Role r, int id, uint64_t target) {
    ClientStats& c = clients.emplace_back();
    c.role = r;
    c.id = id;
    c.subject = o.subjects[static_cast<size_t>(id) % o.subjects.size()];
    c.server = o.servers[(clients.size() - 1) % o.servers.size()].text();
    c.target = target;
  };
  auto split = [](uint64_t total, int n, int i) {
    return total / static_cast<uint64_t>(n) + (static_cast<uint64_t>(i) < total % static_cast<uint64_t>(n) ? 1 : 0);
  };
  if (o.js()) {
    // Each client keeps its own count, as requesters do.
    for (int i = 0; i < o.pubs; ++i) add(Role::Req, i, split(o.msgs, o.pubs, i));
  } else if (o.mode == Mode::ReqRep) {
    for (int i = 0; i < o.repliers; ++i) add(Role::Rep, i, 0);
    for (int i = 0; i < o.requesters; ++i) add(Role::Req, i, split(o.msgs, o.requesters, i));
  } else {
    for (int i = 0; i < o.subs; ++i) add(Role::Sub, i, 0);
    for (int i = 0; i < o.pubs; ++i) add(Role::Pub, i, split(o.msgs, o.pubs, i));
  }

  // Dial everything before any thread runs; a failure here is a usage-level error.
  std::vector<std::unique_ptr<Conn>> conns;
  const int dial_ms = static_cast<int>(o.connect_timeout_s * 1000);
  for (size_t i = 0; i < clients.size(); ++i) {
    ClientStats& c = clients[i];
    const ServerUrl& url = o.servers[i % o.servers.size()];
    const int fd = dial_tcp(url, dial_ms);
    if (fd < 0) {
      fprintf(stderr, "pubsub: cannot connect to %s: %s\n", url.text().c_str(), strerror(-fd));
      return 2;
    }
    switch (c.role) {
      case Role::Pub: conns.push_back(std::make_unique<PubConn>(fd, sh, c)); break;
      case Role::Sub: conns.push_back(std::make_unique<SubConn>(fd, sh, c, o.mode == Mode::Queue ? o.queue : "")); break;
      case Role::Req:
        if (o.mode == Mode::JsPub) conns.push_back(std::make_unique<JsPubConn>(fd, sh, c));
        else if (o.mode == Mode::JsFetch) conns.push_back(std::make_unique<JsFetchConn>(fd, sh, c));
        else conns.push_back(std::make_unique<ReqConn>(fd, sh, c));
        break;
      case Role::Rep: conns.push_back(std::make_unique<RepConn>(fd, sh, c, o.queue)); break;
    }
  }

  std::vector<Worker> workers(static_cast<size_t>(std::min<int>(o.threads, static_cast<int>(conns.size()))));
  for (size_t i = 0; i < conns.size(); ++i) workers[i % workers.size()].conns.push_back(conns[i].get());
  for (Worker& w : workers) w.th = std::thread(run_worker, std::ref(w), std::ref(sh));

  int rc = 0;
  auto any_failed = [&] {
    for (ClientStats& c : clients) if (c.failed.load()) return true;
    return false;
  };
  // Phase 1: every connection has its CONNECT (and SUB) acknowledged by a PONG.
  const uint64_t t_conn = now_ns();
  for (;;) {
    bool all = true;
    for (ClientStats& c : clients) all = all && c.ready.load(std::memory_order_acquire);
    if (all) break;
    if (any_failed() || now_ns() - t_conn > static_cast<uint64_t>(o.connect_timeout_s * 1e9) || sh.stop.load()) {
      for (ClientStats& c : clients)
        if (c.failed.load() || !c.ready.load())
          fprintf(stderr, "pubsub: %s %d not ready: %s\n", role_name(c.role), c.id, c.error.empty() ? "timeout" : c.error.c_str());
      sh.stop.store(true);
      for (Worker& w : workers) w.th.join();
      return 2;
    }
    for (Worker& w : workers)
      if (w.init_err < 0) { fprintf(stderr, "pubsub: io_uring setup failed: %s\n", strerror(-w.init_err)); _exit(2); }
    sleep_ms(1);
  }

  // Phase 2: go.
  const CpuMark cpu0 = cpu_mark();
  const uint64_t start = now_ns();
  sh.start_ns.store(start);
  if (o.duration_s > 0) sh.deadline_ns.store(start + static_cast<uint64_t>(o.duration_s * 1e9));
  sh.go.store(true, std::memory_order_release);

  const bool progress = o.progress == 1 || (o.progress == -1 && isatty(2));
  uint64_t next_progress = start + 1000000000ull, last_pub = 0, last_sub = 0, last_t = start;
  std::deque<uint64_t> expected;  // per subscriber, in client order
  uint64_t drain_start = 0;
  bool interrupted = false;
  for (;;) {
    sleep_ms(1);
    const uint64_t now = now_ns();
    uint64_t pub_n = 0, sub_n = 0;
    bool pubs_done = true;
    for (ClientStats& c : clients) {
      if (c.role == Role::Pub || c.role == Role::Req) {
        pub_n += c.msgs.load(std::memory_order_relaxed);
        pubs_done = pubs_done && (c.done.load(std::memory_order_acquire) || c.failed.load());
      } else {
        sub_n += c.msgs.load(std::memory_order_relaxed);
      }
    }
    if (progress && now >= next_progress) {
      const double dt = static_cast<double>(now - last_t) / 1e9;
      fprintf(stderr, "\r%6.1fs  %s %llu (%.0f/s)  %s %llu (%.0f/s)   ", static_cast<double>(now - start) / 1e9,
              o.mode == Mode::ReqRep ? "req" : "pub", static_cast<unsigned long long>(pub_n),
              static_cast<double>(pub_n - last_pub) / dt, o.mode == Mode::ReqRep ? "rep" : "sub",
              static_cast<unsigned long long>(sub_n), static_cast<double>(sub_n - last_sub) / dt);
      fflush(stderr);
      last_pub = pub_n;
      last_sub = sub_n;
      last_t = now;
      next_progress = now + 1000000000ull;
    }
    if (sh.stop.load()) { interrupted = true; break; }
    if (o.mode == Mode::Sub) {
      const uint64_t dl = sh.deadline_ns.load();
      bool all = true;
      for (ClientStats& c : clients) all = all && (c.msgs.load() >= o.msgs || c.failed.load());
      if ((dl == 0 && all) || (dl != 0 && now >= dl)) {
        for (size_t i = 0; i < clients.size(); ++i) expected.push_back(dl == 0 ? o.msgs : 0);
        break;
      }
      continue;
    }
    if (!pubs_done) continue;
    if (drain_start == 0) {
      drain_start = now;
      expected = expected_per_subscriber(clients);
    }
    if (subscribers_satisfied(o.mode, clients, expected) || now - drain_start > static_cast<uint64_t>(o.wait_s * 1e9)) break;
  }
  const CpuMark cpu1 = cpu_mark();
  if (progress) fputs("\n", stderr);
  sh.stop.store(true);
  for (Worker& w : workers) w.th.join();

  if (expected.empty() && o.mode != Mode::ReqRep && o.mode != Mode::Pub && !o.js()) {
    // Interrupted before publishers finished: expect what they sent.
    for (ClientStats& s : clients) {
      if (s.role != Role::Sub) continue;
      uint64_t e = 0;
      for (ClientStats& p : clients) if (p.role == Role::Pub && p.subject == s.subject) e += p.msgs.load();
      expected.push_back(o.mode == Mode::Sub ? 0 : e);
    }
  }
  // Rates start when the first publisher really started, not when go was set.
  uint64_t t0 = 0;
  for (ClientStats& c : clients)
    if ((c.role == Role::Pub || c.role == Role::Req) && c.first_ns && (t0 == 0 || c.first_ns < t0)) t0 = c.first_ns;
  if (t0 == 0) t0 = start;

  Summary s = summarize(o, clients, t0, expected);
  s.load = cpu_between(cpu0, cpu1);
  if (o.json) print_json(o, clients, s, t0);
  else if (o.csv) print_csv(o, s);
  else print_text(o, clients, s, t0);
  if (interrupted) fputs("pubsub: interrupted\n", stderr);
  if (s.failed_clients) rc = 2;
  else if (s.lost) rc = 3;
  return rc;
}
