// A shard: one thread pinned to one core, owning an io_uring ring, its
// connections, its subscription slots and one partition of the index.
// Shards talk only through SPSC rings (see rec.h) and eventfd wake-ups.
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
#include <deque>
#include <functional>
#include <mutex>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/conn.h"
#include "core/links.h"
#include "core/qsbr.h"
#include "core/reactor.h"
#include "core/rec.h"
#include "core/spsc.h"
#include "core/sublist.h"

namespace ringnats {

class Server;
class RouteManager;

// CPUs this process may run on, in order (sched_getaffinity).
std::vector<int> allowed_cpus();

// What a delivery to a queue member carries besides the message.
struct QueueTag {
  std::string_view group;  // empty: not a queue delivery
  uint64_t pub_cid = 0;
  uint8_t hops = 0;
};
// The (slot, gen) of a publishing client, as carried in Rec::ctl.
inline void* pub_tag(uint32_t slot, uint32_t gen) {
  return reinterpret_cast<void*>((uint64_t(slot) << 32) | gen);
}

class Shard {
 public:
  Shard(Server& srv, int id);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  bool start(std::string& err);  // spawns the thread; it sets up ring and buffers
  void join();
  void request_stop();          // any thread

  int id() const { return id_; }
  const SubPartition& partition() const { return partition_; }
  Reactor& reactor() { return reactor_; }
  void wake() { reactor_.wake(); }  // any thread: wake if sleeping
  // Control path from any thread (route dialer, signal handling): run `fn`
  // on this shard's thread at its next turn. Takes a lock; never per message.
  void post(std::function<void(Shard&)> fn) { reactor_.post(std::move(fn)); }
  // Shard-to-shard control work that must stay ordered with data records.
  void push_fn(int dst, std::function<void(Shard&)> fn);
  // Queue `head` (+ payload bytes, referenced from `storage` when given) on
  // connection (slot, gen) of shard `dst`, through the batch to that shard.
  void send_to_conn(int dst, uint32_t slot, uint32_t gen, std::string_view head,
                    std::string_view payload, Block* storage);
  template <class F>
  void for_each_conn(F&& f) {
    for (auto& c : conns_)
      if (c && c->fd >= 0 && !c->closing()) f(c.get());
  }
  void send_info_to(Conn* c) { send_info(c); }

  // --- used by the cluster layer, on this shard's thread only ---
  Conn* new_conn(int fd, ConnType type);
  void close_conn(Conn* c, proto::ErrCode why);  // the one close path (conn_lifetime.cc)
  void mark_dirty(Conn* c);
  Conn* conn_at(uint32_t slot, uint32_t gen);
  void push(int dst, const Rec& r);
  SubPartition& partition_mut() { return partition_; }
  Qsbr& qsbr();
  RetireList& retire_list() { return retire_; }
  Server& server() { return srv_; }
  int64_t now_ns() const { return now_ns_; }

  // Publish a message from `src` (client or route). `storage` is the block a
  // split payload was assembled in (payload points into it), else null.
  void publish(Conn* src, const proto::MsgArgs& m, std::string_view payload, Block* storage,
               std::string_view queues_from_route = {});

  // Parser callbacks (client and route), called through ConnHandler.
  proto::Flow on_op(Conn* c, proto::Op op, std::string_view args);
  proto::Flow on_msg_args(Conn* c, const proto::MsgArgs& m);
  char* payload_storage(Conn* c, const proto::MsgArgs& m);
  proto::Flow on_msg(Conn* c, const proto::MsgArgs& m, std::string_view payload, bool stored);

