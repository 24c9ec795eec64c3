// A shard: one thread pinned to one core, and the loop that drives its parts:
//   Reactor      the io_uring ring, receive buffers, wake-ups (reactor.h)
//   ShardLinks   the SPSC rings to and from every peer shard (links.h)
//   ConnTable    connection slots, lifetime and output (conn_table.h)
//   SubTable     subscription slots and their place in the index (sub_table.h)
//   ClientSession  the client protocol (client_session.h)
//   Fanout       matching and delivery, the PUB hot path (fanout.h)
// The shard itself receives and parses, dispatches what the parser finds,
// throttles publishers, and runs the turn. cluster/ reaches the parts only
// through the facade below (and cluster_hooks.h the other way).
//
// Loop rules, in order, every turn:
//  1. Announce the turn to QSBR (index reads are safe until the turn ends).
//  2. Reap completions: accept, receive (parse + publish), send done.
//  3. Drain inbound rings from every peer shard, in FIFO order.
//  4. Run timers that are due (pings, auth and stale checks).
//  5. End the turn: close open batches, publish rings, wake sleeping peers,
//     start one send per dirty connection, reclaim retired memory.
//  6. Sleep only after announcing it and seeing every inbound ring empty.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/client_session.h"
#include "core/conn.h"
#include "core/conn_table.h"
#include "core/fanout.h"
#include "core/links.h"
#include "core/qsbr.h"
#include "core/reactor.h"
#include "core/rec.h"
#include "core/shard_stats.h"
#include "core/sub_table.h"
#include "core/sublist.h"

namespace ringnats {

class Server;

// CPUs this process may run on, in order (sched_getaffinity).
std::vector<int> allowed_cpus();

class Shard : private ConnEvents {
 public:
  Shard(Server& srv, int id);
  ~Shard() override;
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  bool start(std::string& err);  // spawns the thread; it sets up ring and buffers
  void join();
  void request_stop();          // any thread
  // On this shard's thread: start taking client connections (shard 0).
  void begin_accepting();

  int id() const { return id_; }
  // This shard's part of account `acc`'s subscription index.
  const SubPartition& partition(uint32_t acc) const { return *partitions_[acc]; }
  // Entries in this shard's part of every account's index (monitoring).
  size_t index_entries() const {
    size_t n = 0;
    for (const auto& p : partitions_) n += p->entries();
    return n;
  }
  Reactor& reactor() { return reactor_; }
  void wake() { reactor_.wake(); }  // any thread: wake if sleeping
  // Control path from any thread (route dialer, signal handling): run `fn`
  // on this shard's thread at its next turn. Takes a lock; never per message.
  void post(std::function<void(Shard&)> fn) { reactor_.post(std::move(fn)); }

  // --- the facade for cluster/, on this shard's thread only ---
  // Shard-to-shard control work that must stay ordered with data records.
  void push_fn(int dst, std::function<void(Shard&)> fn);
  void push(int dst, const Rec& r) { links_.push(dst, r); }
  // Queue `head` (+ payload bytes, referenced from `storage` when given) on
  // connection (slot, gen) of shard `dst`, through the batch to that shard.
  // `msg_size` >= 0: a message of that size (counted as sent to it).
  void send_to_conn(int dst, uint32_t slot, uint32_t gen, std::string_view head,
                    std::string_view payload, Block* storage, int64_t msg_size = -1) {
    fanout_.send_to_conn(dst, slot, gen, head, payload, storage, msg_size);
  }
  template <class F>
  void for_each_conn(F&& f) {
    conns_.for_each([&](Conn* c) {
      if (c->fd >= 0 && !c->closing()) f(c);
    });
  }
  void send_info_to(Conn* c) { session_.send_info(c); }
  void announce_account_entries() {
    subs_.announce_account_entries();
    subs_.announce_cluster_wide();
  }
  // A service import's response for request `seq` of this shard.
  void relay_response(uint64_t seq, uint32_t account, const proto::MsgArgs& m, std::string_view payload) {
    fanout_.relay_response(seq, account, m, payload);
  }
  Conn* new_conn(int fd, ConnType type) { return conns_.open(fd, type); }
  // Puts a TLS session on a connection just opened (conn_tls.cc): a route
  // (Role::Client dials, verifying the peer against `verify_host`) or a
  // client (INFO first in plain text).
  void start_tls(Conn* c, const tls::Context& ctx, const std::string& verify_host);
  void close_conn(Conn* c, proto::ErrCode why) { conns_.close(c, why); }
  void mark_dirty(Conn* c) { conns_.mark_dirty(c); }
  Conn* conn_at(uint32_t slot, uint32_t gen) { return conns_.at(slot, gen); }
  SubPartition& partition_mut(uint32_t acc) { return *partitions_[acc]; }
  // --- the facade for jetstream/, on this shard's thread only ---
  // A server-side client of `account` (see Conn::internal).
  Conn* open_internal(uint32_t account);
  // Subscribes `c`; JetStreamHooks::internal_subs_ready follows once every
  // shard has it, if a peer's partition was involved (c->pending_acks > 0).
  // False if the sid is taken. `cluster_wide`: announced to the routes, and
  // taking what they forward (a stream's interest in a JetStream cluster).
  bool subscribe_internal(Conn* c, std::string_view subject, std::string_view queue, std::string_view sid,
                          bool cluster_wide = false);
  void unsubscribe_internal(Conn* c, std::string_view sid);
  // Publishes as `c` (never from inside JetStreamHooks::internal_msg).
  // `payload` holds `hdr` header bytes (-1: none) and then the body.
  void publish_internal(Conn* c, std::string_view subject, std::string_view reply, int64_t hdr,
                        std::string_view payload);
  // Publishes as `c` to `subject` (matched there) with subscribers seeing
  // `shown` in their MSG line instead (JetStream deliveries).
  void publish_internal_as(Conn* c, std::string_view subject, std::string_view shown, std::string_view reply,
                           int64_t hdr, std::string_view payload);
  bool has_interest(uint32_t account, std::string_view subject) { return fanout_.has_interest(account, subject); }
  bool route_has_pattern(uint32_t account, std::string_view pattern) {
    return fanout_.route_has_pattern(account, pattern);
  }
  // A file write on this shard's ring; JetStreamHooks::write_done(tag, op)
  // follows (`op` < 2^24 tells the writes of one batch apart).
  void submit_write(int fd, const char* data, size_t len, uint64_t offset, uint32_t tag, uint32_t op);
  // Monitoring (this shard's thread, e.g. inside Server::gather).
  const ShardStats& stats() const { return stats_; }
  const ShardLinks& links() const { return links_; }
  const Reactor& reactor_view() const { return reactor_; }
  // A client subscription slot named in Conn::subs.
  const Sub& subscription(uint32_t slot) { return subs_[slot]; }
  // f(const Sub&) for every live client subscription on this shard.
  template <class F>
  void for_each_sub(F&& f) { subs_.for_each_live(f); }
  Server& server() { return srv_; }
  int64_t now_ns() const { return now_ns_; }
  // After a config reload, on this shard's thread: re-derive what depends on
  // the options, and close clients whose credentials no longer pass.
  void options_changed();
  // The auth workers' verdict on connection (slot, gen) (see
  // ClientSession::auth_checked); posted to this shard's thread.
  void auth_checked(uint32_t slot, uint32_t gen, bool ok, const std::string& user, const std::string& hash,
                    bool has_account, bool recheck);

