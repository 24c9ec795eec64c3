// A connection's whole lifetime on its shard, in one place: open, close (the
// only close path), drain, and free (release, the only free path). States
// only move forward (Open -> Draining -> Closed -> Free, see ConnState), so a
// second close or free is a no-op by construction. Every reference to a
// connection from outside this table is (slot, gen): a reused slot has a new
// generation. Only the owning shard's thread touches its Conns.
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "core/clock.h"
#include "core/conn_table.h"
#include "core/reactor.h"
#include "core/server.h"

namespace ringnats {

ConnTable::ConnTable(Server& srv, Reactor& reactor, ConnEvents& events, const int64_t& now)
    : srv_(srv), reactor_(reactor), events_(events), now_(now),
      nats_stall_at_(static_cast<size_t>(srv.opts().max_pending / 2)),
      stall_at_(std::min(nats_stall_at_, kStallSoftCap)),
      ref_budget_(std::min<size_t>(size_t{1} << 20, nats_stall_at_ / 2)) {
  conns_.reserve(1024);
}

ConnTable::~ConnTable() {
  for (auto& c : conns_) {
    if (c && c->fd >= 0) ::close(c->fd);
    if (c && c->storage) c->storage->unref();
  }
}

namespace {
void read_peer(Conn* c) {
  sockaddr_storage ss{};
  socklen_t sl = sizeof(ss);
  if (getpeername(c->fd, reinterpret_cast<sockaddr*>(&ss), &sl) != 0) return;
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
}  // namespace

Conn* ConnTable::open(int fd, ConnType type) {
  Conn* c = take_slot(type);
  c->fd = fd;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  read_peer(c);
  events_.conn_opened(c);
  if (c->state == ConnState::Open) arm_recv(c);
  return c;
}

Conn* ConnTable::open_internal(uint32_t account) {
  Conn* c = take_slot(ConnType::Client);
  c->internal = true;
  c->account = account;
  c->verbose = c->pedantic = false;
  c->headers = true;
  c->connect_received = true;
  return c;
}

Conn* ConnTable::take_slot(ConnType type) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(conns_.size());
    conns_.emplace_back();
    pressure_.emplace_back(false);
  }
  // The generation survives the slot's reuse: every reference taken to the
  // previous occupant (a subscription, a ring record, a completion) is stale.
  uint32_t gen = conns_[slot] ? conns_[slot]->gen + 1 : 1;
  conns_[slot] = std::make_unique<Conn>(type, static_cast<size_t>(srv_.opts().max_control_line));
  Conn* c = conns_[slot].get();
  c->slot = slot;
  c->gen = gen;
  c->pressure = &pressure_[slot];
  c->pressure->store(false, std::memory_order_relaxed);
  c->cid = srv_.next_cid();
  ++live_;
  c->created_ns = c->last_in_ns = c->last_activity_ns = now_;
  c->start_wall_ns = wall_ns();
  return c;
}

void ConnTable::arm_recv(Conn* c) {
  reactor_.arm_recv(c->fd, ud(Ud::Recv, c->slot, c->gen), c->recv_capped ? Reactor::kPausedRecv : 0);
  c->recv_armed = true;
}

// How a connection whose last words are queued is shut. With the kernel
// sending TLS, a completed send may still sit in kTLS (a record waiting for
// socket space): SHUT_WR now would put the FIN before it, so only reading is
// shut and close() lets kTLS push the rest before TCP's FIN.
int ConnTable::graceful_shut(const Conn* c) { return c->tls && c->tls->kernel_tx() ? SHUT_RD : SHUT_RDWR; }

void ConnTable::close(Conn* c, proto::ErrCode why) {
  if (c->state != ConnState::Open) return;
  if (c->internal) {
    c->state = ConnState::Draining;
    events_.conn_closing(c, why);
    c->state = ConnState::Closed;
    release(c);
    return;
  }
  c->parser.set_hold(true);
  // Leaves Open before the events run: whatever they do to `c` (an UNSUB's
  // index change, a route's teardown) sees it closing.
  c->state = ConnState::Draining;
  events_.conn_closing(c, why);
  // A TLS peer gets close_notify after what is queued, as Go's tls.Conn.Close:
  // now if nothing is, else once flush_tls has encrypted the rest (an -ERR).
  if (c->tls && why != proto::ErrCode::SlowConsumer && c->out.empty()) c->tls->shutdown();
  if (why != proto::ErrCode::SlowConsumer && more_out(c)) {
    // Like nats-server, let what is queued (an -ERR above all) go out first.
    note_pending(c);
    ::shutdown(c->fd, SHUT_RD);
    mark_dirty(c);
    return;
  }
  c->state = ConnState::Closed;
  note_pending(c);
  // A send still in flight reads from `out`: it is dropped when that send
  // completes (with an error, after this shutdown), or in release().
  ::shutdown(c->fd, why != proto::ErrCode::SlowConsumer && !c->send_inflight ? graceful_shut(c) : SHUT_RDWR);
  if (!c->send_inflight) c->out.clear();
  release(c);
}

void ConnTable::finish_draining(Conn* c) {
  if (c->state != ConnState::Draining) return;
  // With the kernel sending, close_notify follows the last bytes from here.
  if (c->tls && c->tls->kernel_tx()) c->tls->shutdown();
  c->state = ConnState::Closed;
  ::shutdown(c->fd, graceful_shut(c));
  release(c);
}

void ConnTable::release(Conn* c) {
  if (c->state != ConnState::Closed || c->recv_armed || c->send_inflight) return;
  c->state = ConnState::Free;
  --live_;
  if (c->held_bid >= 0) {
    reactor_.give_back(static_cast<uint16_t>(c->held_bid));
    c->held_bid = -1;
  }
  c->held_copy.clear();
  c->held_copy.shrink_to_fit();
  c->tls.reset();
  if (c->fd >= 0) ::close(c->fd);
  c->fd = -1;
  c->out.clear();
  if (c->storage) {
    c->storage->unref();
    c->storage = nullptr;
  }
  // Reusable only after this turn: the dirty and waiting lists may still
  // name this Conn.
  released_.push_back(c->slot);
}

void ConnTable::recycle() {
  free_.insert(free_.end(), released_.begin(), released_.end());
  released_.clear();
}

}  // namespace ringnats