 private:
  friend class RouteManager;
  // Longest a fast producer is held for a slow subscriber (nats: 1 s).
  static constexpr int64_t kMaxStallNs = 1'000'000'000;
  // A stall lasts this long unless the publisher reaches a subscriber past
  // half again, and a shard with throttled publishers looks again at least
  // this often.
  static constexpr int64_t kStallNs = 20'000'000;
  static constexpr int64_t kStallPollNs = 5'000'000;
  // Producers stall when a subscriber has this much queued: nats-server's
  // max_pending/2, capped so the queued blocks stay in our warm pools
  // (bench-compare: 256 KiB beat 1 MiB, which beat 4 MiB, in every cell).
  static constexpr size_t kStallSoftCap = 256u << 10;
  // A subscriber holding less than this references shared blocks (no copy);
  // past it, small deliveries are copied so it pins no one else's bytes.
  static constexpr size_t kRefBudget = 1u << 20;
  void run();
  void handle_cqe(io_uring_cqe* cqe);
  void on_accept(int res, bool more);
  void on_recv(Conn* c, int res, uint32_t flags);
  void on_send(Conn* c, int res);
  size_t feed(Conn* c, const char* data, size_t len);
  void feed_buffer(Conn* c, uint16_t bid, uint32_t off, uint32_t len);
  void feed_copy(Conn* c);
  bool may_sleep();
  void arm_recv(Conn* c);
  void handle_rec(Rec& r, int src);
  void ask_stall(int src, void* tag);
  void note_pending(Conn* c);
  void end_turn();
  void flush(Conn* c);
  void run_timers();
  void finish_draining(Conn* c);
  void release(Conn* c);  // the one free path (conn_lifetime.cc)
  void throttle(Conn* c);
  void stall(Conn* c);
  void resume(Conn* c);
  void resume_parked(Conn* c);

  // Client protocol.
  proto::Flow client_connect(Conn* c, std::string_view args);
  proto::Flow client_sub(Conn* c, std::string_view args);
  proto::Flow client_unsub(Conn* c, std::string_view args);
  void send_err(Conn* c, proto::ErrCode e);
  void send_info(Conn* c);
  void remove_sub(Conn* c, uint32_t sub_slot);

  // Delivery.
  void match_subject(std::string_view subject);
  void redirect_queue(const Rec& r);
  void deliver_local(uint32_t sub_slot, const SubRef& ref, const proto::MsgArgs& m,
                     std::string_view payload, Block* storage);
  void deliver_remote(const SubRef& ref, const proto::MsgArgs& m, std::string_view payload,
                      Block* storage, const QueueTag& q = {});
  bool sub_accepts(Sub& s);
  bool local_member_can_take(const SubRef& r) const;
  void send_no_responders(Conn* c, std::string_view reply);
  uint32_t alloc_sub();

  Server& srv_;
  int id_;
  int nshards_;
  Reactor reactor_;
  ShardLinks links_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  uint64_t next_rr_ = 0;
  int64_t now_ns_ = 0;
  int64_t next_timer_ns_ = 0;

  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<uint32_t> free_conns_;
  std::vector<uint32_t> released_conns_;
  std::vector<Conn*> dirty_;
  // Receives stopped for lack of buffers, by (slot, gen): they may wait
  // across turns, and a slot may be reused meanwhile.
  std::vector<std::pair<uint32_t, uint32_t>> waiting_bufs_;

  std::vector<Sub> subs_;
  std::vector<uint32_t> free_subs_;

  RetireList retire_;
  SubPartition partition_;

  std::vector<Conn*> throttled_;      // publishers whose reading is paused
  // Fast-producer stalls, as nats-server: subscribers here past half their
  // max_pending stall the publishers that reach them (here directly, on a
  // peer through its ring's stall request).
  int over_half_ = 0;
  size_t stall_at_ = 0;
  bool stall_src_ = false;   // this publish reached a subscriber past half
  Conn* cur_src_ = nullptr;
  void* cur_pub_tag_ = nullptr;       // cur_src_ as Rec::ctl (clients only)
  // Per source shard: the last publisher we asked it to stall, and when.
  std::vector<void*> stall_sent_tag_;
  std::vector<int64_t> stall_sent_ns_;

  // Scratch reused per message (no allocation on the hot path).
  std::vector<const SubSet*> match_;
  std::vector<std::string_view> tokens_;
  struct GroupPick { std::string_view name; std::vector<const SubRef*> members; uint64_t total; };
  std::vector<GroupPick> groups_;
  size_t ngroups_ = 0;
  struct RouteTarget { const SubRef* ref; bool plain; std::vector<std::string_view> queues; };
  std::vector<RouteTarget> route_targets_;
  std::vector<const SubRef*> redirect_members_, redirect_remote_;
  std::vector<std::string_view> route_queue_names_;  // of the routed message being published
  std::minstd_rand rng_;
};

}  // namespace ringnats
