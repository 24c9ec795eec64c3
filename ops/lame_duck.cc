// Lame-duck mode (see lame_duck.h). Clients are closed by their own shards,
// a slice per tick sized from what is left and the time left, so they
// reconnect elsewhere over the whole window instead of all at once.
#include "ops/lame_duck.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "core/clock.h"
#include "core/cluster_hooks.h"
#include "core/log.h"
#include "core/server.h"

namespace ringnats::ops {

namespace {
constexpr int64_t kTickNs = 100'000'000;

// Clients still open on every shard.
size_t open_clients(Server& srv) {
  auto n = std::make_shared<std::atomic<size_t>>(0);
  srv.gather([n](Shard& s) {
    s.for_each_conn([&](Conn* c) {
      if (c->type == ConnType::Client) n->fetch_add(1, std::memory_order_relaxed);
    });
  });
  return n->load();
}

// Each shard closes up to `per_shard` of its clients.
void close_clients(Server& srv, size_t per_shard) {
  srv.gather([per_shard](Shard& s) {
    size_t closed = 0;
    s.for_each_conn([&](Conn* c) {
      if (closed < per_shard && c->type == ConnType::Client) {
        s.close_conn(c, proto::ErrCode::ServerShutdown);
        ++closed;
      }
    });
  });
}
}  // namespace

LameDuck::~LameDuck() {
  abort();
  join();
}

void LameDuck::start(std::function<void()> done) {
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this, done = std::move(done)] { run(done); });
}

void LameDuck::abort() {
  std::lock_guard<std::mutex> g(mu_);
  aborted_ = true;
  cv_.notify_all();
}

void LameDuck::join() {
  if (thread_.joinable()) thread_.join();
}

bool LameDuck::pause(int64_t ns) {
  std::unique_lock<std::mutex> g(mu_);
  return !cv_.wait_for(g, std::chrono::nanoseconds(ns), [&] { return aborted_; });
}

void LameDuck::run(std::function<void()> done) {
  Options o = srv_.opts_snapshot();
  log::notice("Entering lame duck mode, stop accepting new clients");
  srv_.enter_lame_duck();
  if (ClusterHooks* cl = srv_.cluster()) cl->lame_duck();
  // Clients that take async INFO learn it now (and reconnect elsewhere).
  srv_.gather([](Shard& s) {
    s.for_each_conn([&](Conn* c) {
      if (c->type == ConnType::Client && c->connect_received && c->protocol >= 1) s.send_info_to(c);
    });
  });
  // Nobody to move: nats-server stops at once.
  if (open_clients(srv_) > 0 && pause(o.lame_duck_grace_period_ns)) {
    log::notice("Closing existing clients");
    int64_t end = mono_ns() + std::max<int64_t>(o.lame_duck_duration_ns - o.lame_duck_grace_period_ns, kTickNs);
    const size_t nshards = static_cast<size_t>(srv_.nshards());
    for (;;) {
      size_t open = open_clients(srv_);
      int64_t left = end - mono_ns();
      if (open == 0 || left <= kTickNs) break;
      size_t ticks = static_cast<size_t>(left / kTickNs);
      size_t now = (open + ticks - 1) / ticks;
      close_clients(srv_, (now + nshards - 1) / nshards);
      if (!pause(kTickNs)) break;
    }
  }
  close_clients(srv_, ~size_t{0});  // what is left (aborted, or the window ended)
  finished_.store(true);
  done();
}

}  // namespace ringnats::ops
