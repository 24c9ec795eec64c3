// The shard loop: one turn reaps completions (accept hand-off, receive and
// parse, send done), drains the records peers sent, runs timers, then ends
// the turn (resume publishers, publish to peers, flush connections). What
// the parser finds is dispatched here to the client session, the cluster
// layer or the fan-out; see shard.h for the parts.
#include "core/shard.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cstring>
#include <future>

#include "core/clock.h"
#include "core/cluster_hooks.h"
#include "core/jetstream_hooks.h"
#include "core/log.h"
#include "core/server.h"

namespace ringnats {

std::vector<int> allowed_cpus() {
  std::vector<int> out;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &set)) out.push_back(i);
  return out;
}

namespace {
// One partition per hosted account: each account its own subject space.
std::vector<std::unique_ptr<SubPartition>> make_partitions(Server& srv, RetireList& rl) {
  std::vector<std::unique_ptr<SubPartition>> v;
  for (size_t i = 0; i < srv.accounts().size(); ++i) v.push_back(std::make_unique<SubPartition>(srv.qsbr(), rl));
  return v;
}
}  // namespace

Shard::Shard(Server& srv, int id)
    : srv_(srv), id_(id), nshards_(srv.nshards()), links_(srv, id), partitions_(make_partitions(srv, retire_)),
      conns_(srv, reactor_, *this, now_ns_), subs_(srv, id, partitions_, links_),
      session_(srv, id, conns_, subs_, now_ns_), fanout_(srv, *this, id, conns_, subs_, links_, now_ns_) {
  links_.set_caps(static_cast<size_t>(srv.opts().max_pending));
}

Shard::~Shard() = default;

bool Shard::start(std::string& err) {
  // The ring is created on the shard's own thread: with SINGLE_ISSUER only
  // the creating thread may submit.
  std::promise<std::string> ready;
  auto fut = ready.get_future();
  thread_ = std::thread([this, &ready] {
    std::string e;
    bool ok = reactor_.init(e);
    ready.set_value(ok ? std::string() : e);
    if (ok) run();
  });
  err = fut.get();
  if (!err.empty()) {
    thread_.join();
    return false;
  }
  return true;
}

void Shard::join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::request_stop() {
  stop_.store(true, std::memory_order_seq_cst);
  reactor_.wake_always();
}

void Shard::push_fn(int dst, std::function<void(Shard&)> fn) {
  if (dst == id_) {
    fn(*this);
    return;
  }
  Rec r{RecKind::Control};
  r.ctl = new std::function<void(Shard&)>(std::move(fn));
  push(dst, r);
}

// --------------------------------------------------------------------------
// Loop

void Shard::run() {
  // Pin to the id-th CPU the process may run on (taskset and cgroups apply).
  std::vector<int> cpus = allowed_cpus();
  if (!cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpus[static_cast<size_t>(id_) % cpus.size()], &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  char name[16];
  snprintf(name, sizeof(name), "shard-%d", id_);
  pthread_setname_np(pthread_self(), name);

  Qsbr& q = srv_.qsbr();
  now_ns_ = mono_ns();
  next_timer_ns_ = now_ns_ + 100'000'000;
  reactor_.arm_event();
  // Clients are accepted once the server is ready for them (JetStream's
  // subscriptions in place): Server::begin_accepting posts that.
  if (auto* cl = srv_.cluster()) cl->shard_started(*this);
  subs_.install_account_entries();

  // A stop drains: clients are closed with their queued output still going
  // out and routes get a FIN; the loop ends when every connection is freed,
  // or after kStopDrainNs.
  bool stopping = false;
  int64_t stop_deadline = 0;
  for (;;) {
    q.online(id_);
    now_ns_ = mono_ns();
    ++stats_.turns;
    if (stop_.load(std::memory_order_relaxed)) {
      if (!stopping) {
        stopping = true;
        stop_deadline = now_ns_ + kStopDrainNs;
        begin_stop();
      } else if (conns_.live() == 0 || now_ns_ >= stop_deadline) {
        break;
      }
    }

    // Each batch of completions is read after the records published before
    // it: the first receive of a batch drains the peers first.
    reactor_.reap([this](io_uring_cqe* cqe) { handle_cqe(cqe); }, [this] { peers_drained_ = false; });
    if (reactor_.take_msg_ring_failure())
      for (int p = 0; p < nshards_; ++p)
        if (p != id_) srv_.shard(p).reactor().wake();
    drain_peers();
    for (auto& fn : reactor_.take_posted()) fn(*this);
    if (now_ns_ >= next_timer_ns_) run_timers();
    end_turn();
    stats_.observe_turn(mono_ns() - now_ns_);

    if (!may_sleep()) {
      reactor_.submit();
      continue;
    }
    // Sleep/wake handshake with producers (see end_turn): announce, full
    // fence, then look at every inbound ring once more. A producer that
    // published after our look sees the flag and wakes us.
    reactor_.announce_sleep();
    // Spill waiting for room, or publishers throttled until peers release
    // what is in flight: the consumer wakes us when it frees either.
    links_.announce_waiting(!throttled_.empty());
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!may_sleep() || (stop_.load(std::memory_order_relaxed) && !stopping)) {
      reactor_.awake();
      reactor_.submit();
      continue;
    }
    q.offline(id_);
    retire_.reclaim(q);
    int64_t wait_ns = next_timer_ns_ - mono_ns();
    // Throttled publishers resume when a stall expires: look again soon.
    if ((stopping || !throttled_.empty()) && wait_ns > kStallPollNs) wait_ns = kStallPollNs;
    if (wait_ns < 1'000'000) wait_ns = 1'000'000;
    ++stats_.sleeps;
    reactor_.wait(wait_ns);
    reactor_.awake();
  }
  // What outlived the drain (a route whose FIN is not back yet) is closed
  // now, so the cluster layer frees its state.
  conns_.for_each([&](Conn* c) { conns_.close(c, proto::ErrCode::ServerShutdown); });
  q.offline(id_);
}

