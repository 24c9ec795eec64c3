// The connections of one shard: their slots and generations, their lifetime
// (open -> draining -> closed -> free; conn_lifetime.cc is the only place a
// state changes) and their output (the dirty list, one send in flight each,
// the slow-consumer cut; conn_output.cc). Only the owning shard's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "core/conn.h"
#include "proto/errors.h"

namespace ringnats {

class Server;
class Reactor;

// What the shard does around a connection's lifetime.
class ConnEvents {
 public:
  virtual ~ConnEvents() = default;
  // A new connection is set up; it starts reading after this unless closed.
  virtual void conn_opened(Conn* c) = 0;
  // `c` leaves Open (once): drop its subscriptions, routes, throttling.
  virtual void conn_closing(Conn* c, proto::ErrCode why) = 0;
};

class ConnTable {
 public:
  // Producers stall when a subscriber has this much queued: nats-server's
  // max_pending/2, capped so the queued blocks stay in our warm pools
  // (bench-compare: 256 KiB beat 1 MiB, which beat 4 MiB, in every cell).
  static constexpr size_t kStallSoftCap = 256u << 10;
  // A subscriber whose send has made no progress this long is not reading.
  static constexpr int64_t kStuckSendNs = 50'000'000;

  // `now` is the shard's turn clock.
  ConnTable(Server& srv, Reactor& reactor, ConnEvents& events, const int64_t& now);
  ~ConnTable();
  ConnTable(const ConnTable&) = delete;
  ConnTable& operator=(const ConnTable&) = delete;

  // --- lifetime (conn_lifetime.cc) ---
  Conn* open(int fd, ConnType type);
  // A server-side client of `account` (Conn::internal): open until closed,
  // never reads or writes a socket.
  Conn* open_internal(uint32_t account);
  // The one close path: idempotent, safe inside the connection's own parser
  // callbacks (the Conn stays valid until the end of the turn).
  void close(Conn* c, proto::ErrCode why);
  // Draining is over: its last bytes went out, or could not.
  void finish_draining(Conn* c);
  // The one free path: frees once closed with no operation in flight.
  void release(Conn* c);
  // The connection (slot, gen), or null if that occupant is gone.
  Conn* at(uint32_t slot, uint32_t gen) {
    if (slot >= conns_.size()) return nullptr;
    Conn* c = conns_[slot].get();
    return c && c->gen == gen && c->state != ConnState::Free ? c : nullptr;
  }
  // Connections not yet freed.
  size_t live() const { return live_; }
  // End of turn: released slots become reusable (nothing names them now).
  void recycle();
  // f(Conn*) for every connection not yet freed.
  // (By index: `f` may open connections.)
  template <class F>
  void for_each(F&& f) {
    for (size_t i = 0; i < conns_.size(); ++i)
      if (Conn* c = conns_[i].get(); c && c->state != ConnState::Free) f(c);
  }
  void arm_recv(Conn* c);

  // --- output (conn_output.cc) ---
  // `c` has bytes to send: flushed at the end of the turn.
  void mark_dirty(Conn* c);
  // Its pending bytes or its sending changed, or it is going away: whether
  // publishers to it stall (over_half).
  void note_pending(Conn* c);
  // An -ERR (if the error has one), closing when the error closes.
  void send_err(Conn* c, proto::ErrCode e);
  void on_send(Conn* c, int res);
  // A send of `shape` is in flight for `c` now.
  void began_send(Conn* c, SendShape shape);
  // End of turn: cut slow consumers, start one send per dirty connection.
  void flush_dirty();
  // Re-reads max_pending (after a reload).
  void options_changed();
  // Client connections past half their max_pending (publishers to them stall).
  int over_half() const { return over_half_; }
  // What a subscriber may hold in references to shared blocks before its
  // deliveries are copied instead (Fanout::kRefBudget, at most max_pending/4).
  size_t ref_budget() const { return ref_budget_; }
  // Shut down a closing connection whose last send is past write_deadline.
  void expire_closing(Conn* c);

 private:
  // A slot with a new generation and a fresh Conn (counted live).
  Conn* take_slot(ConnType type);
  void flush(Conn* c);
  // Something left to send (for TLS: ciphertext, or plaintext it may encrypt).
  bool more_out(const Conn* c) const;
  // TLS output (conn_tls.cc).
  void flush_tls(Conn* c);
  static int graceful_shut(const Conn* c);
  void sent_tls(Conn* c, size_t n);

  Server& srv_;
  Reactor& reactor_;
  ConnEvents& events_;
  const int64_t& now_;
  std::vector<std::unique_ptr<Conn>> conns_;
  // Per slot: Conn::pressure. Other shards keep pointers to these past a
  // connection's life, so they live as long as the table; a cell read after
  // its slot was reused tells the new occupant's state, which at most stalls
  // a publisher for one kStallNs.
  std::deque<std::atomic<bool>> pressure_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> released_;
  std::vector<Conn*> dirty_;
  size_t live_ = 0;
  size_t nats_stall_at_;  // max_pending/2
  size_t stall_at_;       // the soft cap, at most nats_stall_at_
  size_t ref_budget_;
  int over_half_ = 0;
};

}  // namespace ringnats
