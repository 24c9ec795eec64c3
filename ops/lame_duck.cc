// Lame-duck mode (see lame_duck.h). Clients are closed by their own shards,
// a slice per tick, so a large server sheds its clients gradually and they
// reconnect elsewhere over the whole window instead of all at once.
#include "ops/lame_duck.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

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
}  // namespace

void lame_duck(Server& srv) {
  Options o = srv.opts_snapshot();
  log::notice("Entering lame duck mode, stop accepting new clients");
  srv.enter_lame_duck();
  if (ClusterHooks* cl = srv.cluster()) cl->lame_duck();
  // Clients that take async INFO learn it now (and reconnect elsewhere).
  srv.gather([](Shard& s) {
    s.for_each_conn([&](Conn* c) {
      if (c->type == ConnType::Client && c->connect_received && c->protocol >= 1) s.send_info_to(c);
    });
  });
  std::this_thread::sleep_for(std::chrono::nanoseconds(o.lame_duck_grace_period_ns));
  log::notice("Closing existing clients");
  int64_t window = std::max<int64_t>(o.lame_duck_duration_ns - o.lame_duck_grace_period_ns, kTickNs);
  size_t total = open_clients(srv);
  // Per tick, each shard closes its share of the clients still open.
  size_t ticks = static_cast<size_t>(window / kTickNs);
  size_t per_tick = std::max<size_t>(1, (total + ticks - 1) / ticks / static_cast<size_t>(srv.nshards()));
  int64_t end = mono_ns() + window;
  while (mono_ns() < end) {
    srv.gather([per_tick](Shard& s) {
      size_t closed = 0;
      s.for_each_conn([&](Conn* c) {
        if (closed < per_tick && c->type == ConnType::Client) {
          s.close_conn(c, proto::ErrCode::ServerShutdown);
          ++closed;
        }
      });
    });
    if (open_clients(srv) == 0) return;
    std::this_thread::sleep_for(std::chrono::nanoseconds(kTickNs));
  }
}

}  // namespace ringnats::ops