void Shard::begin_accepting() {
  if (id_ == 0 && srv_.listen_fd() >= 0 && !stop_.load()) reactor_.arm_accept(srv_.listen_fd());
}

void Shard::begin_stop() {
  if (auto* cl = srv_.cluster()) cl->shard_stopping(*this);
  if (auto* js = srv_.jetstream()) js->shard_stopping(*this);
  conns_.for_each([&](Conn* c) {
    if (c->type == ConnType::Client) conns_.close(c, proto::ErrCode::ServerShutdown);
  });
  end_turn();
}

// Nothing is left for this turn: no completions, no posted work, no inbound
// record we may take now, nothing staged for a peer, and no spill that the
// ring in front of it has room for (a full ring wakes us when it drains).
bool Shard::may_sleep() {
  // Receives still queued for a buffer the kernel has: the ones armed ahead
  // of them may have nothing more to read, so nothing would wake us to arm
  // the rest; the next turn does.
  bool arms_waiting = !waiting_bufs_.empty() && reactor_.buffers_free();
  return !reactor_.has_completions() && !reactor_.has_posted() && links_.idle() && !arms_waiting;
}

void Shard::drain_peers() {
  peers_drained_ = true;
  links_.drain(reactor_, [this](Rec& r, int src) { handle_rec(r, src); });
}

