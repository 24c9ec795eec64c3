// A connection's whole lifetime on its shard, in one place: open (new_conn),
// close (close_conn, the only close path), drain, and free (release, the
// only free path). States only move forward (Open -> Draining -> Closed ->
// Free, see ConnState), so a second close or free is a no-op by construction.
// Only the owning shard's thread touches its Conns.
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <algorithm>

#include "core/clock.h"
#include "core/cluster_hooks.h"
#include "core/log.h"
#include "core/server.h"
#include "core/shard.h"

namespace ringnats {

Conn* Shard::conn_at(uint32_t slot, uint32_t gen) {
  if (slot >= conns_.size()) return nullptr;
  Conn* c = conns_[slot].get();
  if (!c || c->gen != gen || c->state == ConnState::Free) return nullptr;
  return c;
}

Conn* Shard::new_conn(int fd, ConnType type) {
  uint32_t slot;
  if (!free_conns_.empty()) {
    slot = free_conns_.back();
    free_conns_.pop_back();
  } else {
    slot = static_cast<uint32_t>(conns_.size());
    conns_.emplace_back();
  }
  // The generation survives the slot's reuse: every reference taken to the
  // previous occupant (a subscription, a ring record, a completion) is stale.
  uint32_t gen = conns_[slot] ? conns_[slot]->gen + 1 : 1;
  conns_[slot] = std::make_unique<Conn>(type, static_cast<size_t>(srv_.opts().max_control_line));
  Conn* c = conns_[slot].get();
  c->slot = slot;
  c->gen = gen;
  c->fd = fd;
  c->cid = srv_.next_cid();
  c->created_ns = c->last_in_ns = now_ns_ = mono_ns();
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_storage ss{};
  socklen_t sl = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &sl) == 0) {
    char ip[INET6_ADDRSTRLEN] = {0};
    if (ss.ss_family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
      c->remote_port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
      c->remote_port = ntohs(a->sin6_port);
    }
    c->remote_ip = ip;
  }
  if (type == ConnType::Client) {
    int n = srv_.num_conns().fetch_add(1) + 1;
    log::debug("%s:%d - cid:%llu - Client connection created", c->remote_ip.c_str(), c->remote_port,
               static_cast<unsigned long long>(c->cid));
    send_info(c);
    if (n > srv_.opts().max_connections) {
      log::error("%s:%d - cid:%llu - maximum connections exceeded", c->remote_ip.c_str(),
                 c->remote_port, static_cast<unsigned long long>(c->cid));
      send_err(c, proto::ErrCode::MaxConnections);
      return c;
    }
    if (srv_.auth_required()) {
      c->parser.set_require_connect(true);
      c->auth_deadline_ns = c->created_ns + srv_.opts().auth_timeout_ns;
    }
    c->next_ping_ns = c->created_ns + srv_.opts().ping_interval_ns;
  }
  arm_recv(c);
  return c;
}

// The one close path. Safe to call from anywhere on the shard, any number of
// times, including from inside the parser callbacks for this connection:
// nothing is freed here unless no operation is in flight, and the caller's
// Conn* stays valid until the end of the turn either way.
void Shard::close_conn(Conn* c, proto::ErrCode why) {
  if (c->state != ConnState::Open) return;
  c->parser.set_hold(true);
  if (c->throttled) {
    throttled_.erase(std::remove(throttled_.begin(), throttled_.end(), c), throttled_.end());
    c->throttled = false;
  }
  if (auto* cl = srv_.cluster(); cl && c->type == ConnType::Route) cl->route_closed(*this, c);
  if (c->type == ConnType::Client) {
    srv_.num_conns().fetch_sub(1);
    log::debug("%s:%d - cid:%llu - Client connection closed: %s", c->remote_ip.c_str(),
               c->remote_port, static_cast<unsigned long long>(c->cid),
               why == proto::ErrCode::SlowConsumer ? "Slow Consumer (Pending Bytes)" : "Client Closed");
  }
  // Drop every subscription: later deliveries find the slot gone.
  for (auto& [sid, slot] : c->subs) remove_sub(c, slot);
  c->subs.clear();
  if (why != proto::ErrCode::SlowConsumer && !c->out.empty()) {
    // Like nats-server, let what is queued (an -ERR above all) go out first.
    c->state = ConnState::Draining;
    note_pending(c);
    ::shutdown(c->fd, SHUT_RD);
    mark_dirty(c);
    return;
  }
  c->state = ConnState::Closed;
  note_pending(c);
  // A send still in flight reads from `out`: it is dropped when that send
  // completes (with an error, after this shutdown), or in release().
  ::shutdown(c->fd, SHUT_RDWR);
  if (!c->send_inflight) c->out.clear();
  release(c);
}

// Draining is over (the last bytes went out, or could not).
void Shard::finish_draining(Conn* c) {
  if (c->state != ConnState::Draining) return;
  c->state = ConnState::Closed;
  ::shutdown(c->fd, SHUT_RDWR);
  release(c);
}

// The one free path: frees once the connection is closed and the kernel has
// completed every operation it had on it. Idempotent.
void Shard::release(Conn* c) {
  if (c->state != ConnState::Closed || c->recv_armed || c->send_inflight) return;
  c->state = ConnState::Free;
  if (c->held_bid >= 0) {
    reactor_.give_back(static_cast<uint16_t>(c->held_bid));
    c->held_bid = -1;
  }
  c->held_copy.clear();
  c->held_copy.shrink_to_fit();
  ::close(c->fd);
  c->fd = -1;
  c->out.clear();
  if (c->storage) {
    c->storage->unref();
    c->storage = nullptr;
  }
  // Reusable only after this turn: the dirty and waiting lists may still
  // name this Conn.
  released_conns_.push_back(c->slot);
}

}  // namespace ringnats
