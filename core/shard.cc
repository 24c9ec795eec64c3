// The shard loop and its io_uring plumbing: accept hand-off, multishot
// receive into a provided-buffer ring, one gathered send in flight per
// connection, inbound ring draining, and the end-of-turn batch flush.
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
#include "core/log.h"
#include "core/server.h"

namespace ringnats {

namespace {
constexpr unsigned kRingEntries = 4096;
constexpr unsigned kBufCount = 256;       // provided receive buffers per shard
constexpr unsigned kBufSize = 64 * 1024;
constexpr int kBufGroup = 0;
constexpr size_t kBatchSize = 64 * 1024;
// Records in flight from one shard, over all its peers: each pair's ring
// gets an equal share (16384 at two shards, 1024 from 64 on), so ring memory
// per shard stays about 3.5 MiB at any shard count instead of growing with
// it. What does not fit spills in order on the producer.
constexpr size_t kRingRecordsPerShard = 65536;
constexpr size_t kRingMin = 1024, kRingMax = 16384;

}  // namespace

size_t shard_ring_capacity(int nshards) {
  size_t share = kRingRecordsPerShard / static_cast<size_t>(nshards > 0 ? nshards : 1);
  size_t cap = kRingMin;
  while (cap * 2 <= share && cap < kRingMax) cap *= 2;
  return cap;
}

std::vector<int> allowed_cpus() {
  std::vector<int> out;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &set)) out.push_back(i);
  return out;
}

Shard::Shard(Server& srv, int id)
    : srv_(srv), id_(id), nshards_(srv.nshards()), partition_(srv.qsbr(), retire_),
      rng_(static_cast<unsigned>(mono_ns() ^ (id * 7919))) {
  spill_.resize(nshards_);
  stall_at_ = std::min<size_t>(static_cast<size_t>(srv.opts().max_pending / 2), kStallSoftCap);
  batch_.assign(nshards_, nullptr);
  touched_.assign(nshards_, false);
  conns_.reserve(1024);
  // Created here, not on the shard thread: peers may wake us before we run.
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Shard::~Shard() {
  for (Block* b : batch_)
    if (b) b->unref();
  for (auto& c : conns_) {
    if (c && c->fd >= 0) ::close(c->fd);
    if (c && c->storage) c->storage->unref();
  }
  if (ring_ok_) io_uring_queue_exit(&ring_);
  if (buf_base_) munmap(buf_base_, br_mem_size_);
  if (event_fd_ >= 0) ::close(event_fd_);
}

Qsbr& Shard::qsbr() { return srv_.qsbr(); }

bool Shard::init(std::string& err) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
  int rc = io_uring_queue_init_params(kRingEntries, &ring_, &p);
  if (rc < 0) {
    log::debug("io_uring: SINGLE_ISSUER|COOP_TASKRUN unavailable (%s), using defaults", strerror(-rc));
    p = io_uring_params{};
    rc = io_uring_queue_init_params(kRingEntries, &ring_, &p);
  }
  if (rc < 0) {
    err = std::string("io_uring_queue_init: ") + strerror(-rc);
    return false;
  }
  ring_ok_ = true;
  if (!(p.features & IORING_FEAT_SUBMIT_STABLE)) {
    err = "io_uring without IORING_FEAT_SUBMIT_STABLE (kernel 5.5 or newer is needed)";
    return false;
  }

  // Provided buffer ring: ring entries followed by the buffers themselves.
  size_t ring_bytes = kBufCount * sizeof(io_uring_buf);
  br_mem_size_ = ring_bytes + size_t(kBufCount) * kBufSize;
  void* mem = mmap(nullptr, br_mem_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    err = "mmap for receive buffers failed";
    return false;
  }
  br_ = static_cast<io_uring_buf_ring*>(mem);
  buf_base_ = static_cast<char*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br_);
  reg.ring_entries = kBufCount;
  reg.bgid = kBufGroup;
  rc = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (rc < 0) {
    err = std::string("io_uring provided buffer rings unsupported: ") + strerror(-rc);
    return false;
  }
  io_uring_buf_ring_init(br_);
  char* bufs = buf_base_ + ring_bytes;
  for (unsigned i = 0; i < kBufCount; ++i)
    io_uring_buf_ring_add(br_, bufs + size_t(i) * kBufSize, kBufSize, i, io_uring_buf_ring_mask(kBufCount), i);
  io_uring_buf_ring_advance(br_, kBufCount);
  ring_fd_.store(ring_.ring_fd, std::memory_order_release);

  if (event_fd_ < 0) {
    err = "eventfd failed";
    return false;
  }
  return true;
}

