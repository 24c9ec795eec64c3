// natsload: bench/pubsub's scenarios through libnats, to measure what an
// ordinary NATS application gets from a server. The main thread connects
// every client (subscribers first, each confirmed by a flush), starts one
// thread per publisher or requester, and steps the run as pubsub does: go ->
// publishers done (each confirmed by a flush) -> bounded subscriber drain ->
// stop. It prints pubsub's report (text, --json or --csv), including this
// process's own CPU over the run.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "bench/client/net.h"
#include "bench/natsload/clients.h"
#include "bench/natsload/options.h"
#include "bench/pubsub/load_cpu.h"
#include "bench/pubsub/report.h"
#include "bench/pubsub/stats.h"

using namespace ringnats::bench;

namespace {

std::atomic<bool>* g_stop = nullptr;

void on_signal(int) {
  if (g_stop) g_stop->store(true);
}

// Closes every connection and waits for libnats' threads, so nothing writes
// the clients' stats any more.
void teardown(std::vector<std::unique_ptr<NatsClient>>& clients, Shared& sh) {
  sh.stop.store(true);
  for (auto& c : clients) c->close();
  nats_CloseAndWait(10000);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  NatsOnly n;
  if (int r = parse_natsload_options(argc, argv, o, n); r != 0) return r == 1 ? 0 : 2;
  signal(SIGPIPE, SIG_IGN);
  Shared sh;
  sh.opt = &o;
  g_stop = &sh.stop;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  if (natsStatus s = nats_Open(-1); s != NATS_OK) {
    fprintf(stderr, "natsload: nats_Open: %s\n", natsStatus_GetText(s));
    return 2;
  }

  // Plan the clients as pubsub does: subscriber-like roles first so they take the first URLs.
  std::deque<ClientStats> stats;
  auto add = [&](Role r, int id, uint64_t target) {
    ClientStats& c = stats.emplace_back();
    c.role = r;
    c.id = id;
    c.subject = o.subjects[static_cast<size_t>(id) % o.subjects.size()];
    c.server = o.servers[(stats.size() - 1) % o.servers.size()].text();
    c.target = target;
  };
  auto split = [](uint64_t total, int k, int i) {
    return total / static_cast<uint64_t>(k) + (static_cast<uint64_t>(i) < total % static_cast<uint64_t>(k) ? 1 : 0);
  };
  if (o.mode == Mode::ReqRep) {
    for (int i = 0; i < o.repliers; ++i) add(Role::Rep, i, 0);
    for (int i = 0; i < o.requesters; ++i) add(Role::Req, i, split(o.msgs, o.requesters, i));
  } else {
    for (int i = 0; i < o.subs; ++i) add(Role::Sub, i, 0);
    for (int i = 0; i < o.pubs; ++i) add(Role::Pub, i, split(o.msgs, o.pubs, i));
  }

  // Connect (and subscribe) everything before the run; a failure is a usage-level error.
  std::vector<std::unique_ptr<NatsClient>> clients;
  for (ClientStats& c : stats) {
    const bool grouped = c.role == Role::Rep || (c.role == Role::Sub && o.mode == Mode::Queue);
    clients.push_back(std::make_unique<NatsClient>(sh, n, c, grouped ? o.queue : std::string()));
    std::string err;
    if (!clients.back()->connect(c.server, err) || sh.stop.load()) {
      fprintf(stderr, "natsload: %s\n", err.empty() ? "interrupted" : err.c_str());
      teardown(clients, sh);
      return 2;
    }
  }
  std::vector<std::thread> threads;
  for (size_t i = 0; i < stats.size(); ++i)
    if (stats[i].role == Role::Pub || stats[i].role == Role::Req) threads.emplace_back(&NatsClient::run, clients[i].get());

  // Go.
  const CpuMark cpu0 = cpu_mark();
  const uint64_t start = now_ns();
  sh.start_ns.store(start);
  if (o.duration_s > 0) sh.deadline_ns.store(start + static_cast<uint64_t>(o.duration_s * 1e9));
  sh.go.store(true, std::memory_order_release);
  sh.go.notify_all();

  const bool progress = o.progress == 1 || (o.progress == -1 && isatty(2));
  uint64_t next_progress = start + 1000000000ull, last_pub = 0, last_sub = 0, last_t = start;
  std::deque<uint64_t> expected;  // per subscriber, in client order
  uint64_t drain_start = 0;
  bool interrupted = false;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const uint64_t now = now_ns();
    uint64_t pub_n = 0, sub_n = 0;
    bool pubs_done = true;
    for (ClientStats& c : stats) {
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
    if (!pubs_done) continue;
    if (drain_start == 0) {
      drain_start = now;
      expected = expected_per_subscriber(stats);
    }
    if (subscribers_satisfied(o.mode, stats, expected) || now - drain_start > static_cast<uint64_t>(o.wait_s * 1e9)) break;
  }
  const CpuMark cpu1 = cpu_mark();
  if (progress) fputs("\n", stderr);
  sh.stop.store(true);
  for (std::thread& t : threads) t.join();
  teardown(clients, sh);

  if (expected.empty() && o.mode != Mode::ReqRep && o.mode != Mode::Pub) {
    // Interrupted before publishers finished: expect what they sent.
    for (ClientStats& s : stats) {
      if (s.role != Role::Sub) continue;
      uint64_t e = 0;
      for (ClientStats& p : stats) if (p.role == Role::Pub && p.subject == s.subject) e += p.msgs.load();
      expected.push_back(e);
    }
  }
  // Rates start when the first publisher really started, not when go was set.
  uint64_t t0 = 0;
  for (ClientStats& c : stats)
    if ((c.role == Role::Pub || c.role == Role::Req) && c.first_ns && (t0 == 0 || c.first_ns < t0)) t0 = c.first_ns;
  if (t0 == 0) t0 = start;

  Summary s = summarize(o, stats, t0, expected);
  s.load = cpu_between(cpu0, cpu1);
  if (o.json) print_json(o, stats, s, t0);
  else if (o.csv) print_csv(o, s);
  else print_text(o, stats, s, t0);
  if (interrupted) fputs("natsload: interrupted\n", stderr);
  clients.clear();
  if (s.failed_clients) return 2;
  if (s.lost) return 3;
  return 0;
}