void Shard::handle_cqe(io_uring_cqe* cqe) {
  uint64_t d = io_uring_cqe_get_data64(cqe);
  uint32_t slot = ud_slot(d), gen = ud_gen(d);
  switch (ud_kind(d)) {
    case Ud::Accept:
      on_accept(cqe->res, cqe->flags & IORING_CQE_F_MORE);
      return;
    case Ud::Recv: {
      // What peers published before these bytes arrived goes first: a
      // client's PING must be answered after the messages published to it
      // before it was sent (a publisher's PONG, then this PING).
      if (!peers_drained_) drain_peers();
      Conn* c = conns_.at(slot, gen);
      if (!c) {
        if ((cqe->flags & IORING_CQE_F_BUFFER)) {
          reactor_.took_buffer();
          reactor_.give_back(static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
        }
        return;
      }
      on_recv(c, cqe->res, cqe->flags);
      return;
    }
    case Ud::Send: {
      Conn* c = conns_.at(slot, gen);
      if (c) conns_.on_send(c, cqe->res);
      return;
    }
    case Ud::Write:
      if (auto* js = srv_.jetstream()) js->write_done(*this, gen, slot, cqe->res);
      return;
    default:
      return;
  }
}

void Shard::on_accept(int res, bool more) {
  if (res < 0) {
    // EINVAL: the listener was shut down (we are stopping): stop accepting.
    if (res == -EINVAL || stop_.load()) return;
    if (res != -EAGAIN && res != -EINTR && res != -ECANCELED)
      log::error("Error accepting client connection: %s", strerror(-res));
    if (!more) reactor_.arm_accept(srv_.listen_fd());
    return;
  }
  if (stop_.load()) {
    ::close(res);
    return;
  }
  int target = static_cast<int>(next_rr_++ % static_cast<uint64_t>(nshards_));
  if (target == id_) {
    conns_.open(res, ConnType::Client);
  } else {
    Rec r{RecKind::NewConn};
    r.slot = static_cast<uint32_t>(res);
    push(target, r);
  }
  if (!more && !stop_.load()) reactor_.arm_accept(srv_.listen_fd());
}

// --------------------------------------------------------------------------
// Receive and parse

void Shard::on_recv(Conn* c, int res, uint32_t flags) {
  c->recv_armed = false;
  bool has_buf = flags & IORING_CQE_F_BUFFER;
  if (has_buf) reactor_.took_buffer();
  uint16_t bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
  if (res <= 0 || c->closing()) {
    if (has_buf) reactor_.give_back(bid);
    if (c->tls && !c->tls->established() && !c->closing() && res != -ENOBUFS) {
      tls_recv_end(c, res);
      return;
    }
    if (res == -ENOBUFS && !c->closing()) {
      ++stats_.recv_no_buffer;
      reactor_.out_of_buffers();
      waiting_bufs_.push_back({c->slot, c->gen});  // re-armed once a buffer comes back
      return;
    }
    // The kernel's TLS refuses a record it cannot hand over as data: an
    // alert, or a KeyUpdate (Java clients rekey after 2^37 bytes).
    if (res < 0 && c->tls && c->tls->kernel_rx() && !c->closing())
      log::debug("%s:%d - kernel TLS receive ended the connection: %s", c->remote_ip.c_str(), c->remote_port,
                 std::strerror(-res));
    conns_.close(c, proto::ErrCode::None);
    conns_.release(c);
    return;
  }
  c->last_in_ns = now_ns_;
  if (c->tls && !c->tls->kernel_rx()) {
    tls_recv(c, bid, static_cast<uint32_t>(res));
    return;
  }
  feed_buffer(c, bid, 0, static_cast<uint32_t>(res));
}

// Parse buffer `bid` from `off`. If the connection pauses, the rest is kept
// by reference (no copy) and the receive is not re-armed until it resumes;
// when receive buffers run short, the rest is copied out instead so paused
// connections cannot starve everyone else of buffers.
void Shard::feed_buffer(Conn* c, uint16_t bid, uint32_t off, uint32_t len) {
  const char* data = reactor_.buffer(bid);
  size_t used = feed(c, data + off, len - off);
  if (used < len - off && !c->closing()) {
    if (reactor_.buffers_short()) {
      c->recv_capped = true;
      ++stats_.held_copies;
      c->held_copy.assign(data + off + used, len - off - used);
      c->held_copy_off = 0;
      reactor_.give_back(bid);
      return;
    }
    c->held_bid = bid;
    c->held_off = off + static_cast<uint32_t>(used);
    c->held_len = len;
    return;
  }
  reactor_.give_back(bid);
  // A buffer read to its end without a pause: whole receives again, unless
  // this one was the rest of a paused receive.
  if (off == 0) c->recv_capped = false;
  if (c->closing()) conns_.release(c);
  else if (!c->parked && !c->throttled) rearm_recv(c);
}

// Same for a remainder that was copied out of its receive buffer.
void Shard::feed_copy(Conn* c) {
  std::string& h = c->held_copy;
  size_t used = feed(c, h.data() + c->held_copy_off, h.size() - c->held_copy_off);
  c->held_copy_off += used;
  if (c->held_copy_off < h.size() && !c->closing()) return;
  h.clear();
  h.shrink_to_fit();
  c->held_copy_off = 0;
  if (c->closing()) conns_.release(c);
  else if (!c->parked && !c->throttled) rearm_recv(c);
}

// The receive buffers are the shard's, not a connection's. Re-armed at once,
// busy connections would take every buffer again in each submit, ahead of a
// receive that found none: 64 to 300 flooders kept a light client from
// reading for seconds. So re-arms wait for the end of the turn; then those
// that found no buffer (in any order within the turn) go first, in arrival
// order and as many as the kernel has buffers for, and the rest queue
// behind them. With nobody waiting, every re-arm goes out at once.
void Shard::rearm_recv(Conn* c) { rearm_.push_back({c->slot, c->gen}); }

void Shard::arm_receives() {
  auto ready = [this](uint32_t slot, uint32_t gen) -> Conn* {
    // Stale entries (closed, paused again, already armed) are skipped.
    Conn* c = conns_.at(slot, gen);
    return c && c->state == ConnState::Open && !c->recv_armed && c->held_bid < 0 && c->held_copy.empty() &&
                   !c->parked && !c->throttled
               ? c
               : nullptr;
  };
  if (waiting_bufs_.empty()) {
    for (auto [slot, gen] : rearm_)
      if (Conn* c = ready(slot, gen)) conns_.arm_recv(c);
    rearm_.clear();
    return;
  }
  waiting_bufs_.insert(waiting_bufs_.end(), rearm_.begin(), rearm_.end());
  rearm_.clear();
  // Re-arming into an empty ring would spin on ENOBUFS.
  if (!reactor_.buffers_free()) return;
  size_t room = reactor_.buffers_with_kernel(), taken = 0;
  for (; taken < waiting_bufs_.size() && room > 0; ++taken) {
    auto [slot, gen] = waiting_bufs_[taken];
    if (Conn* c = ready(slot, gen)) {
      conns_.arm_recv(c);
      --room;
    }
  }
  waiting_bufs_.erase(waiting_bufs_.begin(), waiting_bufs_.begin() + static_cast<ptrdiff_t>(taken));
}

// --------------------------------------------------------------------------
// Throttled publishers

void Shard::throttle(Conn* c) {
  // A closing connection must not enter throttled_: its slot may be reused.
  // An internal one reads no socket: there is nothing to pause (its
  // answers are bounded by the requests that caused them).
  if (c->throttled || c->closing() || c->internal) return;
  c->throttled = true;
  c->stall_deadline_ns = now_ns_ + kMaxStallNs;
  throttled_.push_back(c);
}

// Fast-producer stall, as nats-server: `c` reached a subscriber past half its
// max_pending; it is not read for kStallNs (renewed while it keeps reaching
// one), at most kMaxStallNs in a row.
void Shard::stall(Conn* c, bool peer) {
  if (c->closing() || c->internal) return;
  if (!c->throttled) ++stats_.stalls;
  c->stall_until_ns = now_ns_ + kStallNs;
  c->stalled_for |= peer ? kStallPeer : kStallLocal;
  if (!peer) local_stalls_ = true;
  throttle(c);
}

void Shard::end_stalls(uint8_t why) {
  for (Conn* c : throttled_) {
    if (!(c->stalled_for & why)) continue;
    c->stalled_for &= static_cast<uint8_t>(~why);
    if (why & kStallPeer) c->stalled_on = nullptr;
    if (!c->stalled_for) c->stall_until_ns = 0;
  }
}

void Shard::resume(Conn* c) {
  c->throttled = false;
  c->stalled_for = 0;
  c->stalled_on = nullptr;
  if (c->closing()) return;
  if (c->pending_acks == 0) resume_parked(c);
}

// Continue a paused connection: the rest of its held buffer, then reading.
void Shard::resume_parked(Conn* c) {
  // Its CONNECT is still being checked: only Shard::auth_checked resumes it.
  // An internal connection has no socket to read.
  if (c->auth_in_flight || c->internal) return;
  c->parked = false;
  if (c->tls && !c->tls->kernel_rx()) {
    if (!c->closing() && c->tls->established()) tls_pump(c);
    return;
  }
  if (c->held_bid >= 0) {
    uint16_t bid = static_cast<uint16_t>(c->held_bid);
    c->held_bid = -1;
    feed_buffer(c, bid, c->held_off, c->held_len);
  } else if (!c->held_copy.empty()) {
    feed_copy(c);
  } else if (!c->recv_armed && !c->closing() && !c->throttled) {
    rearm_recv(c);
  }
}

// End of turn, in this order: resume throttled publishers (they may stage
// more records), close batches and publish every ring (so nothing staged
// waits for a later turn), flush dirty connections, return buffers. The
// loop then submits: with the next turn's look if there is more to do, else
// in the same system call that sleeps (one io_uring_enter per turn of a
// request/reply, not two).
void Shard::end_turn() {
  links_.refresh_inflight();
  // Every subscriber here is below half its max_pending again: the stalls
  // that waited for them end now (nats-server ends a stall when the slow
  // client flushes, not after a fixed time).
  if (conns_.over_half() == 0) {
    if (local_stalls_) {
      local_stalls_ = false;
      end_stalls(kStallLocal);
    }
    fanout_.release_stalls();
  }
  // A publisher stalled for a subscriber on another shard goes on once that
  // subscriber's cell clears: its shard's release may come later, or never
  // when the subscriber caught up before our delivery reached it.
  for (Conn* c : throttled_)
    if (c->stalled_on && !c->stalled_on->load(std::memory_order_relaxed)) {
      c->stalled_on = nullptr;
      c->stalled_for &= static_cast<uint8_t>(~kStallPeer);
      if (!c->stalled_for) c->stall_until_ns = 0;
    }
  if (!throttled_.empty() && links_.below_half_caps()) {
    std::vector<Conn*> again;
    again.swap(throttled_);
    for (Conn* c : again) {
      if (now_ns_ < c->stall_until_ns && now_ns_ < c->stall_deadline_ns)
        throttled_.push_back(c);
      else resume(c);
    }
  }
  // JetStream answers and writes what this turn stored, before the rings
  // and connections go out.
  if (auto* js = srv_.jetstream()) js->end_turn(*this);
  links_.publish(reactor_);
  conns_.flush_dirty();
  reactor_.commit_buffers();
  arm_receives();
  conns_.recycle();
  retire_.reclaim(srv_.qsbr());
}

void Shard::auth_checked(uint32_t slot, uint32_t gen, bool ok, const std::string& user, const std::string& hash,
                         bool has_account, bool recheck) {
  Conn* c = conns_.at(slot, gen);
  if (!c || c->closing()) return;  // closed (or its slot reused) meanwhile
  if (!recheck) c->auth_in_flight = false;
  if (!session_.auth_checked(c, ok, user, hash, has_account, recheck) || recheck) return;
  if (c->parked && c->pending_acks == 0 && !c->throttled) resume_parked(c);
}

void Shard::options_changed() {
  conns_.options_changed();
  links_.set_caps(static_cast<size_t>(srv_.opts().max_pending));
  conns_.for_each([&](Conn* c) {
    if (c->type == ConnType::Client && !c->internal) session_.recheck_auth(c);
  });
}

void Shard::run_timers() {
  next_timer_ns_ = now_ns_ + 100'000'000;
  ClusterHooks* cl = srv_.cluster();
  conns_.for_each([&](Conn* c) {
    if (c->closing()) conns_.expire_closing(c);
    else if (c->tls && tls_timer(c)) return;
    else if (c->type == ConnType::Route) { if (cl) cl->route_timer(*this, c); }
    else if (!c->internal) session_.tick(c, now_ns_);
  });
  if (cl) cl->shard_timer(*this);
  if (auto* js = srv_.jetstream()) js->shard_timer(*this);
  fanout_.expire_responses();
}

// --------------------------------------------------------------------------
// Internal clients (JetStream)

Conn* Shard::open_internal(uint32_t account) { return conns_.open_internal(account); }

bool Shard::subscribe_internal(Conn* c, std::string_view subject, std::string_view queue, std::string_view sid,
                               bool cluster_wide) {
  if (c->subs.contains(absl::string_view(sid.data(), sid.size()))) return false;
  c->pending_acks += subs_.subscribe(c, subject, queue, sid, cluster_wide ? kSubClusterWide : 0);
  return true;
}

void Shard::unsubscribe_internal(Conn* c, std::string_view sid) {
  auto it = c->subs.find(absl::string_view(sid.data(), sid.size()));
  if (it != c->subs.end()) subs_.unsubscribe(c, it->second);
}

void Shard::publish_internal(Conn* c, std::string_view subject, std::string_view reply, int64_t hdr,
                             std::string_view payload) {
  publish_internal_as(c, subject, {}, reply, hdr, payload);
}

void Shard::publish_internal_as(Conn* c, std::string_view subject, std::string_view shown, std::string_view reply,
                                int64_t hdr, std::string_view payload) {
  if (!c || c->closing()) return;  // the shard is stopping
  proto::MsgArgs m;
  m.shown_subject = shown;
  m.bare_payload = true;
  m.op = hdr >= 0 ? proto::Op::Hpub : proto::Op::Pub;
  m.subject = subject;
  m.reply = reply;
  m.hdr = hdr;
  m.size = static_cast<int64_t>(payload.size());
  internal_digits_[0] = hdr >= 0 ? std::to_string(hdr) : std::string();
  internal_digits_[1] = std::to_string(payload.size());
  m.hdr_text = internal_digits_[0];
  m.size_text = internal_digits_[1];
  ++c->in_msgs;
  c->in_bytes += payload.size();
  fanout_.publish(c, c->account, m, payload, nullptr);
}

void Shard::submit_write(int fd, const char* data, size_t len, uint64_t offset, uint32_t tag, uint32_t op) {
  reactor_.write(fd, data, len, offset, ud(Ud::Write, op, tag));
}

}  // namespace ringnats