bool Shard::start(std::string& err) {
  // The ring is created on the shard's own thread: with SINGLE_ISSUER only
  // the creating thread may submit.
  std::promise<std::string> ready;
  auto fut = ready.get_future();
  thread_ = std::thread([this, &ready] {
    std::string e;
    bool ok = init(e);
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
  uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(event_fd_, &one, sizeof(one));
}

void Shard::wake() {
  if (sleeping_.load(std::memory_order_seq_cst)) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(event_fd_, &one, sizeof(one));
  }
}

// From this shard's thread: wake shard `d` if it announced it sleeps. The
// message goes through our own ring, so it rides on this turn's submit
// instead of costing a write() system call.
void Shard::wake_peer(int d) {
  Shard& peer = srv_.shard(d);
  if (!peer.sleeping_.load(std::memory_order_seq_cst)) return;
  int fd = peer.ring_fd_.load(std::memory_order_acquire);
  if (fd < 0 || !msg_ring_ok_) {
    peer.wake();
    return;
  }
  io_uring_sqe* s = sqe();
  io_uring_prep_msg_ring(s, fd, 0, ud(Ud::Wake, 0, 0), 0);
  s->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(s, ud(Ud::MsgRingResult, 0, 0));
}

void Shard::post(std::function<void(Shard&)> fn) {
  {
    std::lock_guard<std::mutex> g(posted_mu_);
    posted_.push_back(std::move(fn));
  }
  has_posted_.store(true, std::memory_order_seq_cst);
  uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(event_fd_, &one, sizeof(one));
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

void Shard::send_to_conn(int dst, uint32_t slot, uint32_t gen, std::string_view head,
                         std::string_view payload, Block* storage) {
  if (dst == id_) {
    Conn* c = conn_at(slot, gen);
    if (!c || c->closing()) return;
    c->out.append(head);
    if (storage) c->out.append_ref(storage, payload.data(), payload.size());
    else if (!payload.empty()) c->out.append(payload);
    mark_dirty(c);
    return;
  }
  Rec r{RecKind::DeliverConn};
  r.slot = slot;
  r.gen = gen;
  size_t need = head.size() + (storage ? 0 : payload.size());
  Block* b = batch_for(dst, need);
  r.block = b;
  r.off = b->len;
  b->put(head.data(), head.size());
  if (!storage) b->put(payload.data(), payload.size());
  r.len = b->len - r.off;
  if (storage) {
    srv_.ring(id_, dst).charge(payload.size());
    inflight_bytes_ += payload.size();
    storage->ref();
    r.payload = storage;
    r.poff = static_cast<uint32_t>(payload.data() - storage->data);
    r.plen = static_cast<uint32_t>(payload.size());
  }
  push(dst, r);
}

io_uring_sqe* Shard::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (!s) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void Shard::arm_accept() {
  io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, srv_.listen_fd(), nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, ud(Ud::Accept, 0, 0));
  accept_armed_ = true;
}

void Shard::arm_event() {
  io_uring_sqe* s = sqe();
  io_uring_prep_read(s, event_fd_, &event_val_, sizeof(event_val_), 0);
  io_uring_sqe_set_data64(s, ud(Ud::Event, 0, 0));
}

void Shard::arm_recv(Conn* c) {
  io_uring_sqe* s = sqe();
  // Single-shot with a provided buffer: a paused connection is simply not
  // re-armed, so the kernel holds its bytes and TCP pushes back.
  io_uring_prep_recv(s, c->fd, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kBufGroup;
  io_uring_sqe_set_data64(s, ud(Ud::Recv, c->slot, c->gen));
  c->recv_armed = true;
}

void Shard::give_back_buffer(uint16_t bid) {
  char* bufs = buf_base_ + kBufCount * sizeof(io_uring_buf);
  io_uring_buf_ring_add(br_, bufs + size_t(bid) * kBufSize, kBufSize, bid,
                        io_uring_buf_ring_mask(kBufCount), pending_buf_returns_);
  ++pending_buf_returns_;
  --bufs_out_;
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
  arm_event();
  if (id_ == 0 && srv_.listen_fd() >= 0) arm_accept();
  if (auto* cl = srv_.cluster()) cl->shard_started(*this);

  while (!stop_.load(std::memory_order_relaxed)) {
    q.online(id_);
    now_ns_ = mono_ns();

    io_uring_cqe* cqes[256];
    unsigned n;
    while ((n = io_uring_peek_batch_cqe(&ring_, cqes, 256)) > 0) {
      for (unsigned i = 0; i < n; ++i) handle_cqe(cqes[i]);
      io_uring_cq_advance(&ring_, n);
      if (n < 256) break;
    }
    drain_rings();
    if (has_posted_.load(std::memory_order_acquire)) {
      std::vector<std::function<void(Shard&)>> work;
      {
        std::lock_guard<std::mutex> g(posted_mu_);
        work.swap(posted_);
        has_posted_.store(false, std::memory_order_relaxed);
      }
      for (auto& fn : work) fn(*this);
    }
    if (now_ns_ >= next_timer_ns_) run_timers();
    end_turn();

    if (!may_sleep()) {
      io_uring_submit(&ring_);
      continue;
    }
    // Sleep/wake handshake with producers (see end_turn): announce, full
    // fence, then look at every inbound ring once more. A producer that
    // published after our look sees the flag and wakes us.
    sleeping_.store(true, std::memory_order_seq_cst);
    // Spill waiting for room, or publishers throttled until peers release
    // what is in flight: the consumer wakes us when it frees either.
    for (int p = 0; p < nshards_; ++p)
      if (p != id_ && (!spill_[p].empty() || (!throttled_.empty() && srv_.ring(id_, p).in_flight())))
        srv_.ring(id_, p).set_producer_waiting();
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!may_sleep() || stop_.load(std::memory_order_relaxed)) {
      sleeping_.store(false, std::memory_order_relaxed);
      io_uring_submit(&ring_);
      continue;
    }
    q.offline(id_);
    retire_.reclaim(q);
    int64_t wait_ns = next_timer_ns_ - mono_ns();
    // Throttled publishers resume when a stall expires: look again soon.
    if (!throttled_.empty() && wait_ns > kStallPollNs) wait_ns = kStallPollNs;
    if (wait_ns < 1'000'000) wait_ns = 1'000'000;
    __kernel_timespec ts{wait_ns / 1'000'000'000, wait_ns % 1'000'000'000};
    io_uring_cqe* cqe = nullptr;
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    sleeping_.store(false, std::memory_order_seq_cst);
  }
  q.offline(id_);
  if (auto* cl = srv_.cluster()) cl->shard_stopping(*this);
}

// Nothing is left for this turn: no completions, no posted work, no inbound
// record we may take now, nothing staged for a peer, and no spill that the
// ring in front of it has room for (a full ring wakes us when it drains).
bool Shard::may_sleep() {
  if (io_uring_cq_ready(&ring_) > 0 || has_posted_.load(std::memory_order_seq_cst)) return false;
  for (int p = 0; p < nshards_; ++p) {
    if (p == id_) continue;
    if (!srv_.ring(p, id_).empty_for_consumer()) return false;
    auto& out = srv_.ring(id_, p);
    if (out.has_staged() || batch_[p]) return false;
    if (!spill_[p].empty() && !out.full_for_producer()) return false;
  }
  return true;
}

void Shard::handle_cqe(io_uring_cqe* cqe) {
  uint64_t d = io_uring_cqe_get_data64(cqe);
  Ud kind = static_cast<Ud>(d >> 56);
  uint32_t slot = static_cast<uint32_t>((d >> 32) & 0xffffff);
  uint32_t gen = static_cast<uint32_t>(d);
  switch (kind) {
    case Ud::Accept:
      on_accept(cqe->res, cqe->flags & IORING_CQE_F_MORE);
      return;
    case Ud::Event:
      if (!stop_.load(std::memory_order_relaxed)) arm_event();
      return;
    case Ud::Recv: {
      Conn* c = conn_at(slot, gen);
      if (!c) {
        if ((cqe->flags & IORING_CQE_F_BUFFER)) {
          ++bufs_out_;
          give_back_buffer(static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
        }
        return;
      }
      on_recv(c, cqe->res, cqe->flags);
      return;
    }
    case Ud::Send: {
      Conn* c = conn_at(slot, gen);
      if (c) on_send(c, cqe->res);
      return;
    }
    case Ud::Wake:
      return;
    case Ud::MsgRingResult:
      // Only failures post a completion: fall back to eventfd wake-ups.
      if (cqe->res < 0 && msg_ring_ok_) {
        msg_ring_ok_ = false;
        log::debug("io_uring: MSG_RING wake-ups unavailable (%s), using eventfd", strerror(-cqe->res));
        for (int p = 0; p < nshards_; ++p)
          if (p != id_) srv_.shard(p).wake();
      }
      return;
  }
}

void Shard::on_accept(int res, bool more) {
  if (!more) accept_armed_ = false;
  if (res < 0) {
    // EINVAL: the listener was shut down (we are stopping): stop accepting.
    if (res == -EINVAL || stop_.load()) return;
    if (res != -EAGAIN && res != -EINTR && res != -ECANCELED)
      log::error("Error accepting client connection: %s", strerror(-res));
    if (!more) arm_accept();
    return;
  }
  if (stop_.load()) {
    ::close(res);
    return;
  }
  int target = static_cast<int>(next_rr_++ % static_cast<uint64_t>(nshards_));
  if (target == id_) {
    new_conn(res, ConnType::Client);
  } else {
    Rec r{RecKind::NewConn};
    r.slot = static_cast<uint32_t>(res);
    push(target, r);
  }
  if (!more && !stop_.load()) arm_accept();
}

void Shard::mark_dirty(Conn* c) {
  if (!c->dirty) {
    c->dirty = true;
    dirty_.push_back(c);
  }
  if (!c->over_half && c->type == ConnType::Client && c->out.pending() > stall_at_) {
    c->over_half = true;
    ++over_half_;
  }
}

// Pending went down (a send completed) or the connection is going away.
void Shard::note_pending(Conn* c) {
  if (c->over_half && (c->closing() || c->out.pending() <= stall_at_)) {
    c->over_half = false;
    --over_half_;
  }
}

// --------------------------------------------------------------------------
// Receive and send

void Shard::on_recv(Conn* c, int res, uint32_t flags) {
  c->recv_armed = false;
  bool has_buf = flags & IORING_CQE_F_BUFFER;
  if (has_buf) ++bufs_out_;
  uint16_t bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
  if (res <= 0 || c->closing()) {
    if (has_buf) give_back_buffer(bid);
    if (res == -ENOBUFS && !c->closing()) {
      waiting_bufs_.push_back({c->slot, c->gen});  // re-armed once a buffer comes back
      return;
    }
    close_conn(c, proto::ErrCode::None);
    release(c);
    return;
  }
  c->last_in_ns = now_ns_;
  feed_buffer(c, bid, 0, static_cast<uint32_t>(res));
}

// Parse buffer `bid` from `off`. If the connection pauses, the rest is kept
// by reference (no copy) and the receive is not re-armed until it resumes;
// when receive buffers run short, the rest is copied out instead so paused
// connections cannot starve everyone else of buffers.
void Shard::feed_buffer(Conn* c, uint16_t bid, uint32_t off, uint32_t len) {
  const char* data = buf_base_ + kBufCount * sizeof(io_uring_buf) + size_t(bid) * kBufSize;
  size_t used = feed(c, data + off, len - off);
  if (used < len - off && !c->closing()) {
    if (bufs_out_ * 4 >= kBufCount) {
      c->held_copy.assign(data + off + used, len - off - used);
      c->held_copy_off = 0;
      give_back_buffer(bid);
      return;
    }
    c->held_bid = bid;
    c->held_off = off + static_cast<uint32_t>(used);
    c->held_len = len;
    return;
  }
  give_back_buffer(bid);
  if (c->closing()) release(c);
  else if (!c->parked && !c->throttled) arm_recv(c);
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
  if (c->closing()) release(c);
  else if (!c->parked && !c->throttled) arm_recv(c);
}

struct ConnHandler {
  Shard* s;
  Conn* c;
  proto::Flow on_op(proto::Op op, std::string_view args) { return s->on_op(c, op, args); }
  proto::Flow on_msg_args(const proto::MsgArgs& m) { return s->on_msg_args(c, m); }
  char* payload_storage(const proto::MsgArgs& m) { return s->payload_storage(c, m); }
  proto::Flow on_msg(const proto::MsgArgs& m, std::string_view p, bool stored) {
    return s->on_msg(c, m, p, stored);
  }
};

// Returns how many bytes were consumed; fewer than `len` means paused.
size_t Shard::feed(Conn* c, const char* data, size_t len) {
  ConnHandler h{this, c};
  proto::FeedResult r = c->parser.feed(data, len, h);
  switch (r.status) {
    case proto::FeedResult::Done:
      return len;
    case proto::FeedResult::Paused:
      c->parked = true;
      return r.consumed;
    case proto::FeedResult::Stopped:
      return len;
    case proto::FeedResult::Error:
      if (r.err == proto::ErrCode::UnknownOp || r.err == proto::ErrCode::ProtocolViolation)
        log::error("%s:%d - cid:%llu - Client parser ERROR", c->remote_ip.c_str(), c->remote_port,
                   static_cast<unsigned long long>(c->cid));
      if (r.err == proto::ErrCode::AuthViolation) log::error("%s:%d - cid:%llu - Authorization Error",
          c->remote_ip.c_str(), c->remote_port, static_cast<unsigned long long>(c->cid));
      send_err(c, r.err);
      return len;
  }
  return len;
}

void Shard::on_send(Conn* c, int res) {
  c->send_inflight = false;
  if (res < 0) {
    c->out.clear();
    close_conn(c, proto::ErrCode::None);
    finish_draining(c);
    release(c);
    return;
  }
  c->out.consume(static_cast<size_t>(res));
  note_pending(c);
  switch (c->state) {
    case ConnState::Open:
      if (!c->out.empty()) mark_dirty(c);
      return;
    case ConnState::Draining:
      if (c->out.empty()) finish_draining(c);
      else flush(c);
      return;
    case ConnState::Closed:
      c->out.clear();
      release(c);
      return;
    case ConnState::Free:
      return;
  }
}

// One gathered send per connection in flight. The msghdr and iovecs live in
// this turn's scratch: the kernel copies them when the SQE is submitted
// (IORING_FEAT_SUBMIT_STABLE), so a connection holds none of its own.
void Shard::flush(Conn* c) {
  if (c->send_inflight || c->out.empty() || c->state == ConnState::Closed ||
      c->state == ConnState::Free)
    return;
  SendScratch& sc = send_scratch_.next();
  int n = c->out.fill_iov(sc.iov, SendScratch::kMaxIov);
  sc.mh = msghdr{};
  sc.mh.msg_iov = sc.iov;
  sc.mh.msg_iovlen = static_cast<size_t>(n);
  io_uring_sqe* s = sqe();
  io_uring_prep_sendmsg(s, c->fd, &sc.mh, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, ud(Ud::Send, c->slot, c->gen));
  c->send_inflight = true;
  c->send_started_ns = now_ns_;
}

void Shard::send_err(Conn* c, proto::ErrCode e) {
  proto::ErrInfo info = proto::err_info(e);
  if (!info.wire.empty() && e != proto::ErrCode::SlowConsumer) {
    c->out.append(info.wire);
    mark_dirty(c);
  }
  if (info.closes) close_conn(c, e);
}

// --------------------------------------------------------------------------
// Rings between shards

void Shard::push(int dst, const Rec& r) {
  touched_[dst] = true;
  auto& sp = spill_[dst];
  if (sp.empty() && srv_.ring(id_, dst).push(r)) return;
  // Full ring: keep order by queueing behind it; charged to the publisher,
  // which on_msg stops reading once the spill passes kSpillCap.
  spill_bytes_ += r.len + r.plen + sizeof(Rec);
  sp.push_back(r);
}

void Shard::throttle(Conn* c) {
  if (c->throttled) return;
  c->throttled = true;
  c->stall_deadline_ns = now_ns_ + kMaxStallNs;
  throttled_.push_back(c);
}

void Shard::resume(Conn* c) {
  c->throttled = false;
  if (c->closing()) return;
  if (c->pending_acks == 0) resume_parked(c);
}

// Continue a paused connection: the rest of its held buffer, then reading.
void Shard::resume_parked(Conn* c) {
  c->parked = false;
  if (c->held_bid >= 0) {
    uint16_t bid = static_cast<uint16_t>(c->held_bid);
    c->held_bid = -1;
    feed_buffer(c, bid, c->held_off, c->held_len);
  } else if (!c->held_copy.empty()) {
    feed_copy(c);
  } else if (!c->recv_armed && !c->closing() && !c->throttled) {
    arm_recv(c);
  }
}

Block* Shard::batch_for(int dst, size_t need) {
  Block*& b = batch_[dst];
  if (b && b->room() >= need) return b;
  if (b) {
    Rec done{RecKind::BatchDone};
    done.block = b;
    push(dst, done);
  }
  b = Block::make(std::max(kBatchSize, need));
  srv_.ring(id_, dst).charge(b->cap);
  inflight_bytes_ += b->cap;
  return b;
}

void Shard::drain_rings() {
  for (int p = 0; p < nshards_; ++p) {
    if (p == id_) continue;
    auto& ring = srv_.ring(p, id_);
    size_t n = ring.drain([&](Rec& r) { handle_rec(r, p); });
    // Room-for-spill handshake, the mirror of the sleep one: the producer
    // sets its flag, fences, then checks for room; we free room, fence, then
    // check its flag.
    if (n > 0) {
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (ring.take_producer_waiting()) wake_peer(p);
    }
  }
}

// A peer asked us to stall the publishers that feed it.
bool Shard::remote_stall_active() {
  for (int d = 0; d < nshards_; ++d)
    if (d != id_ && srv_.ring(id_, d).stalled(now_ns_)) return true;
  return false;
}

// End of turn, in this order: resume throttled publishers (they may stage
// more records), close batches and publish every ring (so nothing staged
// waits for a later turn), flush dirty connections, return buffers, submit.
void Shard::end_turn() {
  inflight_bytes_ = 0;
  for (int d = 0; d < nshards_; ++d)
    if (d != id_) inflight_bytes_ += srv_.ring(id_, d).in_flight();
  if (!throttled_.empty() && spill_bytes_ < kSpillCap / 2 && inflight_bytes_ < kInflightCap / 2) {
    std::vector<Conn*> again;
    again.swap(throttled_);
    for (Conn* c : again) {
      if ((over_half_ > 0 || remote_stall_active()) && now_ns_ < c->stall_deadline_ns)
        throttled_.push_back(c);
      else resume(c);
    }
  }
  for (int d = 0; d < nshards_; ++d) {
    if (batch_[d]) {
      Rec done{RecKind::BatchDone};
      done.block = batch_[d];
      batch_[d] = nullptr;
      push(d, done);
    }
    auto& sp = spill_[d];
    auto& ring = srv_.ring(id_, d);
    while (!sp.empty() && ring.push(sp.front())) {
      spill_bytes_ -= sp.front().len + sp.front().plen + sizeof(Rec);
      sp.pop_front();
    }
    if (touched_[d] || ring.has_staged()) {
      touched_[d] = false;
      // Sleep/wake handshake (see run()): publish, full fence, then read the
      // peer's sleeping flag. Either it sees our records before it sleeps,
      // or we see it asleep and wake it.
      if (ring.publish()) {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        wake_peer(d);
      }
    }
  }
  const size_t max_pending = static_cast<size_t>(srv_.opts().max_pending);
  for (size_t i = 0; i < dirty_.size(); ++i) {
    Conn* c = dirty_[i];
    c->dirty = false;
    if (c->state == ConnState::Free) continue;
    // Charged with what it really holds: its bytes and the blocks they pin.
    if (c->type == ConnType::Client && !c->closing() && c->out.footprint() > max_pending) {
      log::notice("%s:%d - cid:%llu - Slow Consumer Detected: MaxPending of %lld Exceeded",
                c->remote_ip.c_str(), c->remote_port, static_cast<unsigned long long>(c->cid),
                static_cast<long long>(srv_.opts().max_pending));
      send_err(c, proto::ErrCode::SlowConsumer);
      continue;
    }
    flush(c);
  }
  dirty_.clear();
  if (pending_buf_returns_) {
    io_uring_buf_ring_advance(br_, pending_buf_returns_);
    pending_buf_returns_ = 0;
  }
  // Re-arm connections that found no buffer only when one is free again:
  // re-arming into an empty ring would spin on ENOBUFS.
  if (bufs_out_ < kBufCount) {
    for (auto [slot, gen] : waiting_bufs_)
      if (Conn* c = conn_at(slot, gen); c && c->state == ConnState::Open && !c->recv_armed &&
                                         c->held_bid < 0 && c->held_copy.empty() && !c->parked &&
                                         !c->throttled)
        arm_recv(c);
    waiting_bufs_.clear();
  }
  free_conns_.insert(free_conns_.end(), released_conns_.begin(), released_conns_.end());
  released_conns_.clear();
  io_uring_submit(&ring_);
  send_scratch_.reset();  // the kernel has copied every msghdr submitted above
  retire_.reclaim(srv_.qsbr());
}

void Shard::run_timers() {
  const Options& o = srv_.opts();
  next_timer_ns_ = now_ns_ + 100'000'000;
  for (auto& up : conns_) {
    Conn* c = up.get();
    if (!c || c->state == ConnState::Free) continue;
    if (c->closing()) {
      // Its last words cannot be delivered to a peer that stopped reading.
      if (c->send_inflight && now_ns_ - c->send_started_ns > o.write_deadline_ns)
        ::shutdown(c->fd, SHUT_RDWR);
      continue;
    }
    if (auto* cl = srv_.cluster(); cl && c->type == ConnType::Route) {
      cl->route_timer(*this, c);
      continue;
    }
    if (c->send_inflight && now_ns_ - c->send_started_ns > o.write_deadline_ns) {
      log::notice("%s:%d - cid:%llu - Slow Consumer Detected: WriteDeadline of %.3fs exceeded",
                  c->remote_ip.c_str(), c->remote_port, static_cast<unsigned long long>(c->cid),
                  static_cast<double>(o.write_deadline_ns) / 1e9);
      send_err(c, proto::ErrCode::SlowConsumer);
      continue;
    }
    if (c->auth_deadline_ns && now_ns_ >= c->auth_deadline_ns) {
      log::debug("%s:%d - cid:%llu - Authentication Timeout", c->remote_ip.c_str(), c->remote_port,
                 static_cast<unsigned long long>(c->cid));
      send_err(c, proto::ErrCode::AuthTimeout);
      continue;
    }
    if (now_ns_ >= c->next_ping_ns) {
      c->next_ping_ns = now_ns_ + o.ping_interval_ns;
      if (now_ns_ - c->last_in_ns < o.ping_interval_ns && c->ping_out == 0) continue;
      if (c->ping_out + 1 > o.ping_max) {
        log::debug("%s:%d - cid:%llu - Stale Client Connection - Closing", c->remote_ip.c_str(),
                   c->remote_port, static_cast<unsigned long long>(c->cid));
        c->out.append("PING\r\n");
        send_err(c, proto::ErrCode::StaleConnection);
        continue;
      }
      ++c->ping_out;
      c->out.append("PING\r\n");
      mark_dirty(c);
    }
  }
  if (auto* cl = srv_.cluster()) cl->shard_timer(*this);
}

}  // namespace ringnats