  // Parser callbacks (client and route), through ConnHandler in shard.cc.
  proto::Flow on_op(Conn* c, proto::Op op, std::string_view args);
  proto::Flow on_msg_args(Conn* c, const proto::MsgArgs& m);
  char* payload_storage(Conn* c, const proto::MsgArgs& m);
  proto::Flow on_msg(Conn* c, const proto::MsgArgs& m, std::string_view payload, bool stored);

 private:
  // Longest a fast producer is held for a slow subscriber (nats: 1 s).
  static constexpr int64_t kMaxStallNs = 1'000'000'000;
  // A stall lasts this long unless the publisher reaches a subscriber past
  // half again, and a shard with throttled publishers looks again at least
  // this often.
  static constexpr int64_t kStallNs = 20'000'000;
  static constexpr int64_t kStallPollNs = 5'000'000;
  // Longest a stopping shard waits for its connections' last output.
  static constexpr int64_t kStopDrainNs = 2'000'000'000;

  // ConnEvents
  void conn_opened(Conn* c) override;
  void conn_closing(Conn* c, proto::ErrCode why) override;

  void run();
  void begin_stop();
  bool may_sleep();
  void handle_cqe(io_uring_cqe* cqe);
  // Handle every record peers have published (before the first receive of
  // each completion batch, and once after the completions).
  void drain_peers();
  void on_accept(int res, bool more);
  void on_recv(Conn* c, int res, uint32_t flags);
  size_t feed(Conn* c, const char* data, size_t len);
  void feed_buffer(Conn* c, uint16_t bid, uint32_t off, uint32_t len);
  void feed_copy(Conn* c);
  // Reading again after a receive was parsed: at the end of the turn, after
  // the connections that found no receive buffer (arm_receives).
  void rearm_recv(Conn* c);
  void arm_receives();
  void handle_rec(Rec& r, int src);
  void end_turn();
  void run_timers();
  // Publishers whose reading is paused: links backed up, or a stall.
  void throttle(Conn* c);
  // `peer`: the subscriber is on another shard (a StallConn record).
  void stall(Conn* c, bool peer);
  // End the stalls that waited for local (or peers') subscribers: they
  // caught up, so the publishers may go on before kStallNs is over.
  void end_stalls(uint8_t why);
  void resume(Conn* c);
  void resume_parked(Conn* c);
  // TLS (conn_tls.cc)
  void tls_recv(Conn* c, uint16_t bid, uint32_t len);
  void tls_recv_end(Conn* c, int res);
  void tls_pump(Conn* c);
  void tls_established(Conn* c);
  void tls_fail(Conn* c, const std::string& why);
  bool tls_timer(Conn* c);  // true while in the handshake (its deadline checked)
  void plain_after_all(Conn* c);

  Server& srv_;
  int id_;
  int nshards_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  uint64_t next_rr_ = 0;
  int64_t now_ns_ = 0;  // the turn's clock; the parts read it by reference
  int64_t next_timer_ns_ = 0;

  Reactor reactor_;
  ShardLinks links_;
  RetireList retire_;
  std::vector<std::unique_ptr<SubPartition>> partitions_;  // by account id
  ConnTable conns_;
  SubTable subs_;
  ClientSession session_;
  Fanout fanout_;

  // Receives stopped for lack of buffers, and connections queued behind
  // them, in arrival order, by (slot, gen): they may wait across turns, and
  // a slot may be reused meanwhile.
  std::vector<std::pair<uint32_t, uint32_t>> waiting_bufs_;
  std::vector<std::pair<uint32_t, uint32_t>> rearm_;  // this turn's re-arms
  std::vector<Conn*> throttled_;  // publishers whose reading is paused
  bool local_stalls_ = false;      // a publisher waits for a subscriber of this shard
  bool peers_drained_ = false;     // this completion batch's receives come after a drain
  ShardStats stats_;
  std::string internal_digits_[2];  // publish_internal's header and size digits
};

}  // namespace ringnats
